package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
)

// TestRunRefusesScanBeforeIssue: a line whose own time (at) is before the
// day before its mark's issue day in UTC+14 (mark.IssueFloor, the rule
// the collector refuses such a record by as a wrong clock, where it was
// set aside: sync's TestRecordBeforeIssueSetAside) ends the import with a
// LineError naming the line and the rule, and that line is not stored.
// Before, it was stored. The scans before it are stored, as for every bad
// line (a new run of the file, corrected, goes on there). At the floor
// itself the line is a scan the day before its issue day somewhere
// (NOT_YET_VALID) and is stored; a forged mark (its fields not uploaded,
// so the collector does not hold it to them) and a line without at are
// stored too.
func TestRunRefusesScanBeforeIssue(t *testing.T) {
	now := testdata.Now()
	day := mark.DayOf(now)
	issued := testdata.ValidMark(0, day).Issued
	floor := mark.IssueFloor(issued)
	keys, err := issuer.LoadKeys(testdata.Path(t, "issuer-keys.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	forger, err := issuer.Generate(keys[0].Alg, keys[0].ID, keys[0].ValidFrom, keys[0].ValidUntil)
	if err != nil {
		t.Fatal(err)
	}
	forge := func(serial uint64) string {
		text, err := forger.Sign(testdata.ValidMark(serial, day))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	line := func(text string, at time.Time) string {
		return fmt.Sprintf(`{"text":%q,"at":%q}`, text, at.Format(time.RFC3339Nano))
	}
	tests := []struct {
		name    string
		at      time.Time
		forged  bool
		refused bool
		verdict mark.Verdict
	}{
		{"a second before the floor", floor.Add(-time.Second), false, true, ""},
		{"a week before the issue day", issued.Time().AddDate(0, 0, -7), false, true, ""},
		{"the floor itself (the day before the issue day in UTC+14)", floor, false, false, mark.Reject},
		{"the issue day", issued.Time().Add(12 * time.Hour), false, false, mark.Accept},
		{"a forged mark a week before its issue day", issued.Time().AddDate(0, 0, -7), true, false, mark.Reject},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, db, sign := setup(t)
			o.Name = "scans.txt"
			text := sign(7_000_100)
			if tc.forged {
				text = forge(7_000_100)
			}
			var b strings.Builder
			fmt.Fprintln(&b, sign(7_000_001))
			fmt.Fprintln(&b, line(text, tc.at))
			fmt.Fprintln(&b, sign(7_000_002))
			res, err := Run(context.Background(), strings.NewReader(b.String()), o)
			c, cerr := db.Counts(context.Background())
			if cerr != nil {
				t.Fatal(cerr)
			}
			if !tc.refused {
				if err != nil || res.Stored != 3 || res.Counts[tc.verdict] != 1+2*btoi(tc.verdict == mark.Accept) {
					t.Fatalf("import: %+v, %v; want 3 stored, the line %s", res, err, tc.verdict)
				}
				return
			}
			var le *LineError
			var ie *IssueError
			if !errors.As(err, &le) || le.Line != 2 || !errors.As(err, &ie) || ie.Issued != issued || !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error %v, want a LineError of line 2 with an IssueError of %s", err, issued)
			}
			msg := err.Error()
			for _, want := range []string{"scans.txt:2: ", floor.UTC().Format(time.RFC3339), issued.String(), "UTC+14", "wrong clock"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if res.Stored != 1 || c[mark.Accept] != 1 || len(c) != 1 {
				t.Errorf("stored %+v, store %v; want the line before only", res, c)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
