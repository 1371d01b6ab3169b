package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"markd/internal/jsonkey"
	"markd/internal/testdata"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/store/storetest"
	"markd/verify"
)

// setup returns the options of an import into a new store (and the store),
// and a function that signs a valid mark with the given serial.
func setup(t *testing.T) (Options, *store.DB, func(serial uint64) string) {
	t.Helper()
	now := testdata.Now()
	db := storetest.Open(t, store.Options{Now: func() time.Time { return now }})
	opt := pipeline.Options{Verifier: verify.NewHolder(testdata.Verifier(t)), Office: 426000, Counter: "A",
		Location: time.UTC, RescanWindow: 10 * time.Minute, Now: func() time.Time { return now }}
	judge := pipeline.New(opt)
	opt.Store = db
	o := Options{Judge: judge, Open: func() (*pipeline.Pipeline, error) { return pipeline.New(opt), nil },
		Now: func() time.Time { return now }}
	signer, day := testdata.Signer(t), mark.DayOf(now)
	return o, db, func(serial uint64) string { return signer(testdata.ValidMark(serial, day)) }
}

// TestRun: every line of a file several batches long is stored in order
// with the verdict markd run gives it, blank lines are counted and not
// stored, and progress reaches the end.
func TestRun(t *testing.T) {
	o, db, sign := setup(t)
	const n = 1300 // MinBatch, then the rest
	var b strings.Builder
	for i := range n {
		fmt.Fprintln(&b, sign(uint64(9_000_000+i)))
	}
	fmt.Fprintln(&b, "")
	fmt.Fprintln(&b, sign(9_000_000))                                                     // again at the same counter: a duplicate scan
	fmt.Fprintf(&b, `{"text":%q,"counter":"B","source":"old-log"}`+"\n", sign(9_000_001)) // another counter: reused
	fmt.Fprintln(&b, "   ")
	fmt.Fprint(&b, "4600000000001") // a last line without '\n'
	var lastScans int
	var lastBytes int64
	o.Size = int64(b.Len())
	o.Progress = func(bytes int64, scans int) {
		if scans < lastScans || bytes < lastBytes {
			t.Errorf("progress went back: %d bytes %d scans after %d, %d", bytes, scans, lastBytes, lastScans)
		}
		lastBytes, lastScans = bytes, scans
	}
	res, err := Run(context.Background(), strings.NewReader(b.String()), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[mark.Verdict]int{mark.Accept: n, mark.DuplicateScan: 1, mark.Reject: 1, mark.NotAMark: 1}
	if res.Stored != n+3 || res.Blank != 2 || fmt.Sprint(res.Counts) != fmt.Sprint(want) {
		t.Errorf("result %+v, want %d stored, 2 blank, counts %v", res, n+3, want)
	}
	if lastScans != res.Stored || lastBytes < o.Size { // a last line without '\n' counts one byte more
		t.Errorf("last progress %d bytes, %d scans; want %d or more, %d", lastBytes, lastScans, o.Size, res.Stored)
	}
	c, err := db.Counts(context.Background())
	if err != nil || fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("store counts %v %v, want %v", c, err, want)
	}
	recs, _, err := db.List(context.Background(), store.Filter{Reasons: []mark.Reason{mark.ReasonReused}})
	if err != nil || len(recs) != 1 || recs[0].Counter != "B" || recs[0].Source != "old-log" {
		t.Errorf("reused record: %+v %v", recs, err)
	}
}

// TestRunStopsAtBadLine: a line that is not a scan ends the import with a
// LineError naming it; every scan before it is stored (the batches before
// and the part of its own batch read before it), nothing after it.
func TestRunStopsAtBadLine(t *testing.T) {
	o, db, sign := setup(t)
	before := MinBatch + 120 // one whole batch and part of the next
	var b strings.Builder
	for i := range before {
		fmt.Fprintln(&b, sign(uint64(8_000_000+i)))
	}
	fmt.Fprintln(&b, `{"text":"x","bogus":1}`)
	for i := range 10 {
		fmt.Fprintln(&b, sign(uint64(8_100_000+i)))
	}
	o.Name = "scans.txt"
	res, err := Run(context.Background(), strings.NewReader(b.String()), o)
	var le *LineError
	if !errors.As(err, &le) || le.Line != before+1 || le.File != o.Name || !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("error %v, want a LineError of %s line %d wrapping mark.ErrInvalid", err, o.Name, before+1)
	}
	if want := fmt.Sprintf("scans.txt:%d: ", before+1); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if res.Stored != before || res.Counts[mark.Accept] != before {
		t.Errorf("result %+v, want %d stored", res, before)
	}
	if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept] != before || len(c) != 1 {
		t.Errorf("store counts %v %v, want %d ACCEPT only", c, err, before)
	}
}

