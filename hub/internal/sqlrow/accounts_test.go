package sqlrow

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/mark"
)

// row is one row: Scan fills hash, epoch and disabled, or fails with err.
type row struct {
	hash     string
	epoch    int64
	disabled bool
	err      error
}

func (r row) Scan(dst ...any) error {
	if r.err != nil {
		return r.err
	}
	*dst[0].(*string), *dst[1].(*int64), *dst[2].(*bool) = r.hash, r.epoch, r.disabled
	return nil
}

func TestAccount(t *testing.T) {
	down := errors.New("connection reset")
	for _, c := range []struct {
		name      string
		row       row
		hash      string
		epoch     int64
		is        error
		notIs     error
		available bool
	}{
		{name: "enabled", row: row{hash: "h", epoch: 3}, hash: "h", epoch: 3, available: true},
		{name: "disabled: its hash kept", row: row{hash: "h", epoch: 3, disabled: true}, hash: "h", epoch: 3,
			is: hub.ErrUserDisabled, available: true},
		{name: "none (database/sql)", row: row{err: sql.ErrNoRows}, is: mark.ErrNotFound, available: true},
		{name: "none (pgx)", row: row{err: pgx.ErrNoRows}, is: mark.ErrNotFound, available: true},
		{name: "database down", row: row{err: down}, is: down, notIs: mark.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			hash, epoch, err := Account(c.row, "anna")
			if hash != c.hash || epoch != c.epoch {
				t.Errorf("Account = %q, %d; want %q, %d", hash, epoch, c.hash, c.epoch)
			}
			if (c.is == nil) != (err == nil) || c.is != nil && !errors.Is(err, c.is) ||
				c.notIs != nil && errors.Is(err, c.notIs) || errors.Is(err, mark.ErrUnavailable) == c.available {
				t.Errorf("Account error %v; want %v (unavailable %v)", err, c.is, !c.available)
			}
		})
	}
}
