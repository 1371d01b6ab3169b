package main

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// encodeRunLine is what verdictPrinter writes through encoding/json.
func encodeRunLine(t testing.TB, line int, rec *mark.Record) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(runLine{verifyLine: verifyOutput(line, rec), ID: rec.ID, At: rec.At,
		Counter: rec.Counter, Source: rec.Source}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestAppendRunLine(t *testing.T) {
	m := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 77, Contract: 1004417, MailClass: 2, WeightG: 20,
		TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9890, Tracking: 42600000000015}
	at := time.Date(2026, 11, 25, 7, 0, 0, 120000000, time.UTC)
	msk := time.FixedZone("MSK", 3*3600)
	for _, tc := range []struct {
		name string
		rec  mark.Record
		fast bool
	}{
		{"accept", mark.Record{ID: "0193a4b2-1234-7abc-8def-0123456789ab", At: at, Counter: "1", Source: "stdin",
			Verdict: mark.Accept, Reasons: []mark.Reason{}, Mark: &m}, true},
		{"nil reasons", mark.Record{ID: "x", At: at, Counter: "1", Verdict: mark.Accept, Mark: &m}, true},
		{"reject, zone, whole second", mark.Record{ID: "y", At: at.Truncate(time.Second).In(msk), Counter: "k 2",
			Source: "serial:front", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid, "OVERWEIGHT"}, Mark: &m}, true},
		{"not a mark, message", mark.Record{At: at, Counter: "1", Verdict: mark.NotAMark, Reasons: []mark.Reason{},
			Message: "line of 5000 bytes, longer than any mark: stored cut to its first 4096"}, true},
		{"error, Cyrillic message", mark.Record{At: at, Counter: "1", Verdict: mark.Error, Message: "не записано <&>"}, false},
		{"first accepted", mark.Record{ID: "z", At: at, Counter: "1", Verdict: mark.DuplicateScan, Mark: &m,
			FirstAccepted: &mark.Acceptance{RecordID: "a", At: at, Office: 426000, Counter: "1"}}, false},
		{"quote in counter", mark.Record{At: at, Counter: `a"b`, Verdict: mark.Accept}, false},
		{"year 10000", mark.Record{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Counter: "1", Verdict: mark.Accept}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := appendRunLine([]byte("x"), 3, &tc.rec)
			if ok != tc.fast {
				t.Fatalf("fast path %v, want %v", ok, tc.fast)
			}
			if !ok {
				if string(got) != "x" {
					t.Errorf("refused but appended %q", got)
				}
				return
			}
			if want := "x" + encodeRunLine(t, 3, &tc.rec); string(got) != want {
				t.Errorf("appendRunLine\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzAppendRunLine: whatever appendRunLine writes is what the encoder writes.
func FuzzAppendRunLine(f *testing.F) {
	f.Add("ACCEPT", "UNDERPAID", "", "id-1", "1", "stdin", int64(1764054000123456789), uint64(5))
	f.Add("ERROR", "", "не записано", "", "к", "", int64(0), uint64(0))
	f.Fuzz(func(t *testing.T, verdict, reason, msg, id, counter, source string, ns int64, serial uint64) {
		rec := mark.Record{Verdict: mark.Verdict(verdict), Message: msg, ID: id, Counter: counter, Source: source,
			At: time.Unix(0, ns).UTC()}
		if reason != "" {
			rec.Reasons = []mark.Reason{mark.Reason(reason)}
		}
		if serial%2 == 1 {
			rec.Mark = &mark.Mark{Serial: serial, Issued: mark.Day(serial % 30000), ValidUntil: mark.Day(serial % 20000)}
		}
		got, ok := appendRunLine(nil, int(serial%1000), &rec)
		if !ok {
			return
		}
		if want := encodeRunLine(t, int(serial%1000), &rec); string(got) != want {
			t.Fatalf("appendRunLine\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkVerdictPrinter(b *testing.B) {
	m := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 123456789, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9900, Tracking: 42600000000015}
	rec := mark.Record{ID: "0193a4b2-1234-7abc-8def-0123456789ab", At: testdata.Now(), Office: 426000, Counter: "1",
		Source: "stdin", Verdict: mark.Accept, Mark: &m, Reasons: []mark.Reason{}}
	p := newVerdictPrinter(io.Discard)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.print(rec)
	}
}
