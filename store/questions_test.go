package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestQuestionsUpgrade: a store of the markd before migration 070, with a
// REJECT in it, is opened by this markd: the collector's questions are
// kept apart from the scans (the stored verdict, reasons and review state
// unchanged), a later feed position replaces an earlier one and not the
// other way round, the cursor never goes back, the filter lists the open
// ones and the count counts them.
func TestQuestionsUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	raw := oldStore(t, path, 69)
	const rejected = "01937a10-0000-7000-8000-000000000002"
	if _, err := raw.Exec(`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, review_state, upload_state)
		VALUES (?, '2026-01-10T08:11:00Z', 426000, '1', 'front', 'EPM1:X', 'REJECT', '["UNDERPAID"]', 'pending', 'uploaded')`,
		rejected); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db := openAgain(t, path)
	ctx := context.Background()
	if n, err := db.QuestionsCursor(ctx); err != nil || n != 0 {
		t.Fatalf("cursor of an upgraded store: %d %v", n, err)
	}
	reviewed := time.Date(2026, 1, 12, 10, 0, 0, 0, time.UTC)
	q := CollectorQuestion{RecordID: rejected, Reasons: []mark.Reason{mark.ReasonUnderpaid},
		Why: "the collector would have accepted this mark: UNDERPAID does not hold", State: QuestionOpen, Seq: 7}
	if err := db.ApplyQuestions(ctx, []CollectorQuestion{q}, 7); err != nil {
		t.Fatal(err)
	}
	page, err := db.ListReview(ctx, ReviewFilter{Questioned: true})
	if err != nil || len(page.Records) != 1 || page.Records[0].ID != rejected {
		t.Fatalf("questioned filter: %+v %v", page, err)
	}
	if n, err := db.QuestionsOpen(ctx, 100); err != nil || n != 1 {
		t.Fatalf("open questions %d %v", n, err)
	}
	// Reviewed at the collector (seq 9), then an older page again (seq 7, cursor 7).
	closed := q
	closed.State, closed.ReviewedAt, closed.Seq = QuestionReviewed, reviewed, 9
	if err := db.ApplyQuestions(ctx, []CollectorQuestion{closed}, 9); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyQuestions(ctx, []CollectorQuestion{q}, 7); err != nil {
		t.Fatal(err)
	}
	got, err := db.QuestionsFor(ctx, []string{rejected, "no-such"})
	if err != nil || len(got) != 1 {
		t.Fatalf("questions %+v %v", got, err)
	}
	if g := got[rejected]; g.State != QuestionReviewed || !g.ReviewedAt.Equal(reviewed) || g.Seq != 9 || g.Why != q.Why ||
		len(g.Reasons) != 1 || g.Reasons[0] != mark.ReasonUnderpaid || g.Open() {
		t.Fatalf("after an older page: %+v", g)
	}
	if n, err := db.QuestionsCursor(ctx); err != nil || n != 9 {
		t.Fatalf("cursor %d %v, want 9 (never back)", n, err)
	}
	if page, err := db.ListReview(ctx, ReviewFilter{Questioned: true}); err != nil || len(page.Records) != 0 {
		t.Fatalf("questioned filter after the review: %+v %v", page, err)
	}
	if n, err := db.QuestionsOpen(ctx, 100); err != nil || n != 0 {
		t.Fatalf("open questions after the review: %d %v", n, err)
	}
	r, err := db.Get(ctx, rejected)
	if err != nil || r.Verdict != mark.Reject || len(r.Reasons) != 1 || r.Reasons[0] != mark.ReasonUnderpaid || r.Review != mark.ReviewPending {
		t.Fatalf("the stored verdict changed: %+v %v", r, err)
	}
}

// TestQuestionsRefused: a page with a question the counter cannot take is
// refused whole, naming what, and nothing of it is stored.
func TestQuestionsRefused(t *testing.T) {
	db := rvOpen(t)
	ctx := context.Background()
	good := CollectorQuestion{RecordID: "r1", Reasons: []mark.Reason{mark.ReasonExpired}, Why: "x", State: QuestionOpen, Seq: 3}
	for _, tc := range []struct {
		name string
		edit func(q *CollectorQuestion)
	}{
		{"unknown state", func(q *CollectorQuestion) { q.State = "closed" }},
		{"unknown reason", func(q *CollectorQuestion) { q.Reasons = []mark.Reason{"NOPE"} }},
		{"no reasons", func(q *CollectorQuestion) { q.Reasons = nil }},
		{"no record id", func(q *CollectorQuestion) { q.RecordID = "" }},
		{"seq 0", func(q *CollectorQuestion) { q.Seq = 0 }},
		{"note too long", func(q *CollectorQuestion) { q.ReviewNote = strings.Repeat("я", MaxQuestionNote/2+1) }},
		{"note not UTF-8", func(q *CollectorQuestion) { q.ReviewNote = "fixed \xff" }},
		{"name too long", func(q *CollectorQuestion) { q.ReviewBy = strings.Repeat("b", MaxQuestionBy+1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := good
			tc.edit(&bad)
			err := db.ApplyQuestions(ctx, []CollectorQuestion{good, bad}, 9)
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%v, want ErrInvalid", err)
			}
			if got, _ := db.QuestionsFor(ctx, []string{"r1"}); len(got) != 0 {
				t.Fatalf("stored %+v", got)
			}
			if n, _ := db.QuestionsCursor(ctx); n != 0 {
				t.Fatalf("cursor moved to %d", n)
			}
		})
	}
}
