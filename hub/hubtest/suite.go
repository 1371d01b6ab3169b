package hubtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// Opener returns a fresh empty store for one test; the test closes it.
type Opener func(t *testing.T) hub.Store

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// Rec makes an upload record. serial 0 means no decoded mark (the text is
// then not a mark); otherwise the text is TestMark signed by the test
// issuer, and the record is marked Verified as the collector's check would
// (the store suite calls Ingest without a server; Publish the keyring for
// the server suite).
func Rec(id string, office uint32, counter string, v mark.Verdict, serial uint64) hub.Record {
	r := hub.Record{ID: id, At: t0, Office: office, Counter: counter, Operator: "op", Source: "stdin",
		Text: "not a mark " + id, Verdict: v, Reasons: []mark.Reason{},
		Versions: mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "r1"}}
	if v == mark.Reject {
		r.Reasons = []mark.Reason{mark.ReasonUnderpaid}
		r.Review = mark.ReviewPending
	}
	if serial != 0 {
		m := TestMark(serial, office)
		f := m.Fields()
		r.Mark, r.Text, r.Verification = &f, Sign(m), hub.Verified
	}
	return r
}

// RunStoreSuite holds a backend to the behaviour of hub.Store.
func RunStoreSuite(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s hub.Store)
	}{
		{"terminals", testTerminals},
		{"idempotent ingest", testIdempotent},
		{"one id twice in a request", testSameIDInRequest},
		{"fields round trip", testRoundTrip},
		{"cross-office reuse alerts both sides", testReuse},
		{"reuse within one batch", testReuseSameBatch},
		{"serial held by the earliest scan", testHolderByScanTime},
		{"override event counts as use", testOverrideEvent},
		{"event for unknown record rolls back", testEventUnknownRecord},
		{"event id reused for another decision", testEventIDReused},
		{"only rejections are overridden", testOnlyRejectionsOverride},
		{"bundles", testBundles},
		{"concurrent uploads", testConcurrent},
		{"batches and contract days", testBatches},
		{"large batches not all new", testLargeBatches},
		{"serials of 2^63 and above", testSerialsAboveInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			ctx := context.Background()
			for _, n := range []string{"office-a", "office-b", "office-c"} {
				if err := s.AddTerminal(ctx, Terminal(n)); err != nil {
					t.Fatal(err)
				}
			}
			tt.fn(t, s)
		})
	}
}

func ingest(t *testing.T, s hub.Store, term string, q hub.UploadRequest) hub.UploadResponse {
	t.Helper()
	if err := q.Validate(); err != nil {
		t.Fatalf("request invalid: %v", err)
	}
	resp, err := s.Ingest(context.Background(), term, &q, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("ingest by %s: %v", term, err)
	}
	return resp
}

func stats(t *testing.T, s hub.Store) hub.Stats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func testTerminals(t *testing.T, s hub.Store) {
	ctx := context.Background()
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "office-a", Created: t0}); !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("duplicate terminal: err = %v, want ErrConflict", err)
	}
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "cert-only", Created: t0}); err != nil {
		t.Fatalf("certificate-only terminal: %v", err)
	}
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "cert-only-2", Created: t0}); err != nil {
		t.Fatalf("second certificate-only terminal (no token hash): %v", err)
	}
	got, err := s.TerminalByTokenHash(ctx, hub.HashToken("tok-office-b"))
	if err != nil || got.Name != "office-b" {
		t.Fatalf("by token = %+v, %v", got, err)
	}
	if _, err := s.TerminalByTokenHash(ctx, hub.HashToken("nope")); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("unknown token: err = %v", err)
	}
	if got, err := s.Terminal(ctx, "cert-only"); err != nil || got.TokenHash != "" {
		t.Fatalf("by name = %+v, %v", got, err)
	}
	if _, err := s.Terminal(ctx, "ghost"); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("unknown name: err = %v", err)
	}
}

