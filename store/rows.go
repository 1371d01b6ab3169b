package store

import (
	"context"
	"time"

	"markd/mark"
)

// RowParts are the columns of a scan's row that depend on nothing but its
// record: the mark's JSON and the time. markd import encodes them on the
// workers that judge the scans (EncodeRows), while the one writer stores
// the batch before: the writer is import's critical path, and these were
// ~1.5 µs of its ~11 µs a scan (docs/notes/perf.md). A part is used only
// for the record it was encoded from (the same mark and time); anything
// else is encoded by the writer as before.
type RowParts struct {
	mark   *mark.Mark
	at     time.Time
	atText string
	fields string
}

// EncodeRows encodes the RowParts of recs[i] into parts[i] (len(parts) ≥
// len(recs)).
func EncodeRows(recs []mark.Record, parts []RowParts) {
	var buf []byte
	for i := range recs {
		r, p := &recs[i], &parts[i]
		*p = RowParts{}
		if !r.At.IsZero() {
			p.at, p.atText = r.At, formatTime(r.At)
		}
		if r.Mark != nil {
			buf = r.Mark.Fields().AppendJSON(buf[:0])
			p.mark, p.fields = r.Mark, string(buf)
		}
	}
}

// partsKey carries the RowParts of a SaveBatchParts through the writer's
// transaction to saveBulk.
type partsKey struct{}

// SaveBatchParts is SaveBatch with parts[i] encoded (EncodeRows) from
// *recs[i]; a part that no longer fits its record is ignored.
func (d *DB) SaveBatchParts(ctx context.Context, recs []*mark.Record, parts []RowParts, window time.Duration) error {
	if len(parts) == len(recs) {
		ctx = context.WithValue(ctx, partsKey{}, parts)
	}
	return d.SaveBatch(ctx, recs, window)
}

// rowParts are the parts SaveBatchParts gave for recs, or nil.
func rowParts(ctx context.Context, n int) []RowParts {
	parts, _ := ctx.Value(partsKey{}).([]RowParts)
	if len(parts) != n {
		return nil
	}
	return parts
}

// fieldsFor is the mark_fields column of r: the part's when it was
// encoded from r's mark, else encoded now.
func (p *RowParts) fieldsFor(r *mark.Record) string {
	if p != nil && p.mark == r.Mark && p.fields != "" {
		return p.fields
	}
	return string(r.Mark.Fields().AppendJSON(make([]byte, 0, 320)))
}

// atFor is the at column of r, as fieldsFor.
func (p *RowParts) atFor(r *mark.Record) string {
	if p != nil && p.atText != "" && p.at.Equal(r.At) {
		return p.atText
	}
	return formatTime(r.At)
}
