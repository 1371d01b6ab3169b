package bundle

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"markd/mark"
)

// Keep is how many good bundles a Dir keeps.
const Keep = 3

// Dir is the folder where a counter keeps the last good bundles, so it
// starts offline with the newest lists it ever verified.
type Dir struct {
	Path string
	// Sync, when set, replaces File.Sync (tests inject a failing disk).
	Sync func(*os.File) error
}

func fileName(version uint64) string { return fmt.Sprintf("bundle-%020d.json", version) }

// Save writes one verified bundle durably: temp file, fsync, rename, fsync
// of the folder; then it removes all but the newest Keep.
func (d Dir) Save(version uint64, data []byte) error {
	if err := os.MkdirAll(d.Path, 0o750); err != nil {
		return mark.WithHint(fmt.Errorf("bundle dir %s: %w: %w", d.Path, mark.ErrUnavailable, err), "check sync.bundle_dir exists and is writable")
	}
	tmp, err := os.CreateTemp(d.Path, ".bundle-*.tmp")
	if err != nil {
		return fmt.Errorf("bundle dir %s: %w: %w", d.Path, mark.ErrUnavailable, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	sync := d.Sync
	if sync == nil {
		sync = (*os.File).Sync
	}
	// The lists in force at this counter: owner only, whatever the umask
	// (CreateTemp makes 0600 today; this says it is meant).
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = sync(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bundle dir %s: write: %w: %w", d.Path, mark.ErrUnavailable, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.Path, fileName(version))); err != nil {
		return fmt.Errorf("bundle dir %s: rename: %w: %w", d.Path, mark.ErrUnavailable, err)
	}
	if f, err := os.Open(d.Path); err == nil {
		_ = f.Sync() // make the rename durable; not fatal where unsupported
		f.Close()
	}
	versions, _ := d.versions()
	for i := Keep; i < len(versions); i++ {
		os.Remove(filepath.Join(d.Path, fileName(versions[i]))) //nolint:errcheck // best effort
	}
	return nil
}

// versions lists the saved versions, newest first.
func (d Dir) versions() ([]uint64, error) {
	ents, err := os.ReadDir(d.Path)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range ents {
		n, ok := strings.CutPrefix(e.Name(), "bundle-")
		if !ok {
			continue
		}
		n, ok = strings.CutSuffix(n, ".json")
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(n, 10, 64)
		if err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out, nil
}

// Latest opens the newest saved bundle that verifies against pub (a damaged
// newest file falls back to the one before). No bundle at all is
// mark.ErrNotFound.
func (d Dir) Latest(pub ed25519.PublicKey) (*Contents, []byte, error) {
	versions, err := d.versions()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("bundle dir %s: %w: %w", d.Path, mark.ErrUnavailable, err)
	}
	var firstErr error
	for _, v := range versions {
		data, err := os.ReadFile(filepath.Join(d.Path, fileName(v)))
		if err == nil {
			var c *Contents
			if c, err = Open(data, pub); err == nil && c.Version == v {
				return c, data, nil
			}
			if err == nil {
				err = fmt.Errorf("file of version %d holds version %d: %w", v, c.Version, mark.ErrInvalid)
			}
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, nil, fmt.Errorf("bundle dir %s: no good bundle (%v): %w", d.Path, firstErr, mark.ErrNotFound)
	}
	return nil, nil, fmt.Errorf("bundle dir %s: no bundle saved yet: %w", d.Path, mark.ErrNotFound)
}
