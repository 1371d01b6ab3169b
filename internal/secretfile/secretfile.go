// Package secretfile reads files that hold secrets (terminal tokens,
// private keys) and refuses one that every user of the machine may read
// or change, naming the command that fixes it. Group access is allowed:
// a root-owned key readable by the service's group is a usual setup.
package secretfile

import (
	"fmt"
	"os"
	"strings"

	"markd/mark"
)

// Check refuses a secret file that others may read or write (Unix mode
// bits; Windows ACLs are not looked at). what names the file's role in the
// message, e.g. "sync token_file".
func Check(path, what string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w: %v", what, path, mark.ErrInvalid, err)
	}
	if worldAccess(fi.Mode()) {
		return mark.WithHint(fmt.Errorf("%s %s is readable or writable by every user (mode %04o): %w", what, path,
			fi.Mode().Perm(), mark.ErrInvalid), "restrict it: chmod 600 "+path+" (or 640 with the service's group)")
	}
	return nil
}

// Read checks path like Check and returns its content.
func Read(path, what string) ([]byte, error) {
	if err := Check(path, what); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %v", what, path, mark.ErrInvalid, err)
	}
	return b, nil
}

// HoldsExposed reports whether the file at path holds secret (e.g. a token
// written inline in a config file) and every user may read or write it.
// It reads nothing when secret is empty; an unreadable file is not reported.
func HoldsExposed(path, secret string) (os.FileMode, bool) {
	if secret == "" || path == "" {
		return 0, false
	}
	fi, err := os.Stat(path)
	if err != nil || !worldAccess(fi.Mode()) {
		return 0, false
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), secret) {
		return 0, false
	}
	return fi.Mode().Perm(), true
}
