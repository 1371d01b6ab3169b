package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"markd/decode"
	"markd/mark"
)

// TestRescanNormalised: the same mark rescanned in lower case, with a
// trailing space or an AIM prefix at the same counter within the window
// is DUPLICATE_SCAN (it was REUSED when raw bytes were compared); another
// counter, or after the window, is REUSED.
func TestRescanNormalised(t *testing.T) {
	m := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 4711, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9820, ValidUntil: 9910}
	var sig [mark.SigSize]byte
	sig[0], sig[63] = 7, 9
	text := decode.Encode(decode.EncodeBody(m), sig)
	rec := func(text, counter string, at time.Time) *mark.Record {
		mm := m
		return &mark.Record{At: at, Office: 426000, Counter: counter, Source: "test", Text: text, Verdict: mark.Accept, Mark: &mm}
	}
	tests := []struct {
		name    string
		text    string
		counter string
		after   time.Duration
		want    mark.Verdict
	}{
		{"same bytes", text, "1", time.Minute, mark.DuplicateScan},
		{"lower case", "EPM1:" + strings.ToLower(text[5:]), "1", time.Minute, mark.DuplicateScan},
		{"trailing space", text + " ", "1", time.Minute, mark.DuplicateScan},
		{"AIM prefix", "]Q1" + text, "1", time.Minute, mark.DuplicateScan},
		{"other counter", "EPM1:" + strings.ToLower(text[5:]), "2", time.Minute, mark.Reject},
		{"after the window", text + " ", "1", time.Hour, mark.Reject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := scOpen(t)
			ctx := context.Background()
			first := rec(text, "1", t0)
			if err := db.Save(ctx, first, 10*time.Minute); err != nil || first.Verdict != mark.Accept {
				t.Fatalf("first: %v %v", first.Verdict, err)
			}
			again := rec(tt.text, tt.counter, t0.Add(tt.after))
			if err := db.Save(ctx, again, 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			if again.Verdict != tt.want {
				t.Fatalf("verdict %s, want %s (reasons %v)", again.Verdict, tt.want, again.Reasons)
			}
		})
	}
}
