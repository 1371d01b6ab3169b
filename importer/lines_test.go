package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// TestRunRefusesLine: a JSON line whose scan the collector would refuse
// or hold back (a time ahead of this PC's clock or before 2020, a counter
// or source it does not take), or that is too long to read whole, stops
// the import naming the file, the line and what is wrong; the scans
// before it are stored, nothing of it. Before, such a line was stored: a
// scan stamped in 2062 for 2026 kept every later record of the counter
// from the collector until 2062, a counter of 200 bytes or " A" was set
// aside there, a JSON line over the limit said "unexpected EOF", and a
// key given twice (in any case) was taken as its last value, as the
// daemon's API does not.
func TestRunRefusesLine(t *testing.T) {
	now := testdata.Now()
	at := func(t time.Time) string { return t.Format(time.RFC3339) }
	tests := []struct {
		name string
		line func(text string) string // the second line of the file
		want string
	}{
		{"at ahead of the clock", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"at":%q}`, s, at(now.Add(time.Hour)))
		}, "at 2026-11-25T08:00:00Z: 1h0m0s after this PC's clock"},
		{"at years ahead", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"at":"2062-11-25T10:00:00+04:00"}`, s)
		}, "at 2062-11-25T10:00:00+04:00: "},
		{"at before 2020", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"at":"2019-12-31T23:00:00Z"}`, s)
		}, "at 2019-12-31T23:00:00Z: before 2020"},
		{"counter too long", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"counter":%q}`, s, strings.Repeat("x", mark.MaxNameLen+1))
		}, "must be at most 128 bytes"},
		{"counter with a space at its end", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"counter":"A "}`, s)
		}, `counter "A ": must not begin or end with a space`},
		{"counter with a tab", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"counter":"A\tB"}`, s)
		}, `counter "A\tB": must not hold a tab`},
		{"source too long", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"source":%q}`, s, strings.Repeat("s", mark.MaxNameLen+1))
		}, "source of 129 bytes: at most 128"},
		// encoding/json keeps the last of a key given twice, matching
		// keys without regard to case: the first text would be lost.
		{"text given twice", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"text":"EPM1:other"}`, s)
		}, `key "text" given twice`},
		{"text given twice in another case", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"Text":"EPM1:other"}`, s)
		}, `key "Text" given twice`},
		{"counter given twice", func(s string) string {
			return fmt.Sprintf(`{"counter":"A","text":%q,"COUNTER":"B"}`, s)
		}, `key "COUNTER" given twice`},
		{"JSON line too long", func(s string) string {
			return fmt.Sprintf(`{"text":%q,"source":"x"}`, strings.Repeat("A", maxLine))
		}, fmt.Sprintf("a line of %d bytes, more than %d", len(`{"text":"","source":"x"}`)+maxLine, maxLine)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, db, sign := setup(t)
			o.Name = "scans.jsonl"
			base := uint64(9_300_000 + 10*i)
			in := sign(base) + "\n" + tt.line(sign(base+1)) + "\n" + sign(base+2) + "\n"
			res, err := Run(context.Background(), strings.NewReader(in), o)
			var le *LineError
			if !errors.As(err, &le) || le.Line != 2 || !errors.Is(err, mark.ErrInvalid) ||
				!strings.HasPrefix(err.Error(), "scans.jsonl:2: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want a LineError of scans.jsonl line 2 wrapping mark.ErrInvalid, saying %s", err, tt.want)
			}
			if res.Stored != 1 {
				t.Errorf("stored %d, want the first line only", res.Stored)
			}
			if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept] != 1 || len(c) != 1 {
				t.Errorf("store counts %v %v, want 1 ACCEPT", c, err)
			}
		})
	}
}

// TestRunAtWithinClock: a scan stamped up to 10 minutes after this PC's
// clock (the collector's tolerance) is imported, and so is one without
// a time.
func TestRunAtWithinClock(t *testing.T) {
	o, db, sign := setup(t)
	now := testdata.Now()
	in := fmt.Sprintf(`{"text":%q,"at":%q}`+"\n"+`{"text":%q}`+"\n",
		sign(9_400_000), now.Add(AtAhead).Format(time.RFC3339Nano), sign(9_400_001))
	res, err := Run(context.Background(), strings.NewReader(in), o)
	if err != nil || res.Stored != 2 || res.Counts[mark.Accept] != 2 {
		t.Fatalf("result %+v %v, want 2 accepted", res, err)
	}
	if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept] != 2 {
		t.Errorf("store counts %v %v", c, err)
	}
}

// TestRunBlankJSONText: a JSON line whose text is blank is no scan, like
// a blank line: not stored and counted as blank. Before, the summary
// counted it as a stored NOT_A_MARK scan that the store never had
// ("imported 3 scans" for one row).
func TestRunBlankJSONText(t *testing.T) {
	o, db, sign := setup(t)
	in := `{"text":""}` + "\n" + `{"text":" \t","counter":"B"}` + "\n" + sign(9_500_000) + "\n"
	res, err := Run(context.Background(), strings.NewReader(in), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 1 || res.Blank != 2 || res.Counts[mark.Accept] != 1 || len(res.Counts) != 1 {
		t.Errorf("result %+v, want 1 stored (ACCEPT), 2 blank", res)
	}
	if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept] != 1 || len(c) != 1 {
		t.Errorf("store counts %v %v, want 1 ACCEPT", c, err)
	}
}

// TestRunOvertaken: an import resumed from a file's row stops, storing
// nothing, when another import of the file moved the row after it was
// read (store.ErrImportOvertaken); before, both stored the same lines.
func TestRunOvertaken(t *testing.T) {
	o, db, sign := setup(t)
	ctx := context.Background()
	var lines []string
	for i := range 6 {
		lines = append(lines, sign(uint64(9_600_000+i)))
	}
	file := strings.Join(lines, "\n") + "\n"
	half := int64(len(strings.Join(lines[:3], "\n")) + 1)
	first := &store.ImportMark{ID: "imp-1", Name: "scans.txt"}
	o.Mark, o.File, o.Name = first, strings.NewReader(file[:half]), "scans.txt"
	if res, err := Run(ctx, strings.NewReader(file[:half]), o); err != nil || res.Stored != 3 {
		t.Fatalf("first half: %+v %v", res, err)
	}
	found, err := db.Imports(ctx, int64(len(file)), HeadHash(strings.NewReader(file)))
	if err != nil || len(found) != 1 || found[0].Bytes != half {
		t.Fatalf("imports %+v %v", found, err)
	}
	resumed := found[0] // what a second run read
	moved := found[0]   // a first run goes on meanwhile (blank lines' mark)
	moved.Lines, moved.Bytes, moved.Prior = moved.Lines+1, moved.Bytes+1, moved.Bytes
	if err := db.MarkImport(ctx, &moved); err != nil {
		t.Fatal(err)
	}
	o.Mark, o.File = &resumed, strings.NewReader(file)
	rest := strings.NewReader(file)
	if _, err := rest.Seek(resumed.Bytes, 0); err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, rest, o)
	if !errors.Is(err, store.ErrImportOvertaken) || res.Stored != 0 {
		t.Fatalf("resumed run: %+v %v, want ErrImportOvertaken, nothing stored", res, err)
	}
	if c, err := db.Counts(ctx); err != nil || c[mark.Accept] != 3 || len(c) != 1 {
		t.Errorf("store counts %v %v, want the first half's 3 ACCEPT", c, err)
	}
}

// TestRunAtAhead: with Options.AtAhead (markd import --at-ahead, a PC
// whose clock is known to be behind) a line stamped after the clock is
// imported under its time; one before 2020 is refused still.
func TestRunAtAhead(t *testing.T) {
	o, db, sign := setup(t)
	o.AtAhead = true
	o.Name = "scans.jsonl"
	ahead := testdata.Now().Add(240 * 24 * time.Hour)
	in := fmt.Sprintf(`{"text":%q,"at":%q}`+"\n", sign(9_500_000), ahead.Format(time.RFC3339))
	res, err := Run(context.Background(), strings.NewReader(in), o)
	if err != nil || res.Stored != 1 {
		t.Fatalf("result %+v %v, want the line stamped ahead stored", res, err)
	}
	if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept]+c[mark.Reject] != 1 {
		t.Errorf("store counts %v %v, want one scan", c, err)
	}
	in = fmt.Sprintf(`{"text":%q,"at":"2019-12-31T23:00:00Z"}`+"\n", sign(9_500_001))
	if _, err := Run(context.Background(), strings.NewReader(in), o); !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("a line of 2019 with AtAhead: %v, want it refused", err)
	}
}
