package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"markd/decode"
	"markd/mark"
)

// RowParts are the columns of a scan's row that depend on nothing but its
// record: the time, and whether the mark is the one its text decodes to
// (markFields). markd import encodes them on the workers that judge the
// scans (EncodeRows), while the one writer stores the batch before: the
// writer is import's critical path, and these were ~1.5 µs of its ~11 µs a
// scan (docs/notes/perf.md). A part is used only for the record it was
// encoded from (the same mark, text and time); anything else is encoded by
// the writer as before.
type RowParts struct {
	mark   *mark.Mark // nil: no mark_fields encoded
	text   string
	at     time.Time
	atText string
	fields string // the mark_fields column of mark and text
}

// EncodeRows encodes the RowParts of recs[i] into parts[i] (len(parts) ≥
// len(recs)).
func EncodeRows(recs []mark.Record, parts []RowParts) {
	for i := range recs {
		r, p := &recs[i], &parts[i]
		*p = RowParts{}
		if !r.At.IsZero() {
			p.at, p.atText = r.At, formatTime(r.At)
		}
		if r.Mark != nil {
			p.mark, p.text, p.fields = r.Mark, r.Text, markFields(r.Text, r.Mark)
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

// fieldsFor is the mark_fields column of r (markFields): the part's when
// it was encoded from r's mark and text, else encoded now.
func (p *RowParts) fieldsFor(r *mark.Record) string {
	if p != nil && p.mark != nil && p.mark == r.Mark && p.text == r.Text {
		return p.fields
	}
	return markFields(r.Text, r.Mark)
}

// markFields is the mark_fields column of a scan with text and verified
// mark m (migration 060): "" when m is the mark text decodes to, as the
// verifier decoded it (the reader decodes it again: markOfRow), else m's
// fields as JSON (a record made elsewhere, e.g. by a test).
func markFields(text string, m *mark.Mark) string {
	if dm, err := textMark(text); err == nil && dm == *m {
		return ""
	}
	return string(m.Fields().AppendJSON(make([]byte, 0, 320)))
}

// textMark decodes the mark of a scan's text (decode.Text, decode.Body),
// without judging it.
func textMark(text string) (mark.Mark, error) {
	body, _, err := decode.Text(text)
	if err != nil {
		return mark.Mark{}, err
	}
	return decode.Body(body[:])
}

// markOfRow is the verified mark of a row read back from its mark_fields
// and raw_text columns, or nil when it has none (fields NULL); an error
// names the column that does not decode.
func markOfRow(fields sql.NullString, text string) (m *mark.Mark, col string, err error) {
	switch {
	case !fields.Valid || fields.String == "null":
		return nil, "", nil
	case fields.String == "":
		dm, err := textMark(text)
		if err != nil {
			return nil, "raw_text (mark_fields '')", err
		}
		return &dm, "", nil
	}
	f, ok := mark.ParseFieldsJSON(fields.String) // the upload reads every mark back
	if !ok {
		if err := json.Unmarshal([]byte(fields.String), &f); err != nil {
			return nil, "mark_fields", err
		}
	}
	fm, err := f.Mark()
	if err != nil {
		return nil, "mark_fields", err
	}
	return &fm, "", nil
}

// markColumns are the contract, mail_class and tariff_kop columns of a
// scan with mark m (NULL without one).
func markColumns(m *mark.Mark) (contract, class, kop any) {
	if m == nil {
		return nil, nil, nil
	}
	return int64(m.Contract), int64(m.MailClass), int64(m.TariffKop)
}

// atFor is the at column of r, as fieldsFor.
func (p *RowParts) atFor(r *mark.Record) string {
	if p != nil && p.atText != "" && p.at.Equal(r.At) {
		return p.atText
	}
	return formatTime(r.At)
}
