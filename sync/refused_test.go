package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/mark"
)

// TestInvalidRowsSetAside: a record or review event the collector refuses
// as invalid does not block the outbox; it is set aside and the rest goes.
func TestInvalidRowsSetAside(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	var good []string
	for i := range 5 {
		good = append(good, addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0))
	}
	bad := addScan(t, db, strings.Repeat("c", 200), 426000, mark.Accept, 99, day0) // counter name too long for the collector
	for i := range 5 {
		good = append(good, addScan(t, db, "1", 426000, mark.Accept, uint64(i+10), day0))
	}
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 4}, nil, nil)
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := db.OutboxStats(ctx)
	if err != nil || st.Records != 0 || st.Refused != 1 {
		t.Fatalf("outbox = %+v, %v", st, err)
	}
	r, err := db.ReviewRecord(ctx, bad)
	if err != nil || r.Upload != mark.UploadRefused {
		t.Fatalf("bad record upload state %q, %v", r.Upload, err)
	}
	if s := stats(t, col.store); s.Records != int64(len(good)) {
		t.Fatalf("collector has %d records, want %d", s.Records, len(good))
	}

	// Review events: a decision on a record the collector never got (it
	// lost it) is skipped; the good decisions before and after it go.
	r1 := addScan(t, db, "1", 426000, mark.Reject, 201, day0)
	lost := addScan(t, db, "1", 426000, mark.Reject, 202, day0)
	r3 := addScan(t, db, "1", 426000, mark.Reject, 203, day0)
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// The counter moves to a new collector that has r1 and r3 but lost
	// "lost". The first of the three events goes alone (the second is
	// refused at index 1), then "lost" is refused at index 0 and skipped.
	col2 := newCollector(t, "office-a")
	if _, err := db.SQL().Exec(`UPDATE scans SET upload_state = 'pending' WHERE id IN (?, ?)`, r1, r3); err != nil {
		t.Fatal(err)
	}
	u2 := NewUploader(db, newClient(t, col2.srv.URL, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	if err := u2.Drain(ctx); err != nil { // r1 and r3 reach the new collector; lost does not
		t.Fatal(err)
	}
	for _, id := range []string{r1, lost, r3} {
		if err := db.ConfirmRejection(ctx, id, "boss", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := u2.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.OutboxStats(ctx); st.Events != 0 {
		t.Fatalf("events still pending: %+v", st)
	}
	for _, id := range []string{r1, r3} {
		if rec, err := col2.store.Record(ctx, "office-a", id); err != nil || rec.Review != mark.ReviewConfirmed {
			t.Fatalf("decision on %s at the collector: %q %v", id, rec.Review, err)
		}
	}
	if s := stats(t, col2.store); s.Events != 2 {
		t.Fatalf("collector events = %d, want 2", s.Events)
	}
}

func TestFieldIndex(t *testing.T) {
	tests := []struct {
		in   string
		kind string
		i    int
		ok   bool
	}{
		{"records[12].verdict", "records", 12, true}, {"events[0].record_id", "events", 0, true},
		{"records", "", 0, false}, {"records.office", "", 0, false}, {"records[x]", "", 0, false}, {"records[-1]", "", 0, false},
	}
	for _, tt := range tests {
		kind, i, ok := fieldIndex(tt.in)
		if kind != tt.kind || i != tt.i || ok != tt.ok {
			t.Errorf("fieldIndex(%q) = %q %d %v", tt.in, kind, i, ok)
		}
	}
}

// TestEventOnRefusedRecordSkipped: a decision on a record the collector
// refused does not block the decisions after it.
func TestEventOnRefusedRecordSkipped(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	bad := addScan(t, db, strings.Repeat("c", 200), 426000, mark.Reject, 7, day0)
	good := addScan(t, db, "1", 426000, mark.Reject, 8, day0)
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{bad, good} {
		if err := db.ConfirmRejection(ctx, id, "boss", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := db.OutboxStats(ctx)
	if st.Events != 0 || st.Refused != 1 {
		t.Fatalf("outbox = %+v", st)
	}
	if r, err := col.store.Record(ctx, "office-a", good); err != nil || r.Review != mark.ReviewConfirmed {
		t.Fatalf("decision after the refused one: %q %v", r.Review, err)
	}
}

func FuzzFieldIndex(f *testing.F) {
	for _, s := range []string{"records[12].verdict", "events[0]", "records", "[", "a[99999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		kind, i, ok := fieldIndex(field)
		if !ok {
			return
		}
		if i < 0 || !strings.HasPrefix(field, kind+"[") {
			t.Fatalf("fieldIndex(%q) = %q %d", field, kind, i)
		}
	})
}

// TestRecordsAheadOfCollectorHeld: records stamped while the counter's
// clock ran an hour ahead (set forward while offline) are refused by a
// collector whose clock has not reached them yet (records[i].at more than
// 10 min ahead). That is no fault of the records: they are not set aside
// but wait, the records before them go, and once the collector's clock
// passes them all of them go, none refused; meanwhile the upload says why
// it waits.
func TestRecordsAheadOfCollectorHeld(t *testing.T) {
	for _, batch := range []int{10, 2} { // one request; full batches through the pump
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) { recordsAheadHeld(t, batch) })
	}
}

func recordsAheadHeld(t *testing.T, batch int) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	hubNow := day0.Add(2 * time.Minute)
	col.now = func() time.Time { return hubNow }
	db := openCounter(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0.Add(time.Duration(i)*time.Second)))
	}
	for i := range 2 { // the clock an hour ahead
		ids = append(ids, addScan(t, db, "1", 426000, mark.Accept, uint64(i+10), day0.Add(time.Hour+time.Duration(i)*time.Second)))
	}
	ids = append(ids, addScan(t, db, "1", 426000, mark.Accept, 20, day0.Add(time.Minute))) // set right again
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: batch}, nil, nil)
	err := u.Drain(ctx)
	var ae *AheadError
	if !errors.Is(err, ErrRecordAhead) || !errors.As(err, &ae) || ae.RecordID != ids[3] || mark.Hint(err) == "" {
		t.Fatalf("drain with the collector's clock behind the records: %v (hint %q), want ErrRecordAhead naming %s",
			err, mark.Hint(err), ids[3])
	}
	if st, _ := db.OutboxStats(ctx); st.Records != 3 || st.Refused != 0 {
		t.Fatalf("outbox = %+v, want the three records from the one stamped ahead pending, none refused", st)
	}
	if s := stats(t, col.store); s.Records != 3 {
		t.Fatalf("collector has %d records, want the 3 before the one stamped ahead", s.Records)
	}
	if st := u.Status(ctx); st.OK || !strings.Contains(st.LastError, ids[3]) {
		t.Fatalf("status = %+v, want the held record named", st)
	}

	hubNow = day0.Add(time.Hour) // the collector's clock passed them
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.OutboxStats(ctx); st.Records != 0 || st.Refused != 0 {
		t.Fatalf("outbox = %+v, want all uploaded, none refused", st)
	}
	for _, id := range ids {
		if _, err := col.store.Record(ctx, "office-a", id); err != nil {
			t.Fatalf("record %s at the collector: %v", id, err)
		}
	}
}

