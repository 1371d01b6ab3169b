package pgstore

import (
	"context"
	"reflect"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/mark"
)

// TestCopyRecordsRoundTrip: what copyRecords writes in COPY's binary
// format reads back as the record sent: NULLs, empty and non-ASCII
// texts, times before 2000 and before 1970 with nanoseconds (kept to the
// microsecond, truncated as pgx truncates), every column.
func TestCopyRecordsRoundTrip(t *testing.T) {
	s := open(t)
	defer s.Close()
	testNow := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	ctx := context.Background()
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "a", Office: 426000, Created: testNow}); err != nil {
		t.Fatal(err)
	}
	msk := time.FixedZone("MSK", 3*3600)
	full := hubtest.Rec("full", 426000, "7", mark.Reject, 9001)
	full.At = time.Date(2026, 11, 24, 9, 0, 0, 123456789, msk)
	full.Operator, full.Message, full.MeasuredWeightG = "Иванова", "вес 35 г ✓ \"кавычки\" \\ <>&", -2147483648
	full.Mark.Tracking = 42600000000015
	full.FirstAccepted = &mark.Acceptance{RecordID: "r0", At: full.At.Add(-time.Hour), Office: 101000, Counter: "2"}
	bare := hubtest.Rec("bare", 426000, "", mark.NotAMark, 0)
	bare.At, bare.Text, bare.Source = time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), "", ""
	old := hubtest.Rec("old", 426000, "1", mark.Accept, 9002)
	old.At, old.MeasuredWeightG = time.Date(1999, 12, 31, 23, 59, 59, 500, time.UTC), 2147483647
	sent := []hub.Record{full, bare, old}
	q := hub.UploadRequest{Records: append([]hub.Record(nil), sent...)}
	if resp, err := s.Ingest(ctx, "a", &q, testNow); err != nil || resp.Stored != 3 {
		t.Fatalf("ingest: %+v %v", resp, err)
	}
	for i, want := range sent {
		got, err := s.Record(ctx, "a", want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Terminal != "a" || !got.ReceivedAt.Equal(testNow) {
			t.Errorf("%s: terminal %q received %v", want.ID, got.Terminal, got.ReceivedAt)
		}
		want.At = want.At.Truncate(time.Microsecond).UTC()
		if a := want.FirstAccepted; a != nil {
			c := *a
			c.At = c.At.UTC() // JSON in a text column: to the nanosecond
			want.FirstAccepted = &c
		}
		sealed := q.Records[i]
		want.Verification, want.Why, want.Digest = sealed.Verification, sealed.Why, sealed.Digest
		if got.FirstAccepted != nil {
			got.FirstAccepted.At = got.FirstAccepted.At.UTC()
		}
		if !reflect.DeepEqual(got.Record, want) {
			t.Errorf("%s:\n got %+v %+v %+v\nwant %+v %+v %+v", want.ID, got.Record, got.Mark, got.FirstAccepted, want, want.Mark, want.FirstAccepted)
		}
	}
}
