package pgstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"markd/hub"
)

// copyBuf writes rows in PostgreSQL's binary COPY format: a header, per
// row the field count and each field's length (-1 = NULL) and bytes, a
// trailer. COPY inserts a batch's rows into the heap a page at a time
// (one WAL record a page, not one a row) and spares the per-row executor
// work of INSERT … SELECT FROM unnest; writing the format here spares
// markhub pgx's encoding of every value (boxed, one by one).
type copyBuf struct{ b []byte }

func newCopyBuf(size int) *copyBuf {
	c := &copyBuf{b: make([]byte, 0, size)}
	c.b = append(c.b, "PGCOPY\n\xff\r\n\x00"...)
	c.b = binary.BigEndian.AppendUint32(c.b, 0) // flags
	c.b = binary.BigEndian.AppendUint32(c.b, 0) // header extension length
	return c
}

func (c *copyBuf) row(fields int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields)) }

func (c *copyBuf) null() { c.b = binary.BigEndian.AppendUint32(c.b, 0xffffffff) }

func (c *copyBuf) text(s string) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

func (c *copyBuf) textOrNull(s *string) {
	if s == nil {
		c.null()
		return
	}
	c.text(*s)
}

func (c *copyBuf) int8(v int64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, uint64(v))
}

func (c *copyBuf) int8OrNull(v *int64) {
	if v == nil {
		c.null()
		return
	}
	c.int8(*v)
}

func (c *copyBuf) int4(v int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(v))
}

// timestamptz is microseconds since 2000-01-01 UTC, truncated as pgx
// truncates it for the other statements.
func (c *copyBuf) timestamptz(t time.Time) {
	const y2k = 946_684_800 * 1_000_000
	c.int8(t.Unix()*1_000_000 + int64(t.Nanosecond())/1000 - y2k)
}

func (c *copyBuf) end() []byte { return binary.BigEndian.AppendUint16(c.b, 0xffff) }

// recordColumns are the columns copyRecords writes, in its order.
const recordColumns = `id, terminal, at, office, counter, operator, source, raw_text, verdict, reasons, serial,
	mark_fields, measured_weight_g, first_accepted, keyring_version, tariffs_version, revocations_version,
	review_state, message, received_at, verification, why, digest, tracking, contract, disputed, questioned`

// copyRecords inserts the records whose keys were fresh (in the caller's
// order) with one binary COPY. Seal has been called on each.
func copyRecords(ctx context.Context, tx pgx.Tx, terminal string, recs []hub.Record, order []int, fresh []bool, now time.Time) error {
	c := newCopyBuf(64 + 700*len(order))
	for j, i := range order {
		if !fresh[j] {
			continue
		}
		r := &recs[i]
		reasons, serial, fields, first := hub.EncodeJSONColumns(r)
		tracking, contract := hub.MarkColumns(r)
		c.row(27)
		c.text(r.ID)
		c.text(terminal)
		c.timestamptz(r.At)
		c.int8(int64(r.Office))
		c.text(r.Counter)
		c.text(r.Operator)
		c.text(r.Source)
		c.text(r.Text)
		c.text(string(r.Verdict))
		c.text(reasons)
		c.int8OrNull(serial)
		c.textOrNull(fields)
		c.int4(int32(r.MeasuredWeightG))
		c.textOrNull(first)
		c.text(r.Versions.Keyring)
		c.text(r.Versions.Tariffs)
		c.text(r.Versions.Revocations)
		c.text(string(r.Review))
		c.text(r.Message)
		c.timestamptz(now)
		c.text(string(r.Verification))
		c.text(r.Why)
		c.text(r.Digest)
		c.int8OrNull(tracking)
		c.int8OrNull(contract)
		c.textOrNull(hub.DisputedColumn(r))
		c.textOrNull(hub.QuestionedColumn(r))
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(c.end()),
		`COPY records(`+recordColumns+`) FROM STDIN (FORMAT binary)`); err != nil {
		return hub.Unavailable("insert records", err)
	}
	return nil
}

// copyMin is the smallest batch of keys or serial uses copied in
// optimistically: below it the savepoint's round trips cost more than
// COPY saves.
const copyMin = 64

// copyNew copies rows that should all be new into a table with a unique
// key, in a savepoint: without ON CONFLICT's check of each row before
// its insert, and heap pages filled a page at a time. It reports false,
// with the savepoint rolled back, when a row was there already (a
// repeated upload, a serial used before): the caller then inserts the
// rows the careful way, row by row against the key.
func copyNew(ctx context.Context, tx pgx.Tx, what, sql string, data []byte) (bool, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return false, hub.Unavailable(what, err)
	}
	_, err = sp.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(data), sql)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		if err := sp.Rollback(ctx); err != nil {
			return false, hub.Unavailable(what, err)
		}
		return false, nil
	}
	if err != nil {
		return false, hub.Unavailable(what, err)
	}
	if err := sp.Commit(ctx); err != nil {
		return false, hub.Unavailable(what, err)
	}
	return true, nil
}

// copyKeys claims the keys of a batch that should all be new (copyNew).
func copyKeys(ctx context.Context, tx pgx.Tx, terminal string, ids []string, ats []time.Time) (bool, error) {
	c := newCopyBuf(64 + 64*len(ids))
	for i, id := range ids {
		c.row(3)
		c.text(terminal)
		c.text(id)
		c.timestamptz(ats[i])
	}
	return copyNew(ctx, tx, "insert record keys", `COPY record_keys(terminal, id, at) FROM STDIN (FORMAT binary)`, c.end())
}

// copyUses makes serials count as used that no record used before (copyNew).
func copyUses(ctx context.Context, tx pgx.Tx, uses []use) (bool, error) {
	c := newCopyBuf(64 + 96*len(uses))
	for _, u := range uses {
		c.row(6)
		c.int8(u.serial)
		c.text(u.recordID)
		c.text(u.terminal)
		c.int8(u.office)
		c.text(u.counter)
		c.timestamptz(u.at)
	}
	return copyNew(ctx, tx, "insert used serials", `COPY used_serials(serial, record_id, terminal, office, counter, at) FROM STDIN (FORMAT binary)`, c.end())
}
