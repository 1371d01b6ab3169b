package sync

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync/atomic"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// notesFront is a real markhub (sqlite) whose feed, while bare is set,
// answers as a markhub from before the reviewer's notes: no notes flag, no
// review_by or review_note.
type notesFront struct {
	*collector
	url  string
	bare gosync.Bool
}

func newNotesFront(t *testing.T) *notesFront {
	t.Helper()
	f := &notesFront{collector: newCollector(t, "office-a")}
	f.now = func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	h := f.api.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/questioned" || !f.bare.Load() {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var page map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Errorf("feed answer %d %s: %v", rec.Code, rec.Body.Bytes(), err)
		}
		delete(page, "notes")
		for _, it := range page["items"].([]any) {
			delete(it.(map[string]any), "review_by")
			delete(it.(map[string]any), "review_note")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(page) //nolint:errcheck // test server
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// TestQuestionNotesPull: over a real markhub and a real store, the
// region's reviewer's name and note reach the counter with the review
// (controls and bidirectional overrides neutralised, as markhub sends
// them), and a reopening's too. Questions stored from a collector before
// the notes get theirs when it is upgraded: its first page saying it
// carries them makes the counter read the feed once more from its start.
func TestQuestionNotesPull(t *testing.T) {
	ctx := context.Background()
	c := newNotesFront(t)
	c.bare.Store(true)
	db := openCounter(t)
	ids := addQuestionables(t, db, 3, 1500, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	clk := newCounterClock()
	u := NewUploader(db, newClient(t, c.url, "office-a"), UploaderOptions{BatchSize: 10, Now: clk.now, Interval: time.Minute}, quiet, nil)
	if _, _, err := u.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	rg := c.store.(hub.Regional)
	reviewed := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	if err := rg.SetDisputeState(ctx, "office-a", ids[0], hub.DisputeReviewed, "boss", "tz was Moscow; fixed", reviewed); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	if _, _, err := u.Once(ctx, false); err != nil {
		t.Fatal(err)
	}
	if q := questionsOf2(t, db, ids)[ids[0]]; q.Open() || q.ReviewBy != "" || q.ReviewNote != "" {
		t.Fatalf("from a collector without notes: %+v", q)
	}
	cursor, _ := db.QuestionsCursor(ctx)

	// The collector upgraded: its next page says it carries the notes.
	c.bare.Store(false)
	note := "tz was Moscow;\r\nfixed \u202eevil\u202c \x1b[31m"
	if err := rg.SetDisputeState(ctx, "office-a", ids[1], hub.DisputeReviewed, "anna\u200b", note, reviewed.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	if _, more, err := u.Once(ctx, false); err != nil || !more {
		t.Fatalf("first page with notes: more %t %v, want the feed read again", more, err)
	}
	if n, _ := db.QuestionsCursor(ctx); n != 0 {
		t.Fatalf("cursor %d (was %d), want 0: read again from the start", n, cursor)
	}
	if _, _, err := u.Once(ctx, false); err != nil {
		t.Fatal(err)
	}
	qs := questionsOf2(t, db, ids)
	if q := qs[ids[0]]; q.Open() || q.ReviewBy != "boss" || q.ReviewNote != "tz was Moscow; fixed" || !q.ReviewedAt.Equal(reviewed) {
		t.Fatalf("the question stored before the notes, read again: %+v", q)
	}
	if q := qs[ids[1]]; q.Open() || q.ReviewBy != "anna\ufffd" || q.ReviewNote != "tz was Moscow;\nfixed \ufffdevil\ufffd \ufffd[31m" {
		t.Fatalf("a note with controls: by %q note %q", q.ReviewBy, q.ReviewNote)
	}
	if q := qs[ids[2]]; !q.Open() || q.ReviewBy != "" || q.ReviewNote != "" {
		t.Fatalf("never reviewed: %+v", q)
	}
	// Reopened: the reopening's name and note; read once, not again.
	if err := rg.SetDisputeState(ctx, "office-a", ids[0], hub.DisputeOpen, "lead", "not fixed after all", reviewed.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	if _, _, err := u.Once(ctx, false); err != nil {
		t.Fatal(err)
	}
	if q := questionsOf2(t, db, ids)[ids[0]]; !q.Open() || q.ReviewBy != "lead" || q.ReviewNote != "not fixed after all" {
		t.Fatalf("after reopening: %+v", q)
	}
	if n, _ := db.QuestionsCursor(ctx); n == 0 {
		t.Fatal("the feed read from the start again")
	}
}

// TestQuestionsOfNotes: a page of whatever answers in markhub's place is
// refused naming the item and field when a reviewer's name or note is
// longer than markhub sends; controls, bidirectional overrides and bytes
// that are not UTF-8 in them are neutralised.
func TestQuestionsOfNotes(t *testing.T) {
	item := func(by, note string) *hub.QuestionedPage {
		return &hub.QuestionedPage{Next: 5, Notes: true, Items: []hub.QuestionedItem{{Seq: 5, RecordID: "r1",
			Reasons: []mark.Reason{mark.ReasonUnderpaid}, Why: "x", State: hub.DisputeReviewed, ReviewBy: by, ReviewNote: note}}}
	}
	for _, c := range []struct {
		name, by, note   string
		wantBy, wantNote string
		field            string
	}{
		{"plain", "boss", "fixed", "boss", "fixed", ""},
		{"bidi and controls", "bo\u202ess", "a\u2066b\x00c\xffd\u2028e", "bo\ufffdss", "a\ufffdb\ufffdc\ufffdd\ufffde", ""},
		{"note too long", "boss", strings.Repeat("x", hub.MaxDisputeNote+1), "", "", "items[0].review_note"},
		{"name too long", strings.Repeat("b", hub.MaxReviewerName+1), "", "", "", "items[0].review_by"},
	} {
		t.Run(c.name, func(t *testing.T) {
			qs, err := questionsOf(item(c.by, c.note), 0)
			if c.field != "" {
				if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
					t.Fatalf("%v, want ErrInvalid naming %s", err, c.field)
				}
				return
			}
			if err != nil || len(qs) != 1 || qs[0].ReviewBy != c.wantBy || qs[0].ReviewNote != c.wantNote {
				t.Fatalf("%+v %v", qs, err)
			}
		})
	}
}