func testIdempotent(t *testing.T, s hub.Store) {
	var q hub.UploadRequest
	for i := range 50 {
		v := mark.Accept
		if i%5 == 0 {
			v = mark.Reject
		}
		q.Records = append(q.Records, Rec(fmt.Sprintf("a-%03d", i), 426000, "1", v, uint64(1000+i)))
	}
	r1 := ingest(t, s, "office-a", q)
	if r1.Stored != 50 || r1.Duplicates != 0 || len(r1.Alerts) != 0 {
		t.Fatalf("first upload = %+v", r1)
	}
	// The same batch again (the connection died after the commit) and an
	// overlapping one: nothing is stored twice.
	r2 := ingest(t, s, "office-a", q)
	if r2.Stored != 0 || r2.Duplicates != 50 || len(r2.Alerts) != 0 {
		t.Fatalf("repeated upload = %+v", r2)
	}
	q2 := hub.UploadRequest{Records: append(q.Records[40:], Rec("a-100", 426000, "1", mark.Accept, 2000))}
	r3 := ingest(t, s, "office-a", q2)
	if r3.Stored != 1 || r3.Duplicates != 10 {
		t.Fatalf("overlapping upload = %+v", r3)
	}
	st := stats(t, s)
	if st.Records != 51 || st.UsedSerials != 41 || st.Alerts != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func testRoundTrip(t *testing.T, s hub.Store) {
	r := Rec("rt-1", 426000, "7", mark.Reject, 77)
	r.Reasons = []mark.Reason{mark.ReasonReused}
	r.FirstAccepted = &mark.Acceptance{RecordID: "x", At: t0.Add(-time.Hour), Office: 426000, Counter: "3"}
	r.MeasuredWeightG, r.Message, r.Operator = 120, "note", "olga"
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{r}})
	got, err := s.Record(context.Background(), "office-b", "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Terminal != "office-b" || !got.At.Equal(r.At) || got.Office != 426000 || got.Counter != "7" ||
		got.Operator != "olga" || got.Verdict != mark.Reject || len(got.Reasons) != 1 || got.Reasons[0] != mark.ReasonReused ||
		got.Mark == nil || got.Mark.Serial != 77 || got.FirstAccepted == nil || got.FirstAccepted.Counter != "3" ||
		got.MeasuredWeightG != 120 || got.Versions != r.Versions || got.Review != mark.ReviewPending || got.Message != "note" {
		t.Fatalf("round trip: got %+v", got)
	}
	if _, err := s.Record(context.Background(), "office-b", "nope"); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("missing record: err = %v", err)
	}
}

func testReuse(t *testing.T, s hub.Store) {
	// The same mark accepted at two offices while both were offline.
	ra := Rec("a-1", 426000, "1", mark.Accept, 555)
	rb := Rec("b-1", 101000, "4", mark.Accept, 555)
	if r := ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{ra}}); len(r.Alerts) != 0 {
		t.Fatalf("first acceptance got alerts: %+v", r.Alerts)
	}
	rbResp := ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{rb}})
	if len(rbResp.Alerts) != 1 {
		t.Fatalf("second acceptance: alerts = %+v", rbResp.Alerts)
	}
	ab := rbResp.Alerts[0]
	if ab.RecordID != "b-1" || ab.Serial != 555 || ab.Other.RecordID != "a-1" || ab.OtherTerminal != "office-a" ||
		ab.Other.Office != 426000 || ab.Other.Counter != "1" || !ab.Other.At.Equal(t0) {
		t.Fatalf("alert to b = %+v", ab)
	}
	// The first office learns it on its next upload, even an empty one.
	aResp := ingest(t, s, "office-a", hub.UploadRequest{})
	if len(aResp.Alerts) != 1 || aResp.Alerts[0].RecordID != "a-1" || aResp.Alerts[0].Other.RecordID != "b-1" ||
		aResp.Alerts[0].OtherTerminal != "office-b" {
		t.Fatalf("alert to a = %+v", aResp.Alerts)
	}
	// Until acknowledged, an alert is repeated; a retried upload adds none.
	again := ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{rb}})
	if len(again.Alerts) != 1 || again.Alerts[0].ID != ab.ID {
		t.Fatalf("repeat = %+v", again.Alerts)
	}
	// Acknowledging another terminal's alert id does nothing.
	ingest(t, s, "office-c", hub.UploadRequest{AckAlerts: []int64{ab.ID}})
	done := ingest(t, s, "office-b", hub.UploadRequest{AckAlerts: []int64{ab.ID}})
	if len(done.Alerts) != 0 {
		t.Fatalf("after ack: %+v", done.Alerts)
	}
	if st := stats(t, s); st.Alerts != 2 || st.UsedSerials != 1 {
		t.Fatalf("stats = %+v", st)
	}
	// A rejected scan of the serial elsewhere is no reuse.
	if r := ingest(t, s, "office-c", hub.UploadRequest{Records: []hub.Record{Rec("c-1", 190000, "2", mark.Reject, 555)}}); len(r.Alerts) != 0 {
		t.Fatalf("rejection raised alerts: %+v", r.Alerts)
	}
}

