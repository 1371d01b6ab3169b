package verify

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"markd/mark"
)

// Revocations is the set of refunded or cancelled serials (REVOKED).
type Revocations struct {
	Version string
	serials map[uint64]struct{}
}

// Has reports whether serial is revoked. A nil list has nothing.
func (r *Revocations) Has(serial uint64) bool {
	if r == nil {
		return false
	}
	_, ok := r.serials[serial]
	return ok
}

// Len is the number of revoked serials.
func (r *Revocations) Len() int {
	if r == nil {
		return 0
	}
	return len(r.serials)
}

// LoadRevocations reads a revocation list file.
func LoadRevocations(path string) (*Revocations, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("revocations %s: %w: %w", path, mark.ErrInvalid, err)
	}
	return ParseRevocations(path, data)
}

// ParseRevocations parses a revocation list: one decimal serial a line;
// '#' starts a comment; blank lines are ignored. A comment line
// "# version: X" names the list's version.
func ParseRevocations(name string, data []byte) (*Revocations, error) {
	r := &Revocations{serials: map[uint64]struct{}{}}
	declared := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			if c := strings.TrimSpace(line[i+1:]); strings.HasPrefix(c, "version:") && strings.TrimSpace(line[:i]) == "" && declared == "" {
				declared = strings.TrimSpace(strings.TrimPrefix(c, "version:"))
			}
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		s, err := strconv.ParseUint(line, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("revocations %s: line %d: serial %q is not a decimal number up to 2^64-1: %w", name, n, line, mark.ErrInvalid)
		}
		r.serials[s] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("revocations %s: %w: %v", name, mark.ErrInvalid, err)
	}
	r.Version = listVersion(declared, data)
	return r, nil
}
