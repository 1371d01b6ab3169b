package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/decode"
	"markd/mark"
)

// TestRescanNormalised: the same mark rescanned in lower case, with a
// trailing space or an AIM prefix at the same counter within the window
// is DUPLICATE_SCAN (it was REUSED when raw bytes were compared); another
// counter, or after the window, is REUSED. A rescan that step 4 now
// rejects (expired since midnight, heavier on the scale) is still the
// same letter scanned again: DUPLICATE_SCAN without reasons at the same
// counter within the window, its reasons and REUSED elsewhere.
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
	rejected := func(reasons ...mark.Reason) func(*mark.Record) {
		return func(r *mark.Record) { r.Verdict, r.Reasons = mark.Reject, reasons }
	}
	expired, heavier := rejected(mark.ReasonExpired), rejected(mark.ReasonOverweight)
	tests := []struct {
		name    string
		text    string
		counter string
		after   time.Duration
		judged  func(*mark.Record) // step 4 of the rescan, when it rejects
		want    mark.Verdict
		reasons []mark.Reason
	}{
		{"same bytes", text, "1", time.Minute, nil, mark.DuplicateScan, nil},
		{"lower case", "EPM1:" + strings.ToLower(text[5:]), "1", time.Minute, nil, mark.DuplicateScan, nil},
		{"trailing space", text + " ", "1", time.Minute, nil, mark.DuplicateScan, nil},
		{"AIM prefix", "]Q1" + text, "1", time.Minute, nil, mark.DuplicateScan, nil},
		{"other counter", "EPM1:" + strings.ToLower(text[5:]), "2", time.Minute, nil, mark.Reject, []mark.Reason{mark.ReasonReused}},
		{"after the window", text + " ", "1", time.Hour, nil, mark.Reject, []mark.Reason{mark.ReasonReused}},
		{"expired since", text, "1", 4 * time.Minute, expired, mark.DuplicateScan, nil},
		{"heavier on the scale", text, "1", 2 * time.Minute, heavier, mark.DuplicateScan, nil},
		{"expired, other counter", text, "2", 4 * time.Minute, expired, mark.Reject, []mark.Reason{mark.ReasonExpired, mark.ReasonReused}},
		{"expired, after the window", text, "1", time.Hour, expired, mark.Reject, []mark.Reason{mark.ReasonExpired, mark.ReasonReused}},
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
			if tt.judged != nil {
				tt.judged(again)
			}
			if err := db.Save(ctx, again, 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			if again.Verdict != tt.want || !slices.Equal(again.Reasons, tt.reasons) && len(again.Reasons)+len(tt.reasons) > 0 {
				t.Fatalf("verdict %s %v, want %s %v", again.Verdict, again.Reasons, tt.want, tt.reasons)
			}
			stored, err := db.Get(ctx, again.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantReview := mark.ReviewNone
			if tt.want == mark.Reject {
				wantReview = mark.ReviewPending
			}
			if stored.Verdict != tt.want || stored.Review != wantReview {
				t.Errorf("stored %s, review %q; want %s, review %q", stored.Verdict, stored.Review, tt.want, wantReview)
			}
		})
	}
}