func testReuseSameBatch(t *testing.T, s hub.Store) {
	q := hub.UploadRequest{Records: []hub.Record{
		Rec("a-1", 426000, "1", mark.Accept, 9), Rec("a-2", 426000, "2", mark.Accept, 9), Rec("a-3", 426000, "2", mark.Accept, 10)}}
	r := ingest(t, s, "office-a", q)
	if len(r.Alerts) != 2 {
		t.Fatalf("alerts = %+v", r.Alerts)
	}
	ids := map[string]string{r.Alerts[0].RecordID: r.Alerts[0].Other.RecordID, r.Alerts[1].RecordID: r.Alerts[1].Other.RecordID}
	if ids["a-1"] != "a-2" || ids["a-2"] != "a-1" {
		t.Fatalf("alerts pair %v", ids)
	}
}

func testOverrideEvent(t *testing.T, s hub.Store) {
	ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{Rec("a-1", 426000, "1", mark.Reject, 31)}})
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{Rec("b-1", 101000, "1", mark.Accept, 31)}})
	if st := stats(t, s); st.Alerts != 0 {
		t.Fatalf("a rejection and an acceptance are no reuse: %+v", st)
	}
	ev := hub.Event{ID: 5, RecordID: "a-1", Action: hub.ActionOverride, Actor: "boss", At: t0, Note: "paid"}
	r := ingest(t, s, "office-a", hub.UploadRequest{Events: []hub.Event{ev}})
	if r.Events != 1 || len(r.Alerts) != 1 || r.Alerts[0].RecordID != "a-1" || r.Alerts[0].Other.RecordID != "b-1" {
		t.Fatalf("override response = %+v", r)
	}
	if r := ingest(t, s, "office-a", hub.UploadRequest{Events: []hub.Event{ev}}); r.Events != 0 {
		t.Fatalf("repeated event stored again: %+v", r)
	}
	got, err := s.Record(context.Background(), "office-a", "a-1")
	if err != nil || got.Review != mark.ReviewOverridden {
		t.Fatalf("review state = %q, %v", got.Review, err)
	}
	// A later confirmation cannot undo an override.
	ingest(t, s, "office-a", hub.UploadRequest{Events: []hub.Event{{ID: 6, RecordID: "a-1", Action: hub.ActionConfirm, Actor: "x", At: t0}}})
	if got, _ := s.Record(context.Background(), "office-a", "a-1"); got.Review != mark.ReviewOverridden {
		t.Fatalf("override undone: %q", got.Review)
	}
	if st := stats(t, s); st.Events != 2 || st.Alerts != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func testEventUnknownRecord(t *testing.T, s hub.Store) {
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{Rec("b-1", 101000, "1", mark.Reject, 8)}})
	q := hub.UploadRequest{
		Records: []hub.Record{Rec("a-1", 426000, "1", mark.Accept, 1)},
		Events: []hub.Event{
			{ID: 1, RecordID: "ghost", Action: hub.ActionConfirm, Actor: "boss", At: t0},
		}}
	_, err := s.Ingest(context.Background(), "office-a", &q, t0)
	var fe *hub.FieldError
	if !errors.As(err, &fe) || fe.Field != "events[0].record_id" || !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("err = %v, want a field error on events[0].record_id", err)
	}
	// Another terminal's record cannot be reviewed either.
	q.Events[0].RecordID = "b-1"
	if _, err := s.Ingest(context.Background(), "office-a", &q, t0); !errors.As(err, &fe) {
		t.Fatalf("foreign record: err = %v", err)
	}
	if st := stats(t, s); st.Records != 1 || st.Events != 0 {
		t.Fatalf("the failed upload left rows: %+v", st)
	}
}

