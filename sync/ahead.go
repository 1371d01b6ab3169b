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

// ErrTerminalOffice: the collector refused a record for the office the
// counter is set to, because it registered the counter's terminal for
// another office. No record is at fault and none is set aside: the
// registration (or the counter's office setting) must be put right.
var ErrTerminalOffice = errors.New("the collector registered this terminal for another office")

// OfficeError names the two offices.
type OfficeError struct {
	Counter uint32 // the counter's office (config office), its records'
	Why     string // the collector's words, naming the terminal's office
}

func (e *OfficeError) Error() string {
	return fmt.Sprintf("the collector refuses this counter's records for office %06d: %s", e.Counter, e.Why)
}

func (e *OfficeError) Unwrap() []error { return []error{ErrTerminalOffice, mark.ErrForbidden} }

// wrongOffice reports whether err is the collector refusing
// records[i].office of the request with ids for a record of the counter's
// own office: then the terminal's registration disagrees with the
// counter's office setting and it returns the *OfficeError (with its
// hint) that stops the upload, else nil.
func (u *Uploader) wrongOffice(ctx context.Context, err error, ids []string) error {
	var se *StatusError
	if u.o.Office == 0 || err == nil || !errors.As(err, &se) || se.Code != http.StatusBadRequest {
		return nil
	}
	kind, i, ok := fieldIndex(se.Body.Field)
	if !ok || kind != "records" || i >= len(ids) || !strings.HasSuffix(se.Body.Field, "].office") {
		return nil
	}
	rec, e := u.db.ReviewRecord(ctx, ids[i])
	if e != nil || rec.Office != u.o.Office {
		return nil // a record of another office than the counter's: that record is at fault
	}
	return mark.WithHint(&OfficeError{Counter: u.o.Office, Why: se.Body.Error},
		fmt.Sprintf("put the terminal's office right on the collector (markhub terminal set NAME --office %06d), "+
			"or this counter's office setting; no record is set aside, they go once the two agree", u.o.Office))
}