// TestTerminalOfficeWrong: the collector registered this counter's
// terminal for another office than the counter's own (or the counter's
// office is set wrong). The collector refuses each record on
// records[i].office, but no record is at fault: none is set aside (before,
// the whole backlog went aside one request a record), the upload stops
// naming both offices, and once the registration is put right everything
// goes. A stray record of an office the counter had before is still set
// aside, and the rest go.
func TestTerminalOfficeWrong(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a") // registered for 426000
	db := openCounter(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, addScan(t, db, "1", 101000, mark.Accept, uint64(i+1), day0))
	}
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 10, Office: 101000}, nil, nil)
	err := u.Drain(ctx)
	if !errors.Is(err, ErrTerminalOffice) || !errors.Is(err, mark.ErrForbidden) || mark.Hint(err) == "" ||
		!strings.Contains(err.Error(), "101000") || !strings.Contains(err.Error(), "426000") {
		t.Fatalf("drain with the terminal registered for another office: %v (hint %q), want ErrTerminalOffice naming both",
			err, mark.Hint(err))
	}
	if st, _ := db.OutboxStats(ctx); st.Records != 3 || st.Refused != 0 {
		t.Fatalf("outbox = %+v, want all 3 pending, none set aside", st)
	}
	if st := u.Status(ctx); st.OK || !strings.Contains(st.LastError, "101000") {
		t.Fatalf("status = %+v, want the offices named", st)
	}

	// The registration put right (a collector that has office-b's
	// registration under this token stands for markhub terminal set).
	col2 := newCollector(t, "office-b") // 101000
	u2 := NewUploader(db, newClient(t, col2.srv.URL, "office-b"), UploaderOptions{BatchSize: 10, Office: 101000}, nil, nil)
	stray := addScan(t, db, "1", 190000, mark.Accept, 50, day0) // from when the counter was office 190000
	if err := u2.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.OutboxStats(ctx); st.Records != 0 || st.Refused != 1 {
		t.Fatalf("outbox = %+v, want none pending and the stray record set aside", st)
	}
	if r, err := db.ReviewRecord(ctx, stray); err != nil || r.Upload != mark.UploadRefused {
		t.Fatalf("stray record: %q %v", r.Upload, err)
	}
	for _, id := range ids {
		if _, err := col2.store.Record(ctx, "office-b", id); err != nil {
			t.Fatalf("record %s at the collector: %v", id, err)
		}
	}
}

// TestRecordBeforeIssueSetAside: a record stamped more than a day before
// its mark's issue day (in UTC+14; hub's checkAt, mark.IssueFloor), as
// markd import stored one from a file until it refused such a line, is
// refused by the collector as a wrong clock (400 naming records[i].at).
// It is not "ahead" (no wait mends it): it is set aside, and the records
// before and after it are uploaded; the outbox does not stall on it.
func TestRecordBeforeIssueSetAside(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	var good []string
	for i := range 3 {
		good = append(good, addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0))
	}
	issued := hubtest.TestMark(0, 426000).Issued
	bad := addScan(t, db, "1", 426000, mark.Reject, 99, issued.Time().AddDate(0, 0, -3))
	for i := range 3 {
		good = append(good, addScan(t, db, "1", 426000, mark.Accept, uint64(i+10), day0))
	}
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 4}, nil, nil)
	if err := u.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
	st, err := db.OutboxStats(ctx)
	if err != nil || st.Records != 0 || st.Refused != 1 {
		t.Fatalf("outbox = %+v, %v", st, err)
	}
	r, err := db.ReviewRecord(ctx, bad)
	if err != nil || r.Upload != mark.UploadRefused {
		t.Fatalf("bad record upload state %q, %v", r.Upload, err)
	}
	list, err := db.ListSetAside(ctx, 0, 10)
	if err != nil || len(list) != 1 || !strings.HasSuffix(list[0].Refusal.Field, "].at") || !strings.Contains(list[0].Refusal.Reason, "issue date") {
		t.Fatalf("set aside %+v %v", list, err)
	}
	t.Logf("set aside: %s: %s", list[0].Refusal.Field, list[0].Refusal.Reason)
	if s := stats(t, col.store); s.Records != int64(len(good)) {
		t.Fatalf("collector has %d records, want %d", s.Records, len(good))
	}
}
