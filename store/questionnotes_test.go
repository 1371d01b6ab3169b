package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestQuestionNotesUpgrade: a store of the markd before migration 071,
// holding a collector's question closed at the collector and its feed
// cursor, is opened by this markd: the question reads with no reviewer's
// name or note; told once that the feed carries them, the store moves the
// cursor back to the start (once: never again after), and the same feed
// position read again fills the name and note in, while an older one
// still does not replace a later one.
func TestQuestionNotesUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	raw := oldStore(t, path, 70)
	const id = "01937a10-0000-7000-8000-000000000002"
	for _, q := range []string{
		`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, review_state, upload_state)
		VALUES ('` + id + `', '2026-01-10T08:11:00Z', 426000, '1', 'front', 'EPM1:X', 'REJECT', '["UNDERPAID"]', 'pending', 'uploaded')`,
		`INSERT INTO collector_questions(record_id, reasons, why, state, reviewed_at, seq, received_at)
		VALUES ('` + id + `', '["UNDERPAID"]', 'UNDERPAID does not hold', 'reviewed', '2026-01-12T10:00:00Z', 9, '2026-01-12T10:05:00Z')`,
		`INSERT INTO sync_state(key, value) VALUES ('questioned_after', '9')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db := openAgain(t, path)
	ctx := context.Background()
	got, err := db.QuestionsFor(ctx, []string{id})
	if g := got[id]; err != nil || g.Seq != 9 || g.State != QuestionReviewed || g.ReviewBy != "" || g.ReviewNote != "" {
		t.Fatalf("the question of the older store: %+v %v", g, err)
	}
	if read, err := db.QuestionNotesRead(ctx); err != nil || read {
		t.Fatalf("notes read on an upgraded store: %t %v", read, err)
	}
	moved, err := db.RereadQuestions(ctx)
	if err != nil || !moved {
		t.Fatalf("RereadQuestions: moved %t %v, want the cursor moved back", moved, err)
	}
	if n, err := db.QuestionsCursor(ctx); err != nil || n != 0 {
		t.Fatalf("cursor %d %v after RereadQuestions, want 0", n, err)
	}
	if read, err := db.QuestionNotesRead(ctx); err != nil || !read {
		t.Fatalf("notes read after RereadQuestions: %t %v", read, err)
	}
	reviewed := time.Date(2026, 1, 12, 10, 0, 0, 0, time.UTC)
	note := "the counter's time zone was Moscow; fixed\nsee ticket 42"
	q := CollectorQuestion{RecordID: id, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Why: "UNDERPAID does not hold",
		State: QuestionReviewed, ReviewedAt: reviewed, Seq: 9, ReviewBy: "boss", ReviewNote: note}
	older := q
	older.State, older.ReviewedAt, older.Seq, older.ReviewBy, older.ReviewNote = QuestionOpen, time.Time{}, 4, "", ""
	if err := db.ApplyQuestions(ctx, []CollectorQuestion{older, q}, 9); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyQuestions(ctx, []CollectorQuestion{older}, 9); err != nil {
		t.Fatal(err)
	}
	got, err = db.QuestionsFor(ctx, []string{id})
	if g := got[id]; err != nil || g.Seq != 9 || g.State != QuestionReviewed || g.ReviewBy != "boss" || g.ReviewNote != note {
		t.Fatalf("after the feed read again: %+v %v", g, err)
	}
	if moved, err := db.RereadQuestions(ctx); err != nil || moved {
		t.Fatalf("RereadQuestions a second time: moved %t %v, want nothing done", moved, err)
	}
	if n, err := db.QuestionsCursor(ctx); err != nil || n != 9 {
		t.Fatalf("cursor %d %v, want 9", n, err)
	}
}

// TestRereadQuestionsNew: a store that never pulled the feed has nothing
// to read again: the cursor stays where it is.
func TestRereadQuestionsNew(t *testing.T) {
	db := rvOpen(t)
	ctx := context.Background()
	if moved, err := db.RereadQuestions(ctx); err != nil || moved {
		t.Fatalf("moved %t %v", moved, err)
	}
	if err := db.ApplyQuestions(ctx, []CollectorQuestion{{RecordID: "r1", Reasons: []mark.Reason{mark.ReasonExpired},
		Why: "x", State: QuestionOpen, Seq: 3, ReviewNote: strings.Repeat("я", MaxQuestionNote/2)}}, 3); err != nil {
		t.Fatal(err)
	}
	if moved, err := db.RereadQuestions(ctx); err != nil || moved {
		t.Fatalf("set before: moved %t %v", moved, err)
	}
	if n, _ := db.QuestionsCursor(ctx); n != 3 {
		t.Fatalf("cursor %d, want 3", n)
	}
}
