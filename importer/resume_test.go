package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"markd/mark"
	"markd/store"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestRunRecordsProgress: with Mark set, each stored batch records the
// lines done, their bytes and hash; a bad line leaves them at the line
// before it; a run from there goes on to the end of the file.
func TestRunRecordsProgress(t *testing.T) {
	o, db, _ := setup(t)
	ctx := context.Background()
	var b strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&b, "46000000%05d\n", i)
		if i%100 == 0 {
			b.WriteString("\n") // blank lines count as lines done
		}
	}
	good := b.String()
	content := good + "{\"bogus\":1}\n" + "4600000099999\n"
	imports := func(content string) []store.ImportMark {
		t.Helper()
		got, err := db.Imports(ctx, int64(len(content)), HeadHash(strings.NewReader(content)))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	o.Mark, o.File, o.Name, o.Size = &store.ImportMark{ID: "imp", Name: "scans.txt"}, strings.NewReader(content), "scans.txt", int64(len(content))
	res, err := Run(ctx, strings.NewReader(content), o)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 1516 || res.Stored != 1500 {
		t.Fatalf("Run: %+v %v", res, err)
	}
	got := imports(content)
	if len(got) != 1 || got[0].Lines != 1515 || got[0].Bytes != int64(len(good)) || got[0].Prefix != sha(good) ||
		got[0].Head != sha(good[:store.HeadSize]) || got[0].HeadLen != store.HeadSize || got[0].Scans != 1500 {
		t.Fatalf("imports after the bad line: %+v", got)
	}
	// the line corrected: the file goes on at it
	content = good + "4600000088888\n" + "4600000099999\n"
	prior, err := Continues(strings.NewReader(content), int64(len(content)), "scans.txt", imports(content))
	if err != nil || prior == nil || prior.Lines != 1515 || prior.Bytes != int64(len(good)) {
		t.Fatalf("Continues: %+v %v", prior, err)
	}
	o.Mark, o.File, o.Size = prior, strings.NewReader(content), int64(len(content))
	if res, err = Run(ctx, strings.NewReader(content[prior.Bytes:]), o); err != nil || res.Stored != 2 {
		t.Fatalf("resumed Run: %+v %v", res, err)
	}
	got = imports(content)
	if len(got) != 1 || got[0].ID != "imp" || got[0].Lines != 1517 || got[0].Bytes != int64(len(content)) || got[0].Prefix != sha(content) || got[0].Scans != 1502 {
		t.Fatalf("imports at the end: %+v", got)
	}
	if prior, err = Continues(strings.NewReader(content), int64(len(content)), "scans.txt", got); err != nil || prior == nil || prior.Bytes != int64(len(content)) {
		t.Errorf("Continues of a file imported to its end: %+v %v", prior, err)
	}
	c, err := db.Counts(ctx)
	if err != nil || c[mark.NotAMark] != 1502 {
		t.Errorf("store counts %v %v", c, err)
	}
}

// TestContinues: which recorded import a file goes on from, and where.
func TestContinues(t *testing.T) {
	rec := func(content string, lines int) store.ImportMark {
		return store.ImportMark{ID: "r" + fmt.Sprint(len(content)), Name: "old.txt", Lines: lines, Bytes: int64(len(content)), Prefix: sha(content)}
	}
	tests := []struct {
		name    string
		file    string
		cands   []store.ImportMark
		lines   int
		bytes   int64 // -1: continues none
		changed bool
	}{
		{"none recorded", "A\nB\n", nil, 0, -1, false},
		{"the longest of two", "A\nB\nC\n", []store.ImportMark{rec("A\n", 1), rec("A\nB\n", 2)}, 2, 4, false},
		{"another file's", "A\nX\nC\n", []store.ImportMark{rec("A\n", 1), rec("A\nB\n", 2)}, 1, 2, false},
		{"all of it", "A\nB\n", []store.ImportMark{rec("A\nB\n", 2)}, 2, 4, false},
		{"a last line without newline, ended now", "A\nB\nC\n", []store.ImportMark{rec("A\nB", 2)}, 2, 4, false},
		{"… ended with CR LF", "A\nB\r\nC\n", []store.ImportMark{rec("A\nB", 2)}, 2, 5, false},
		{"… and nothing after it", "A\nB\n", []store.ImportMark{rec("A\nB", 2)}, 2, 4, false},
		{"… that goes on", "A\nBC\n", []store.ImportMark{rec("A\nB", 2)}, 0, 0, true},
		{"longer than the file", "A\n", []store.ImportMark{rec("A\nB\n", 2)}, 0, -1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Continues(strings.NewReader(tc.file), int64(len(tc.file)), "new.txt", tc.cands)
			var ce *ChangedError
			switch {
			case tc.changed:
				if !errors.As(err, &ce) || !errors.Is(err, mark.ErrConflict) || ce.Line != 2 || !strings.Contains(err.Error(), "new.txt:2: ") {
					t.Errorf("%+v %v, want a ChangedError at line 2", got, err)
				}
			case err != nil:
				t.Errorf("error %v", err)
			case tc.bytes < 0 && got != nil:
				t.Errorf("continues %+v, want none", got)
			case tc.bytes >= 0 && (got == nil || got.Lines != tc.lines || got.Bytes != tc.bytes):
				t.Errorf("continues %+v, want %d lines, %d bytes", got, tc.lines, tc.bytes)
			}
		})
	}
}