// failingReader gives r's bytes, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestRunReadFails: a file that cannot be read to its end ends the import
// with the read error naming the line it was reading; the whole lines
// before it are stored.
func TestRunReadFails(t *testing.T) {
	o, db, sign := setup(t)
	const whole = MinBatch + 40
	var b strings.Builder
	for i := range whole {
		fmt.Fprintln(&b, sign(uint64(7_000_000+i)))
	}
	b.WriteString(sign(7_100_000)[:50]) // a line cut by the failure
	eio := errors.New("input/output error")
	res, err := Run(context.Background(), &failingReader{strings.NewReader(b.String()), eio}, o)
	if !errors.Is(err, eio) || !strings.Contains(err.Error(), fmt.Sprintf("line %d", whole+1)) {
		t.Fatalf("error %v, want the read error naming line %d", err, whole+1)
	}
	if res.Stored != whole {
		t.Errorf("stored %d, want %d", res.Stored, whole)
	}
	if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept] != whole || len(c) != 1 {
		t.Errorf("store counts %v %v, want %d ACCEPT only", c, err, whole)
	}
}

// TestRunOpenFails: when the storing pipeline cannot be had the import
// ends with that error and stores nothing, however long the file.
func TestRunOpenFails(t *testing.T) {
	for _, lines := range []int{3, 3*Batch + 10} {
		t.Run(fmt.Sprint(lines), func(t *testing.T) {
			o, db, _ := setup(t)
			broken := errors.New("the store cannot be opened")
			o.Open = func() (*pipeline.Pipeline, error) { return nil, broken }
			in := strings.Repeat("4600000000001\n", lines)
			res, err := Run(context.Background(), strings.NewReader(in), o)
			if !errors.Is(err, broken) || res.Stored != 0 {
				t.Fatalf("Run: %+v, %v; want nothing stored and the open error", res, err)
			}
			if c, err := db.Counts(context.Background()); err != nil || len(c) != 0 {
				t.Errorf("store counts %v %v, want none", c, err)
			}
		})
	}
}

// TestRunCancelled: a cancelled import stops reading and returns ctx's
// error with what it stored.
func TestRunCancelled(t *testing.T) {
	o, _, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, strings.NewReader(strings.Repeat("4600000000001\n", 2*Batch)), o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %+v, %v; want context.Canceled", res, err)
	}
}

// TestParseLineRefuses: a line that is not one scan is refused naming
// what is wrong, never read in part.
func TestParseLineRefuses(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"two objects", `{"text":"EPM1:A"}{"text":"EPM1:B"}`, `"{\"text\":\"EPM1:B\"}" after the object`},
		{"trailing text", `{"text":"EPM1:A"} 7100000001`, `"7100000001" after the object`},
		{"negative weight", `{"text":"EPM1:A","measured_weight_g":-5}`, "measured_weight_g -5: must not be negative"},
		// stored, it was refused by the collector (over 2^31-1: set aside)
		{"weight over a scale's", `{"text":"EPM1:A","measured_weight_g":5000000000}`, "measured_weight_g 5000000000: more than 1000000 grams"},
		{"unknown field", `{"text":"EPM1:A","weight":5}`, `unknown field "weight"`},
		{"blank counter", `{"text":"EPM1:A","counter":"  "}`, `counter "  ": must not be blank`},
		// encoding/json matched "Text" to text: the line was stored as a scan
		{"key in another case", `{"Text":"EPM1:A"}`, `unknown key "Text" (did you mean "text"?)`},
		{"a long s", `{"text":"EPM1:A","ſource":"serial"}`, `unknown key "ſource" (did you mean "source"?)`},
		{"upper time", `{"text":"EPM1:A","AT":"2026-11-25T10:00:00Z"}`, `unknown key "AT" (did you mean "at"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := ParseLine(tt.line)
			if ok || !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ok %v err %v; want an ErrInvalid saying %s", ok, err, tt.want)
			}
		})
	}
	if sc, ok, err := ParseLine(`{"text":"EPM1:A"}` + " \r"); !ok || err != nil || sc.Text != "EPM1:A" {
		t.Fatalf("white space after the object: %+v %v %v", sc, ok, err)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"EPM1:AAAA", "", "  ", `{"text":"EPM1:A","at":"2026-11-25T10:00:00Z","counter":"B"}`,
		`{"text":1}`, `{"measured_weight_g":-1}`, "{", "4600000000001\r", `{"text":" "}`, `{"text":"EPM1:A","TEXT":"EPM1:B"}`,
		`{"Text":"EPM1:A"}`, `{"text":"EPM1:A","Measured_Weight_G":5}`, `{"text":"EPM1:A","counteR":"B"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		sc, ok, err := ParseLine(line)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) || ok {
				t.Fatalf("%q: err %v ok %v", line, err, ok)
			}
			return
		}
		// no scan: a blank line, or an object whose text is blank
		if tl := strings.TrimSpace(line); ok && tl == "" || !ok && tl != "" && !strings.HasPrefix(tl, "{") {
			t.Fatalf("%q: ok=%v", line, ok)
		}
		if ok && strings.TrimSpace(sc.Text) == "" && strings.HasPrefix(strings.TrimSpace(line), "{") {
			t.Fatalf("%q: a scan of blank text", line)
		}
		if sc.MeasuredWeightG < 0 {
			t.Fatalf("%q: negative weight", line)
		}
		if key := jsonkey.Twice([]byte(strings.TrimSpace(line))); ok && strings.HasPrefix(strings.TrimSpace(line), "{") && key != "" {
			t.Fatalf("%q: taken with the key %q given twice", line, key)
		}
		if ok && strings.HasPrefix(strings.TrimSpace(line), "{") {
			var keys map[string]json.RawMessage
			_ = json.Unmarshal([]byte(strings.TrimSpace(line)), &keys)
			for k := range keys {
				switch k {
				case "text", "at", "counter", "source", "measured_weight_g":
				default: // encoding/json takes "Text" as text
					t.Fatalf("%q: taken with the key %q, no field as spelt", line, k)
				}
			}
		}
	})
}

