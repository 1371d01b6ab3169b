package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"time"

	"markd/mark"
)

// HeadSize is the most bytes of a file an import's head hash covers
// (ImportMark.Head): what finds the imports a file may continue.
const HeadSize = 4096

// ImportMark is how far an import of a file (markd import FILE) has come:
// written in the transaction of each batch of scans it stores
// (SaveImportBatch), so that it always says which lines are stored, also
// after a kill or a power cut.
type ImportMark struct {
	ID      string // the import's row; a new import takes a new id (a UUID)
	Name    string // the file as the run named it
	Lines   int    // lines done from line 1 (stored scans and blank lines)
	Bytes   int64  // the bytes of those lines, newlines included
	Prefix  string // hex SHA-256 of those bytes
	HeadLen int    // min(Bytes, HeadSize)
	Head    string // hex SHA-256 of the first HeadLen bytes
	// Scans is the number of scans stored from those lines (read back; a
	// write adds the scans of its batch).
	Scans   int
	Started time.Time // the first batch's commit (read back)
	Updated time.Time // the last one's (read back)
	// Prior is the bytes the row holds before this write (0 for a new
	// import, which has no row; read back as Bytes). A write whose row
	// holds other bytes is refused (ErrImportOvertaken) with its batch:
	// another markd import of the file, resumed from the same row, went
	// on meanwhile, and the lines of this batch may be stored already.
	Prior int64
}

// ErrImportOvertaken: another markd import of the same file committed
// lines after this one read how far the file had come; this one's batch
// is not stored (it would store those lines twice: DUPLICATE_SCAN and
// REUSED rejections of marks accepted once).
var ErrImportOvertaken = fmt.Errorf("another markd import of this file stored lines meanwhile: %w", mark.ErrConflict)

// SaveImportBatch is SaveBatchParts that also records m, in the same
// transaction: the scans and how far the import has come are committed
// together or not at all. m.Scans of the row grows by len(recs).
func (d *DB) SaveImportBatch(ctx context.Context, recs []*mark.Record, parts []RowParts, window time.Duration, m *ImportMark) error {
	if len(recs) == 0 {
		return d.MarkImport(ctx, m)
	}
	return d.SaveBatchParts(context.WithValue(ctx, importKey{}, m), recs, parts, window)
}

// MarkImport records m alone: a batch of lines that held no scan (blank
// lines).
func (d *DB) MarkImport(ctx context.Context, m *ImportMark) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		return d.writeImport(ctx, tx, m, 0)
	})
}

// importKey carries the ImportMark of a SaveImportBatch through the
// writer's transaction (as partsKey does the rows' parts).
type importKey struct{}

func importMarkOf(ctx context.Context) *ImportMark {
	m, _ := ctx.Value(importKey{}).(*ImportMark)
	return m
}

// upsertImport writes an import's row: one row an import, so one
// statement for each batch of up to 2000 scans.
// The update applies only where the row still holds the bytes this
// import last wrote or read (?10, ImportMark.Prior).
const upsertImport = `INSERT INTO imports(id, name, head_len, head, lines, bytes, prefix, scans, started_at, updated_at)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
	ON CONFLICT(id) DO UPDATE SET name = excluded.name, head_len = excluded.head_len, head = excluded.head,
		lines = excluded.lines, bytes = excluded.bytes, prefix = excluded.prefix,
		scans = imports.scans + excluded.scans, updated_at = excluded.updated_at
	WHERE imports.bytes = ?10`

// execer is a transaction's or a connection's ExecContext.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// writeImport writes m with scans more stored, in the open transaction of x.
func (d *DB) writeImport(ctx context.Context, x execer, m *ImportMark, scans int) error {
	if m.ID == "" || m.Lines < 0 || m.Bytes < 0 {
		return fmt.Errorf("import mark %+v: %w", *m, mark.ErrInvalid)
	}
	res, err := x.ExecContext(ctx, upsertImport, m.ID, m.Name, m.HeadLen, m.Head, m.Lines, m.Bytes, m.Prefix,
		scans, formatTime(d.Now()), m.Prior)
	if err != nil {
		return storeErr("record import progress", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return storeErr("record import progress", err)
	} else if n == 0 {
		return fmt.Errorf("import of %s: the store has it up to byte %d, this run went on from byte %d: %w",
			m.Name, d.importBytes(ctx, x, m.ID), m.Prior, ErrImportOvertaken)
	}
	return nil
}

// importBytes is how far the row of import id has come, for a message;
// -1 when it cannot be read.
func (d *DB) importBytes(ctx context.Context, x execer, id string) int64 {
	q, ok := x.(interface {
		QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	})
	b := int64(-1)
	if ok {
		_ = q.QueryRowContext(ctx, `SELECT bytes FROM imports WHERE id = ?`, id).Scan(&b)
	}
	return b
}

// Imports lists the imports whose first head_len bytes hash to what head
// gives for that length (hex SHA-256 of a file's first n bytes), and that
// are no longer than size: those the file of that size may continue.
// Longest first.
func (d *DB) Imports(ctx context.Context, size int64, head func(n int) (string, error)) ([]ImportMark, error) {
	return findImports(ctx, d.db, size, head)
}

// FindImports is Imports on the store at path, read through a connection
// of its own, before the store is opened to write (markd import knows
// where to start reading while the store opens). A store that has no
// imports table yet (migrated by an older markd) has none.
//
// The connection is read only: one that may write, closing as the last
// after a crash, checkpointed the WAL and removed it and the -shm while
// the WAL state file still said open (it does not mark the store open),
// and the import's own open that follows was refused (ErrWALLost,
// walstate.go) though nothing was lost.
func FindImports(ctx context.Context, path string, size int64, head func(n int) (string, error)) ([]ImportMark, error) {
	if err := CheckFile(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", "ro") // never create it, nor checkpoint and remove its WAL
	q.Set("_busy_timeout", "5000")
	sqldb, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	defer sqldb.Close()
	var n int
	if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'imports'`).Scan(&n); err != nil {
		return nil, storeErr("read imports", err)
	}
	if n == 0 {
		return nil, nil
	}
	return findImports(ctx, sqldb, size, head)
}

func findImports(ctx context.Context, q queryer, size int64, head func(n int) (string, error)) ([]ImportMark, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT head_len FROM imports WHERE head_len <= ?`, size)
	if err != nil {
		return nil, storeErr("read imports", err)
	}
	var lens []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, storeErr("read imports", err)
		}
		lens = append(lens, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("read imports", err)
	}
	var out []ImportMark
	for _, n := range lens {
		h, err := head(n)
		if err != nil {
			return nil, err
		}
		rows, err := q.QueryContext(ctx, `SELECT id, name, lines, bytes, prefix, head_len, head, scans, started_at, updated_at
			FROM imports WHERE head_len = ? AND head = ? AND bytes <= ?`, n, h, size)
		if err != nil {
			return nil, storeErr("read imports", err)
		}
		for rows.Next() {
			var m ImportMark
			var started, updated string
			if err := rows.Scan(&m.ID, &m.Name, &m.Lines, &m.Bytes, &m.Prefix, &m.HeadLen, &m.Head, &m.Scans, &started, &updated); err != nil {
				rows.Close()
				return nil, storeErr("read imports", err)
			}
			m.Prior = m.Bytes
			m.Started, _ = time.Parse(time.RFC3339Nano, started)
			m.Updated, _ = time.Parse(time.RFC3339Nano, updated)
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, storeErr("read imports", err)
		}
	}
	slices.SortFunc(out, func(a, b ImportMark) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), b.Updated.Compare(a.Updated))
	})
	return out, nil
}