func testBundles(t *testing.T, s hub.Store) {
	ctx := context.Background()
	if _, _, err := s.LatestBundle(ctx); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("empty: err = %v", err)
	}
	for _, v := range []uint64{1, 2, 5} {
		if err := s.PutBundle(ctx, v, []byte(fmt.Sprintf("bundle %d", v)), t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []uint64{5, 4} {
		if err := s.PutBundle(ctx, v, []byte("old"), t0); !errors.Is(err, mark.ErrConflict) {
			t.Fatalf("version %d after 5: err = %v", v, err)
		}
	}
	v, data, err := s.LatestBundle(ctx)
	if err != nil || v != 5 || string(data) != "bundle 5" {
		t.Fatalf("latest = %d %q %v", v, data, err)
	}
}

func testConcurrent(t *testing.T, s hub.Store) {
	// Three offices upload concurrently; serials overlap between them, and
	// each batch is sent twice (retries racing the original).
	terms := []string{"office-a", "office-b", "office-c"}
	const batches, per = 6, 40
	var wg sync.WaitGroup
	errs := make(chan error, len(terms)*batches*2)
	for ti, term := range terms {
		for b := range batches {
			var q hub.UploadRequest
			for i := range per {
				serial := uint64(b*per + i + 1) // same serials at every office
				q.Records = append(q.Records, Rec(fmt.Sprintf("%s-%d-%d", term, b, i), uint32(100000*(ti+1)), "1", mark.Accept, serial))
			}
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Ingest(context.Background(), term, &q, t0); err != nil {
						errs <- err
					}
				}()
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent ingest: %v", err)
	}
	st := stats(t, s)
	n := int64(batches * per)
	// Each serial: one holder, and the two others each raise a pair of alerts.
	if st.Records != 3*n || st.UsedSerials != n || st.Alerts != 4*n {
		t.Fatalf("stats = %+v, want records %d used %d alerts %d", st, 3*n, n, 4*n)
	}
}

// testSerialsAboveInt64: a serial is 8 unsigned bytes (MARK-FORMAT §2)
// and the stores keep it as a signed 64-bit integer, so a serial of 2^63
// or more is negative there. The office's list (a restored counter's
// reuse history) still holds it, in serial order after the others, from
// both arms (held, and accepted after another office), page by page.
func testSerialsAboveInt64(t *testing.T, s hub.Store) {
	ctx := context.Background()
	const high, top = uint64(1)<<63 + 3, ^uint64(0)
	ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{
		Rec("a-low", 426000, "1", mark.Accept, 5), Rec("a-high", 426000, "1", mark.Accept, high),
		Rec("a-top", 426000, "1", mark.Accept, top)}})
	b := Rec("b-high", 101000, "4", mark.Accept, 1<<63)
	b.At = t0.Add(time.Minute)
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{b}})
	later := Rec("b-top", 101000, "4", mark.Accept, top) // after office-a: an alert
	later.At = t0.Add(time.Minute)
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{later}})
	for _, c := range []struct {
		office uint32
		want   string
	}{{426000, fmt.Sprint([]uint64{5, high, top})}, {101000, fmt.Sprint([]uint64{1 << 63, top})}} {
		for _, limit := range []int{1, 2, 10} {
			var got []uint64
			after := uint64(0)
			for range 10 {
				page, err := s.OfficeSerials(ctx, c.office, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range page {
					got = append(got, u.Serial)
					after = u.Serial
				}
				if len(page) < limit {
					break
				}
			}
			if fmt.Sprint(got) != c.want {
				t.Fatalf("office %d, pages of %d: %v, want %s", c.office, limit, got, c.want)
			}
		}
		// From the top of the range, nothing is left.
		if page, err := s.OfficeSerials(ctx, c.office, top, 10); err != nil || len(page) != 0 {
			t.Fatalf("after the last serial: %v %v", page, err)
		}
	}
}

// openWithTerminals opens a store, closed when t ends, with the test
// terminals names (Terminal) registered.
func openWithTerminals(t *testing.T, open Opener, names ...string) hub.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() { s.Close() })
	for _, n := range names {
		if err := s.AddTerminal(context.Background(), Terminal(n)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// regionalOf is s's side of the regional pages; a backend without one
// fails the test.
func regionalOf(t *testing.T, s hub.Store) hub.Regional {
	t.Helper()
	r, ok := s.(hub.Regional)
	if !ok {
		t.Fatalf("%T does not implement hub.Regional", s)
	}
	return r
}

// openPublished opens a store, closed when t ends, with the terminals
// names (token "tok-"+name) all of office, and the test issuer's lists
// published (Publish); it returns their versions.
func openPublished(t *testing.T, open Opener, office uint32, names ...string) (hub.Store, mark.Versions) {
	t.Helper()
	s := open(t)
	t.Cleanup(func() { s.Close() })
	for _, n := range names {
		if err := s.AddTerminal(context.Background(), hub.Terminal{Name: n, Office: office, TokenHash: hub.HashToken("tok-" + n), Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	Publish(t, s)
	return s, PublishedVersions(t)
}
