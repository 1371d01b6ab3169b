package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"markd/mark"
)

// Migration is one numbered schema step of a backend (NNN_name.sql). Each
// backend applies the steps above its recorded version, each in its own
// transaction that first checks, under the backend's write lock, that the
// step is still due, so two processes opening one database do not race.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations reads the numbered .sql files of dir in fsys, in order.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_': %w", base, mark.ErrInvalid)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(body)})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Version < out[b].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d: %w", out[i-1].Name, out[i].Name, out[i].Version, mark.ErrInvalid)
		}
	}
	return out, nil
}

// ErrSchemaNewer: the collector's database was migrated by a newer
// markhub than this one (after a rollback of the binary): this markhub
// refuses it instead of writing under a schema it does not know.
var ErrSchemaNewer = errors.New("collector database schema is newer than this markhub")

// RefuseNewer fails with ErrSchemaNewer, naming where and both versions,
// when top (the highest version the database records) is past the last
// of steps.
func RefuseNewer(where string, top int, steps []Migration) error {
	known := 0
	if len(steps) > 0 {
		known = steps[len(steps)-1].Version
	}
	if top <= known {
		return nil
	}
	return mark.WithHint(fmt.Errorf("%s: migration %d applied, this markhub knows up to %d: %w", where, top, known, ErrSchemaNewer),
		"run the markhub version that upgraded this database (every markhub process of it), or restore the database backup taken before that upgrade")
}
