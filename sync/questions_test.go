package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync/atomic"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// questionsHub is a real markhub (sqlite) behind a switch: older answers
// as a markhub from before the feed (no X-Markhub-Takes, GET
// /v1/questioned unknown: 404), down fails the feed alone (503) as a
// collector having trouble would; asked counts the feed's requests.
type questionsHub struct {
	*collector
	url         string
	older, down gosync.Bool
	asked       gosync.Int32
}

func newQuestionsHub(t *testing.T) *questionsHub {
	t.Helper()
	q := &questionsHub{collector: newCollector(t, "office-a", "office-b")}
	q.now = func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	h := q.api.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/questioned" {
			q.asked.Add(1)
			switch {
			case q.older.Load():
				http.NotFound(w, r)
				return
			case q.down.Load():
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"code":"unavailable","error":"store unavailable"}`)) //nolint:errcheck // test server
				return
			}
		}
		if q.older.Load() {
			h.ServeHTTP(withoutHeader{w, hub.HeaderTakes}, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	q.url = srv.URL
	return q
}

// addQuestionable records a REJECT UNDERPAID of a mark paid in full
// under the lists the collector published: the collector questions it.
func addQuestionable(t testing.TB, db *store.DB, office uint32, serial uint64, at time.Time) string {
	t.Helper()
	m := hubtest.TestMark(serial, office)
	rec := &mark.Record{At: at, Office: office, Counter: "1", Operator: "ivan", Source: "stdin", Text: hubtest.Sign(m), Mark: &m,
		Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Versions: hubtest.PublishedVersions(t)}
	storetest.Save(t, db, 0, rec)
	if rec.Verdict != mark.Reject {
		t.Fatalf("fixture of serial %d stored as %s", serial, rec.Verdict)
	}
	return rec.ID
}

// addQuestionables records n questionables of office-a (addQuestionable),
// serials first, first+1, ..., scanned a minute apart from at; it returns
// their ids.
func addQuestionables(t testing.TB, db *store.DB, n int, first uint64, at time.Time) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		ids = append(ids, addQuestionable(t, db, hubtest.Offices["office-a"], first+uint64(i), at.Add(time.Duration(i)*time.Minute)))
	}
	return ids
}

// counterClock is an uploader's clock the test moves.
type counterClock struct{ at gosync.Int64 }

func (c *counterClock) now() time.Time      { return time.Unix(0, c.at.Load()).UTC() }
func (c *counterClock) add(d time.Duration) { c.at.Add(int64(d)) }

func newCounterClock() *counterClock {
	c := &counterClock{}
	c.at.Store(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}

// TestQuestionsPull: over a real markhub, a counter learns which of its
// own rejections the collector questions, a page an upload round (so a
// backlog does not hold the upload up), and a terminal learns nothing of
// another's; the region's review and reopening reach it at the next pull
// after an Interval; the stored verdicts stay as they were; /healthz
// counts the open ones.
func TestQuestionsPull(t *testing.T) {
	ctx := context.Background()
	c := newQuestionsHub(t)
	scan := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	dbA, dbB := openCounter(t), openCounter(t)
	idsA := addQuestionables(t, dbA, 5, 1100, scan)
	addScan(t, dbA, "1", hubtest.Offices["office-a"], mark.Reject, 1199, scan) // names lists the collector never published: not questioned
	idB := addQuestionable(t, dbB, hubtest.Offices["office-b"], 1200, scan)
	clk := newCounterClock()
	uA := NewUploader(dbA, newClient(t, c.url, "office-a"), UploaderOptions{BatchSize: 10, Now: clk.now, Interval: time.Minute}, quiet, nil)
	uA.questions.page = 2
	uB := NewUploader(dbB, newClient(t, c.url, "office-b"), UploaderOptions{BatchSize: 10, Now: clk.now, Interval: time.Minute}, quiet, nil)

	// The first answer names the feed; each round pulls one page of 2.
	for round, want := range []int{2, 4, 5} {
		_, more, err := uA.Once(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(questionsOf2(t, dbA, idsA)); got != want || more != (want < 5) {
			t.Fatalf("round %d: %d questions stored, more %v; want %d", round, got, more, want)
		}
	}
	if raw, _ := json.Marshal(uA.Status(ctx)); !strings.Contains(string(raw), `"questioned_open":5`) {
		t.Fatalf("/healthz sync %s: want questioned_open 5", raw)
	}
	asked := c.asked.Load()
	if _, _, err := uA.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	if c.asked.Load() != asked {
		t.Fatal("pulled again within the Interval after the last page")
	}
	if _, _, err := uB.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	gotB := questionsOf2(t, dbB, append([]string{idB}, idsA...))
	if len(gotB) != 1 || gotB[idB].RecordID != idB {
		t.Fatalf("office-b stored %v: want its own %s alone", gotB, idB)
	}
	if got := questionsOf2(t, dbA, []string{idB}); len(got) != 0 {
		t.Fatalf("office-a stored office-b's %v", got)
	}
	q := questionsOf2(t, dbA, idsA)[idsA[1]]
	if !q.Open() || len(q.Reasons) != 1 || q.Reasons[0] != mark.ReasonUnderpaid || !strings.Contains(q.Why, "would have accepted") {
		t.Fatalf("question %+v", q)
	}

	rg := c.store.(hub.Regional)
	reviewed := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	if err := rg.SetDisputeState(ctx, "office-a", idsA[1], hub.DisputeReviewed, "boss", "the counter's tz fixed", reviewed); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	if _, _, err := uA.Once(ctx, false); err != nil { // the heartbeat
		t.Fatal(err)
	}
	q = questionsOf2(t, dbA, idsA)[idsA[1]]
	if q.Open() || !q.ReviewedAt.Equal(reviewed) {
		t.Fatalf("after the region's review: %+v", q)
	}
	if st := uA.Status(ctx); st.QuestionedOpen != 4 {
		t.Fatalf("/healthz questioned_open %d after a review, want 4", st.QuestionedOpen)
	}
	if p, err := dbA.ListReview(ctx, store.ReviewFilter{Questioned: true}); err != nil || len(p.Records) != 4 {
		t.Fatalf("questioned filter: %d %v", len(p.Records), err)
	}
	if err := rg.SetDisputeState(ctx, "office-a", idsA[1], hub.DisputeOpen, "boss", "not fixed", reviewed.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	if _, _, err := uA.Once(ctx, false); err != nil {
		t.Fatal(err)
	}
	if q = questionsOf2(t, dbA, idsA)[idsA[1]]; !q.Open() || !q.ReviewedAt.IsZero() {
		t.Fatalf("after reopening: %+v", q)
	}
	for _, id := range idsA {
		r, err := dbA.Get(ctx, id)
		if err != nil || r.Verdict != mark.Reject || r.Review != mark.ReviewPending || len(r.Reasons) != 1 {
			t.Fatalf("%s: the stored verdict changed: %+v %v", id, r, err)
		}
	}
}

// TestQuestionsOfflineThenCatchUp: while the collector's feed fails the
// uploads go on (each round one try, logged), and days later the counter
// catches up page by page from where it was.
func TestQuestionsOfflineThenCatchUp(t *testing.T) {
	ctx := context.Background()
	c := newQuestionsHub(t)
	c.down.Store(true)
	db := openCounter(t)
	ids := addQuestionables(t, db, 7, 1300, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	clk := newCounterClock()
	u := NewUploader(db, newClient(t, c.url, "office-a"), UploaderOptions{BatchSize: 3, Now: clk.now, Interval: time.Minute}, quiet, nil)
	u.questions.page = 3
	for range 4 {
		if _, _, err := u.Once(ctx, true); err != nil {
			t.Fatalf("an upload failed for the feed: %v", err)
		}
		clk.add(time.Hour)
	}
	if p := pending(t, db); p != 0 {
		t.Fatalf("%d records still pending while the feed fails", p)
	}
	if n, _ := db.QuestionsCursor(ctx); n != 0 || len(questionsOf2(t, db, ids)) != 0 {
		t.Fatalf("stored while the feed failed: cursor %d", n)
	}
	clk.add(72 * time.Hour)
	c.down.Store(false)
	for round, want := range []int{3, 6, 7} {
		if _, _, err := u.Once(ctx, false); err != nil {
			t.Fatal(err)
		}
		if got := len(questionsOf2(t, db, ids)); got != want {
			t.Fatalf("catch-up round %d: %d stored, want %d", round, got, want)
		}
	}
}

// TestQuestionsOlderCollector: a collector from before the feed never
// names it and is never asked; the uploads go on as before.
func TestQuestionsOlderCollector(t *testing.T) {
	ctx := context.Background()
	c := newQuestionsHub(t)
	c.older.Store(true)
	db := openCounter(t)
	id := addQuestionable(t, db, hubtest.Offices["office-a"], 1400, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	clk := newCounterClock()
	u := NewUploader(db, newClient(t, c.url, "office-a"), UploaderOptions{BatchSize: 10, Now: clk.now}, quiet, nil)
	for range 3 {
		if _, _, err := u.Once(ctx, true); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Hour)
	}
	if n := c.asked.Load(); n != 0 {
		t.Fatalf("an older collector was asked for its questions %d times", n)
	}
	if p := pending(t, db); p != 0 || len(questionsOf2(t, db, []string{id})) != 0 {
		t.Fatalf("pending %d", p)
	}
	// The same collector upgraded: the next answer names the feed.
	c.older.Store(false)
	if _, _, err := u.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := questionsOf2(t, db, []string{id}); len(got) != 1 {
		t.Fatalf("after the collector's upgrade: %v", got)
	}
}

func questionsOf2(t *testing.T, db *store.DB, ids []string) map[string]store.CollectorQuestion {
	t.Helper()
	m, err := db.QuestionsFor(context.Background(), ids)
	if err != nil {
		t.Fatal(fmt.Errorf("questions: %w", err))
	}
	return m
}
