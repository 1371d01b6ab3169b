package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"markd/mark"
)

// TestCheckNotAtOpen: a broken reference no longer fails every open (that
// read the whole file each time); Check, run by `markd doctor --deep`,
// finds it and names the table.
func TestCheckNotAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	ctx := context.Background()
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("fresh store: %v", err)
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA foreign_keys = OFF`,
		`INSERT INTO used_serials(serial, record_id) VALUES (7, 'nowhere')`,
		`PRAGMA foreign_keys = ON`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close()
	db.Close()

	db, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("reopen ran a full check: %v", err)
	}
	defer db.Close()
	err = db.Check(ctx)
	if !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("check: %v, want ErrInvalid", err)
	}
	t.Log(err)
}

// TestDayStatsRollup: closed days are kept in day_rollup and read from
// there; a scan written into a rolled-up day later (an import of old
// scans) drops that day's row, and the next count includes it; the open
// day (today) is always counted from the scans.
func TestDayStatsRollup(t *testing.T) {
	db := rvOpen(t) // clock 2026-11-25 12:00 UTC
	rvFixture(t, db)
	ctx := context.Background()
	loc := time.FixedZone("MSK", 3*3600)
	from, to := time.Date(2026, 11, 23, 0, 0, 0, 0, loc), time.Date(2026, 11, 27, 0, 0, 0, 0, loc)
	sum := func() map[string]int {
		t.Helper()
		got, err := db.DayStats(ctx, from, to, loc)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, c := range got {
			m[c.Day+" "+string(c.Verdict)+" "+string(c.Reason)] += c.N
		}
		return m
	}
	rolled := func() []string { return rollupDays(t, db, "MSK") }
	first := sum()
	if got := rolled(); len(got) != 2 || got[0] != "2026-11-23" || got[1] != "2026-11-24" {
		t.Fatalf("rolled-up days %v, want the closed ones 2026-11-23, 2026-11-24", got)
	}
	if first["2026-11-24 ACCEPT "] != 1 || first["2026-11-25 NOT_A_MARK "] != 1 {
		t.Fatalf("counts %v", first)
	}
	// Served from the rollup: a changed row there shows (and proves it is read).
	if _, err := db.SQL().Exec(`UPDATE day_rollup SET counts = '[["ACCEPT","[]",5]]' WHERE day = '2026-11-24'`); err != nil {
		t.Fatal(err)
	}
	if got := sum()["2026-11-24 ACCEPT "]; got != 5 {
		t.Fatalf("rolled-up day counted %d, want the stored 5", got)
	}
	// A late scan into 2026-11-24 (MSK) drops the row; recounted from the scans.
	rvInsert(t, db, mark.Record{ID: "late", At: time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC), Office: 426000, Counter: "A",
		Text: "EPM1:LATE", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonExpired}})
	if got := rolled(); len(got) != 1 || got[0] != "2026-11-23" {
		t.Fatalf("after a late scan: rolled-up days %v, want only 2026-11-23", got)
	}
	after := sum()
	if after["2026-11-24 ACCEPT "] != 1 || after["2026-11-24 REJECT EXPIRED"] != 2 {
		t.Fatalf("after a late scan: %v", after)
	}
	// Today grows with every scan (never rolled up).
	rvInsert(t, db, mark.Record{ID: "now", At: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), Office: 426000, Counter: "A",
		Text: "x", Verdict: mark.NotAMark})
	if got := sum()["2026-11-25 NOT_A_MARK "]; got != 2 {
		t.Fatalf("today: %d NOT_A_MARK, want 2", got)
	}
}

// TestReviewCountBounded: the review count stops at ReviewCountLimit and
// says there are more; the page itself is unaffected.
func TestReviewCountBounded(t *testing.T) {
	db, _ := scOpen(t)
	n := ReviewCountLimit + 5
	recs := make([]*mark.Record, n)
	for i := range recs {
		recs[i] = scRec(uint64(i+1), "A", t0.Add(time.Duration(i)*time.Second), mark.Reject, mark.ReasonUnderpaid)
	}
	if err := db.SaveBatch(context.Background(), recs, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    ReviewFilter
		want int
		more bool
	}{
		{ReviewFilter{Limit: 10}, ReviewCountLimit, true},
		{ReviewFilter{Limit: 10, From: t0, To: t0.Add(100 * time.Second)}, 100, false},
	} {
		p, err := db.ListReview(context.Background(), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != tc.want || p.More != tc.more || len(p.Records) != 10 {
			t.Fatalf("%+v: total %d more %v rows %d, want %d %v 10", tc.f, p.Total, p.More, len(p.Records), tc.want, tc.more)
		}
	}
}

// TestOutboxFloor: the outbox reads from a floor instead of an index of
// its own; uploads move it up, a record written below it (a clock set
// back, a preset id) moves it down, and no pending record is ever missed.
func TestOutboxFloor(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	for i := 10; i < 20; i++ {
		rvInsert(t, db, obRecord(i, mark.Accept, uint64(i)))
	}
	floor := func() string {
		t.Helper()
		f, err := uploadFloor(ctx, db.SQL())
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	pending := func() []string {
		t.Helper()
		recs, err := db.PendingUploads(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		st, err := db.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != len(recs) {
			t.Fatalf("outbox stats %d records, pending uploads %d", st.Records, len(recs))
		}
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if got := pending(); len(got) != 10 {
		t.Fatalf("pending %v", got)
	}
	// Upload 10..14 and, out of order, 16: the floor stops at 15.
	if err := db.CompleteUpload(ctx, UploadDone{RecordIDs: []string{"0190-0010", "0190-0011", "0190-0012", "0190-0013", "0190-0014", "0190-0016"}}); err != nil {
		t.Fatal(err)
	}
	if f := floor(); f != "0190-0015" {
		t.Fatalf("floor %q, want the first pending 0190-0015", f)
	}
	if got := pending(); len(got) != 4 || got[0] != "0190-0015" || got[1] != "0190-0017" {
		t.Fatalf("pending %v", got)
	}
	// A record below the floor (a clock set back) lowers it.
	rvInsert(t, db, obRecord(3, mark.Accept, 3))
	if f := floor(); f != "0190-0003" {
		t.Fatalf("floor %q after a record below it, want 0190-0003", f)
	}
	if got := pending(); len(got) != 5 || got[0] != "0190-0003" {
		t.Fatalf("pending %v", got)
	}
	// Everything uploaded: the floor passes the newest; a new record shows.
	if err := db.CompleteUpload(ctx, UploadDone{RecordIDs: []string{"0190-0003", "0190-0015", "0190-0017", "0190-0018", "0190-0019"}}); err != nil {
		t.Fatal(err)
	}
	if f := floor(); f != "0190-0019" {
		t.Fatalf("floor %q with nothing pending, want the newest 0190-0019", f)
	}
	if got := pending(); len(got) != 0 {
		t.Fatalf("pending %v", got)
	}
	rvInsert(t, db, obRecord(20, mark.Accept, 20))
	if got := pending(); len(got) != 1 || got[0] != "0190-0020" {
		t.Fatalf("pending %v", got)
	}
}

// TestAfterInsertsBulk: a transaction of many scans (the bulk path) drops
// the day rollups its scans fall into and lowers the upload floor to its
// smallest id, as the one-scan path does (TestDayStatsRollup,
// TestOutboxFloor), once for the whole transaction (migration 061).
func TestAfterInsertsBulk(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t) // clock 2026-11-25 12:00 UTC
	loc := time.UTC
	for i := 50; i < 60; i++ { // 2026-11-24, uploaded
		rvInsert(t, db, obRecord(i, mark.Accept, uint64(i)))
	}
	if err := db.CompleteUpload(ctx, UploadDone{RecordIDs: []string{"0190-0050", "0190-0051", "0190-0052", "0190-0053",
		"0190-0054", "0190-0055", "0190-0056", "0190-0057", "0190-0058", "0190-0059"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DayStats(ctx, time.Date(2026, 11, 22, 0, 0, 0, 0, loc), time.Date(2026, 11, 25, 0, 0, 0, 0, loc), loc); err != nil {
		t.Fatal(err)
	}
	days := func() []string { return rollupDays(t, db, "UTC") }
	if got := days(); len(got) != 3 {
		t.Fatalf("rolled-up days %v, want 2026-11-22..24", got)
	}
	// 20 late scans on 2026-11-23 with ids below the floor, in one batch.
	var recs []*mark.Record
	for i := 20; i < 40; i++ {
		r := obRecord(i, mark.Reject, 0)
		r.At = time.Date(2026, 11, 23, 9, i, 0, 0, time.UTC)
		recs = append(recs, &r)
	}
	if err := db.SaveBatch(ctx, recs, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := days(); len(got) != 2 || got[0] != "2026-11-22" || got[1] != "2026-11-24" {
		t.Fatalf("after the batch: rolled-up days %v, want 2026-11-22 and 2026-11-24", got)
	}
	floor, err := uploadFloor(ctx, db.SQL())
	if err != nil {
		t.Fatal(err)
	}
	if floor != "0190-0020" {
		t.Fatalf("floor %q after the batch, want its smallest id 0190-0020", floor)
	}
	got, err := db.DayStats(ctx, time.Date(2026, 11, 23, 0, 0, 0, 0, loc), time.Date(2026, 11, 24, 0, 0, 0, 0, loc), loc)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range got {
		if c.Reason == "" {
			n += c.N
		}
	}
	if n != 20 {
		t.Fatalf("2026-11-23 counted %d scans, want the batch's 20", n)
	}
}

// rollupDays lists the days of zone kept in day_rollup, in order.
func rollupDays(t *testing.T, db *DB, zone string) []string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT day FROM day_rollup WHERE zone = ? ORDER BY day`, zone)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var days []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		days = append(days, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return days
}
