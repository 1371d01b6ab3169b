package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"markd/mark"
)

// ErrRecordAhead: the collector refused a record because it is stamped
// later than the collector's clock allows (the counter's clock ran ahead
// when it was scanned). The record is not at fault and is not set aside:
// it waits, with the records after it, until the collector's clock
// passes its time.
var ErrRecordAhead = errors.New("record stamped ahead of the collector's clock")

// AheadError names the record the upload waits on.
type AheadError struct {
	RecordID  string
	At        time.Time // the record's scan time (counter clock)
	Collector time.Time // the collector's clock when it refused it
}

func (e *AheadError) Error() string {
	return fmt.Sprintf("record %s is stamped %s, %s ahead of the collector's clock (%s): it and the records after it wait until the collector's clock passes it",
		e.RecordID, e.At.UTC().Format(time.RFC3339), e.At.Sub(e.Collector).Round(time.Second), e.Collector.UTC().Format(time.RFC3339))
}

func (e *AheadError) Unwrap() error { return ErrRecordAhead }

// ahead reports whether err is the collector refusing records[i].at of
// the request with ids because the record is stamped after the
// collector's clock (not before 2020 or its mark's issue, which no wait
// mends): then it returns i and the *AheadError (with its hint) that
// holds the upload at that record, else nil.
func (u *Uploader) ahead(ctx context.Context, err error, ids []string) (int, error) {
	var se *StatusError
	if err == nil || !errors.As(err, &se) || se.Code != http.StatusBadRequest || se.Date.IsZero() {
		return 0, nil
	}
	kind, i, ok := fieldIndex(se.Body.Field)
	if !ok || kind != "records" || i >= len(ids) || !strings.HasSuffix(se.Body.Field, "].at") {
		return 0, nil
	}
	rec, e := u.db.ReviewRecord(ctx, ids[i])
	if e != nil || !rec.At.After(se.Date) {
		return 0, nil
	}
	return i, mark.WithHint(&AheadError{RecordID: rec.ID, At: rec.At, Collector: se.Date},
		"set the counter's clock right (NTP); nothing is lost or set aside, and nothing needs re-sending")
}
