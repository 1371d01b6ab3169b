package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/mark"
)

// TestRetentionDropsMonths: records of three months go to three
// partitions; DropBefore drops the whole months before the cutoff's month
// and their keys, keeps the serial uses (a used serial stays used), and a
// lookup still finds what is left.
func TestRetentionDropsMonths(t *testing.T) {
	s := open(t).(*DB)
	defer s.Close()
	ctx := context.Background()
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "office-a", Office: 426000, Created: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	var recs []hub.Record
	for i, at := range []time.Time{
		time.Date(2026, 9, 30, 23, 59, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC),
	} {
		r := hubtest.Rec("r"+string(rune('0'+i)), 426000, "1", mark.Accept, uint64(100+i))
		r.At = at
		recs = append(recs, r)
	}
	if _, err := s.Ingest(ctx, "office-a", &hub.UploadRequest{Records: recs}, recs[3].At); err != nil {
		t.Fatal(err)
	}
	months, err := s.Months(ctx)
	if err != nil || strings.Join(months, ",") != "records_y2026m09,records_y2026m10,records_y2026m11" {
		t.Fatalf("partitions: %v %v", months, err)
	}
	n, err := s.DropBefore(ctx, time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 2 {
		t.Fatalf("DropBefore: %d %v, want 2 months", n, err)
	}
	months, _ = s.Months(ctx)
	if strings.Join(months, ",") != "records_y2026m11" {
		t.Fatalf("partitions after retention: %v", months)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Records != 1 || st.UsedSerials != 4 {
		t.Fatalf("after retention: %+v %v, want 1 record and the 4 serial uses kept", st, err)
	}
	var keys int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM record_keys`).Scan(&keys); err != nil || keys != 1 {
		t.Fatalf("record keys after retention: %d %v", keys, err)
	}
	if got, err := s.Lookup(ctx, hub.BySerial, "103", 10); err != nil || len(got) != 1 || got[0].ID != "r3" {
		t.Fatalf("lookup after retention: %+v %v", got, err)
	}
	// A month dropped comes back when a late record of it arrives, also on
	// an instance that still believes the month is there.
	s.months.Store("records_y2026m10", true)
	late := hubtest.Rec("late", 426000, "1", mark.Accept, 200)
	late.At = time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	if _, err := s.Ingest(ctx, "office-a", &hub.UploadRequest{Records: []hub.Record{late}}, recs[3].At); err != nil {
		t.Fatalf("late record of a dropped month: %v", err)
	}
}

// TestRetentionDropsLeftovers: a month detached by a retention run that
// stopped before dropping it is dropped by the next run, and a late record
// of a detached month gets a new partition of the old name meanwhile.
func TestRetentionDropsLeftovers(t *testing.T) {
	s := open(t).(*DB)
	defer s.Close()
	ctx := context.Background()
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "office-a", Office: 426000, Created: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	rec := func(id string, at time.Time) hub.Record {
		r := hubtest.Rec(id, 426000, "1", mark.Accept, uint64(len(id)*1000+at.Day()))
		r.At = at
		return r
	}
	sep, nov := time.Date(2026, 9, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	if _, err := s.Ingest(ctx, "office-a", &hub.UploadRequest{Records: []hub.Record{rec("a", sep), rec("b", nov)}}, nov); err != nil {
		t.Fatal(err)
	}
	old, err := s.DetachMonth(ctx, "records_y2026m09")
	if err != nil || old != "records_y2026m09_detached" {
		t.Fatalf("detach: %q %v", old, err)
	}
	if _, err := s.Ingest(ctx, "office-a", &hub.UploadRequest{Records: []hub.Record{rec("late", sep.Add(time.Hour))}}, nov); err != nil {
		t.Fatalf("late record of a detached month: %v", err)
	}
	if _, err := s.DropBefore(ctx, time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname LIKE 'records_y2026m09%'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("September left after retention: %d tables %v", left, err)
	}
	if err := s.DropDetached(ctx, "records_y2026m11"); !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("DropDetached of an attached month: %v, want ErrInvalid", err)
	}
	if st, err := s.Stats(ctx); err != nil || st.Records != 1 {
		t.Fatalf("after retention: %+v %v, want November's record", st, err)
	}
}