// TestBatchSize: full batches while much of the file is left, then a
// quarter of what is left, never below MinBatch; without a size (stdin)
// always full.
func TestBatchSize(t *testing.T) {
	const line = 173 // bytes of a mark's line
	tests := []struct {
		name       string
		size, read int64
		lines      int
		want       int
	}{
		{"stdin", 0, 5000 * line, 5000, Batch},
		{"nothing read yet", 40000 * line, 0, 0, MinBatch},
		{"stdin, nothing read yet", 0, 0, 0, MinBatch},
		{"much left", 40000 * line, 10000 * line, 10000, Batch},
		{"8000 left", 40000 * line, 32000 * line, 32000, Batch},
		{"6000 left", 40000 * line, 34000 * line, 34000, 1500},
		{"2400 left", 40000 * line, 37600 * line, 37600, 600},
		{"1000 left", 40000 * line, 39000 * line, 39000, MinBatch},
		{"all read", 40000 * line, 40000 * line, 40000, Batch},
	}
	for _, tc := range tests {
		if got := BatchSize(tc.size, tc.read, tc.lines); got != tc.want {
			t.Errorf("%s: BatchSize = %d, want %d", tc.name, got, tc.want)
		}
	}
	// A 40 000-line file ends in batches that shrink to MinBatch.
	var sizes []int
	for read := 0; read < 40000; {
		n := min(BatchSize(40000*line, int64(read)*line, read), 40000-read)
		sizes = append(sizes, n)
		read += n
	}
	if last := sizes[len(sizes)-1]; last > MinBatch || sizes[0] != MinBatch || sizes[1] != Batch {
		t.Errorf("batches %v: want %d first, %d next and at most %d last", sizes, MinBatch, Batch, MinBatch)
	}
	t.Logf("batches of a 40 000-line file: %v", sizes)
}

// TestRunByteOrderMark: a file that starts with a UTF-8 byte order mark
// (Windows Notepad) imports its first line as the scan it is, bare text or
// JSON, not as NOT_A_MARK with the mark's bytes behind it.
func TestRunByteOrderMark(t *testing.T) {
	tests := []struct {
		name  string
		first func(text string) string
	}{
		{"bare text", func(text string) string { return text }},
		{"JSON", func(text string) string { return fmt.Sprintf(`{"text":%q}`, text) }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, db, sign := setup(t)
			in := "\uFEFF" + tc.first(sign(uint64(9_100_000+i))) + "\r\n" + sign(uint64(9_200_000+i)) + "\r\n"
			res, err := Run(context.Background(), strings.NewReader(in), o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Stored != 2 || res.Counts[mark.Accept] != 2 {
				recs, _, _ := db.List(context.Background(), store.Filter{})
				t.Fatalf("result %+v, want 2 scans accepted: %+v", res, recs)
			}
			recs, _, err := db.List(context.Background(), store.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if strings.HasPrefix(r.Text, "\uFEFF") {
					t.Errorf("stored text %q keeps the byte order mark", r.Text)
				}
			}
		})
	}
}
