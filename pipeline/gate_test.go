package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"markd/decode"
	"markd/mark"
	"markd/store"
)

// forge flips bit of the signature of a signed text.
func forge(t *testing.T, text string, bit int) string {
	t.Helper()
	body, sig, err := decode.Text(text)
	if err != nil {
		t.Fatal(err)
	}
	sig[bit/8] ^= 1 << (bit % 8)
	return decode.Encode(body, sig)
}

// deferSpy wraps the pipeline's verifier and counts the verifications that
// left a signature check to the pipeline.
type deferSpy struct {
	mark.Verifier
	deferred int
}

func (s *deferSpy) Verify(text string, c mark.Context) mark.Result {
	r := s.Verifier.Verify(text, c)
	if c.DeferSignature != nil && *c.DeferSignature != nil {
		s.deferred++
	}
	return r
}

// acceptToError is a guard like sync's freshness guard: it turns ACCEPT
// into ERROR and lets rejections pass.
type acceptToError struct{ mark.Verifier }

func (g acceptToError) Verify(text string, c mark.Context) mark.Result {
	r := g.Verifier.Verify(text, c)
	if r.Verdict == mark.Accept {
		r.Verdict, r.Message = mark.Error, "lists too old"
	}
	return r
}

// TestSignatureCheckedUnderCommit: scans go through the deferred check
// and the store's gate; a forged signature ends as the REJECT a plain
// verification gives (same reasons, no mark), stored once, with its serial
// left free, whatever the optimistic judgement was (ACCEPT, another
// REJECT, a guard's ERROR, an auto batch); good marks are accepted and
// durable.
func TestSignatureCheckedUnderCommit(t *testing.T) {
	tests := []struct {
		name     string
		serial   uint64
		forged   bool
		counter  string
		guard    bool
		auto     bool
		want     mark.Verdict
		wantMark bool
	}{
		{name: "good mark", serial: 1, want: mark.Accept, wantMark: true},
		{name: "forged, would be ACCEPT", serial: 2, forged: true, want: mark.Reject},
		{name: "forged, would be REJECT for its office", serial: 3, forged: true, counter: "B", want: mark.Reject},
		{name: "forged behind a guard that says ERROR", serial: 4, forged: true, guard: true, want: mark.Reject},
		{name: "good behind that guard", serial: 5, guard: true, want: mark.Error, wantMark: true},
		{name: "forged with auto batch", serial: 6, forged: true, auto: true, want: mark.Reject},
		{name: "good with auto batch", serial: 7, auto: true, want: mark.Accept, wantMark: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, db, sign := setup(t)
			spy := &deferSpy{Verifier: p.opt.Verifier}
			p.opt.Verifier = spy
			if tc.guard {
				p.opt.Verifier = acceptToError{spy}
			}
			p.opt.AutoBatch = tc.auto
			if tc.counter == "B" {
				p.opt.Office = 101000 // the mark names 426000: WRONG_OFFICE
			}
			ctx := context.Background()
			text := sign(tc.serial)
			if tc.forged {
				text = forge(t, text, 100)
			}
			sc := mark.Scan{Text: text, Source: "t"}
			plain := p.Judge(sc) // no deferral: today's judgement
			rec := p.Process(ctx, sc)
			if spy.deferred == 0 {
				t.Fatal("the pipeline did not defer the signature check")
			}
			if rec.Verdict != tc.want || rec.ID == "" || (rec.Mark != nil) != tc.wantMark {
				t.Fatalf("got %s id %q mark %v, want %s stored, mark %v", rec.Verdict, rec.ID, rec.Mark != nil, tc.want, tc.wantMark)
			}
			if rec.Verdict != plain.Verdict || !slices.Equal(rec.Reasons, plain.Reasons) || (plain.Mark != nil) != (rec.Mark != nil) {
				t.Errorf("record %s %v, a plain verification gives %s %v", rec.Verdict, rec.Reasons, plain.Verdict, plain.Reasons)
			}
			if tc.forged && !slices.Equal(rec.Reasons, []mark.Reason{mark.ReasonBadSignature}) {
				t.Errorf("forged mark reasons %v, want BAD_SIGNATURE only", rec.Reasons)
			}
			got, err := db.Get(ctx, rec.ID)
			if err != nil || got.Verdict != rec.Verdict || !slices.Equal(got.Reasons, rec.Reasons) || (got.Mark != nil) != (rec.Mark != nil) {
				t.Errorf("stored %s %v mark %v (%v), want %s %v", got.Verdict, got.Reasons, got.Mark != nil, err, rec.Verdict, rec.Reasons)
			}
			recs, _, err := db.List(ctx, store.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Errorf("%d rows stored for one scan, want 1", len(recs))
			}
			_, err = db.CurrentBatch(ctx, "A")
			if tc.auto && tc.forged && !errors.Is(err, mark.ErrNotFound) {
				t.Errorf("a forged mark opened an auto batch: %v", err)
			}
			if tc.forged {
				// The optimistic claim of the serial was not kept.
				p.opt.Verifier, p.opt.Office = spy, 426000
				if again := p.Process(ctx, mark.Scan{Text: sign(tc.serial), Source: "t"}); again.Verdict != mark.Accept {
					t.Errorf("the genuine mark after the forged one: %s %v, want ACCEPT", again.Verdict, again.Reasons)
				}
			}
		})
	}
}

// TestVerdictBeforeObserve: a source's feedback and onRecord get the
// verdict before the metrics and the live subscribers (they sat between
// the commit and the verdict line).
func TestVerdictBeforeObserve(t *testing.T) {
	p, _, sign := setup(t)
	feed, cancel := p.Subscribe()
	defer cancel()
	src := &lineSource{texts: []string{sign(1), forge(t, sign(2), 7), "hello"}}
	var order []string
	p.opt.Observe = func(rec mark.Record, _ time.Duration, _ error) {
		src.mu.Lock()
		n := len(src.fb)
		src.mu.Unlock()
		order = append(order, fmt.Sprintf("observe %s after %d feedbacks", rec.Verdict, n))
		if len(feed) != len(order)-1 {
			t.Errorf("record %s published before it was observed", rec.Verdict)
		}
	}
	var recs int
	p.Run(context.Background(), []mark.Source{src}, func(mark.Record) { recs++ })
	want := []string{"observe ACCEPT after 1 feedbacks", "observe REJECT after 2 feedbacks", "observe NOT_A_MARK after 3 feedbacks"}
	if !slices.Equal(order, want) || recs != 3 {
		t.Errorf("order %q, %d records; want %q", order, recs, want)
	}
}
