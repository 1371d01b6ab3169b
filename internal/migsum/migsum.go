// Package migsum keeps the SHA-256 of every shipped migration file in a
// manifest beside the files (migrations/SHA256SUMS, the format of
// `sha256sum`), so that a migration already applied to stores in the
// field is never edited, removed or renumbered afterwards: a store that
// ran the old bytes would never run the new ones (its version is
// recorded), and counters would differ in schema without saying so.
//
// A new migration is a new file with a new number; its line is added by
// `go test ./internal/migsum -run TestMigrationManifest -update`, which
// only ever appends lines for files not yet listed and never rewrites a
// listed one.
package migsum

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ManifestName is the manifest's file name inside a migrations folder.
const ManifestName = "SHA256SUMS"

// ErrChanged: a listed migration's bytes differ from the manifest, or a
// listed file is gone (removed or renumbered).
var ErrChanged = errors.New("a shipped migration changed")

// ErrUnlisted: a migration file the manifest does not list yet.
var ErrUnlisted = errors.New("migration not in the manifest")

// ErrManifest: the manifest itself is malformed.
var ErrManifest = errors.New("malformed migration manifest")

// Entry is one line of the manifest.
type Entry struct {
	Sum  string // lower-case hex SHA-256
	Name string // file name inside the folder
}

// ReadManifest reads dir/SHA256SUMS; a missing manifest is no entries.
func ReadManifest(dir string) ([]Entry, error) {
	path := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || name == "" || strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("%s line %d: %q: want \"<64 hex digits>  <file name>\": %w", path, n, line, ErrManifest)
		}
		out = append(out, Entry{Sum: sum, Name: name})
	}
	return out, sc.Err()
}

// Files is the SHA-256 of every .sql file of dir, by name.
func Files(dir string) (map[string]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	out := make(map[string]string, len(names))
	for _, p := range names {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		s := sha256.Sum256(b)
		out[filepath.Base(p)] = hex.EncodeToString(s[:])
	}
	return out, nil
}

// Check compares the .sql files of dir with its manifest: every listed
// file must exist with its listed bytes (ErrChanged) and every file must
// be listed (ErrUnlisted). Every problem is in the returned error.
func Check(dir string) error {
	listed, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	files, err := Files(dir)
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, e := range listed {
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("%s lists %s twice: %w", filepath.Join(dir, ManifestName), e.Name, ErrManifest))
		}
		seen[e.Name] = true
		got, ok := files[e.Name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: listed in %s but gone (removed or renumbered): "+
				"stores that applied it keep its version and would skip a file renumbered into its place; "+
				"put it back as it was: %w", filepath.Join(dir, e.Name), ManifestName, ErrChanged))
		case got != e.Sum:
			errs = append(errs, fmt.Errorf("%s: SHA-256 %s, the manifest says %s: a shipped migration was edited; "+
				"stores that already applied it will never run the new text. Put the file back as shipped "+
				"(git log -p -- %s) and write the change as a new migration with the next free number: %w",
				filepath.Join(dir, e.Name), got, e.Sum, filepath.Join(dir, e.Name), ErrChanged))
		}
	}
	var unlisted []string
	for name := range files {
		if !seen[name] {
			unlisted = append(unlisted, name)
		}
	}
	sort.Strings(unlisted)
	for _, name := range unlisted {
		errs = append(errs, fmt.Errorf("%s: new migration, not in %s: once it is final, add its line with "+
			"`go test ./internal/migsum -run TestMigrationManifest -update` (or `sha256sum %s >> %s` in that folder) "+
			"and commit the manifest with it: %w", filepath.Join(dir, name), ManifestName, name, ManifestName, ErrUnlisted))
	}
	return errors.Join(errs...)
}

// Append adds the lines of the .sql files of dir that the manifest does
// not list yet (sorted by name) and returns their names. It never changes
// or removes a listed line: a changed file stays a failure of Check.
func Append(dir string) ([]string, error) {
	listed, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	files, err := Files(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range listed {
		seen[e.Name] = true
	}
	var add []string
	for name := range files {
		if !seen[name] {
			add = append(add, name)
		}
	}
	if len(add) == 0 {
		return nil, nil
	}
	sort.Strings(add)
	path := filepath.Join(dir, ManifestName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	var b strings.Builder
	for _, name := range add {
		fmt.Fprintf(&b, "%s  %s\n", files[name], name)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return add, nil
}
