package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows"

	"markd/config"
	"markd/hub"
	"markd/internal/cli"
	"markd/mark"
)

// exampleConfig names the file that lists every key, in errors: the zip
// and the MSI put it beside markhub.exe (configs/markhub.windows.yaml);
// configs/markhub.yaml is not on a Windows machine.
func exampleConfig() string { return "markhub.yaml.example beside markhub.exe" }

// osDefaults puts markhub's files in %ProgramData%\markhub on Windows
// (markhub.exe comes with the MSI): hub.DefaultConfig's /var/lib/markhub
// and /etc/markhub would be read on the current drive.
func osDefaults(c *hub.Config) {
	dir := config.ProgramDataDir("markhub")
	c.DB = filepath.Join(dir, "markhub.db")
	c.DistributionKey = filepath.Join(dir, "distribution.key")
}

// checkOSPaths refuses a Linux path in a Windows config (copied from
// configs/markhub.yaml or a Linux collector's config), naming the key
// and a Windows example, as markd's config does.
func checkOSPaths(c hub.Config) error {
	files := []struct{ key, path string }{{"distribution_key", c.DistributionKey},
		{"tls_cert", c.TLSCert}, {"tls_key", c.TLSKey}, {"client_ca", c.ClientCA}}
	if c.DBDriver == "sqlite" { // a PostgreSQL URL is no path
		files = append([]struct{ key, path string }{{"db", c.DB}}, files...)
	}
	for _, f := range files {
		if config.LinuxPath(f.path) {
			return &cli.KeyError{Key: f.key, Value: f.path, Why: "a Linux path: on Windows name the file with its drive, such as " +
				filepath.Join(config.ProgramDataDir("markhub"), filepath.Base(filepath.FromSlash(f.path)))}
		}
	}
	return nil
}

// ownDirSDDL: SYSTEM, the Administrators and (%s) the account that made
// the folder, not inherited from %ProgramData% (where Users may read):
// markd's folder's ACL (markd service install), with its maker, since
// markhub has no service and may run in a plain command prompt.
const ownDirSDDL = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;%s)"

// ownDir makes %ProgramData%\markhub when path (the SQLite store, the
// distribution key) is in it and it is not there yet: a fresh machine,
// whose MSI leaves %ProgramData% alone as it does for markd. Another
// folder named in the config is not made (a typo makes no store
// elsewhere), and an existing folder's ACL is left as it is.
func ownDir(path string) error {
	dir := config.ProgramDataDir("markhub")
	if !strings.EqualFold(filepath.Dir(filepath.Clean(path)), dir) {
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		return mark.WithHint(fmt.Errorf("make markhub's folder %s: a file has that name: %w", dir, mark.ErrConflict),
			"move that file away; markhub keeps its store and distribution key in this folder")
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("markhub's folder %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return mark.WithHint(fmt.Errorf("make markhub's folder %s: %w: %w", dir, mark.ErrUnavailable, err),
			"run markhub once from a command prompt started as administrator, or set db and distribution_key to files in a folder this account may write")
	}
	if err := lockDir(dir); err != nil {
		return mark.WithHint(fmt.Errorf("make markhub's folder %s: %w", dir, err),
			"run markhub once from a command prompt started as administrator")
	}
	return nil
}

// lockDir gives dir the ACL of ownDirSDDL.
func lockDir(dir string) error {
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("the account of this process: %w", err)
	}
	sd, err := windows.SecurityDescriptorFromString(fmt.Sprintf(ownDirSDDL, user.User.Sid.String()))
	if err != nil {
		return fmt.Errorf("ACL: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("ACL: %w", err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("set its ACL (SYSTEM, the Administrators and this account only): %w", err)
	}
	return nil
}
