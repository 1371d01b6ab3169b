package sync

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/pgstore"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// newPGCollector is a collector on a real PostgreSQL (a temporary
// cluster), with the terminals of hubtest.Offices and hubtest's keyring
// published.
func newPGCollector(t *testing.T, terminals ...string) *collector {
	t.Helper()
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL test skipped: " + why)
	}
	cl, err := hubtest.StartCluster(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Stop() }) //nolint:errcheck // temp cluster
	dsn, err := cl.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, n := range terminals {
		if err := st.AddTerminal(context.Background(), hubtest.Terminal(n)); err != nil {
			t.Fatal(err)
		}
	}
	hubtest.Publish(t, st)
	c := &collector{store: st}
	c.api = hub.NewServer(st, hub.ServerOptions{Now: c.hubNow})
	c.srv = httptest.NewServer(c.api.Handler())
	t.Cleanup(c.srv.Close)
	return c
}

// saveMark stores a scan of serial through the store's write path and
// returns it as stored (its verdict decided by the store).
func saveMark(t *testing.T, db *store.DB, serial uint64, v mark.Verdict, at time.Time) *mark.Record {
	t.Helper()
	m := hubtest.TestMark(serial, 426000)
	rec := &mark.Record{At: at, Office: 426000, Counter: "1", Operator: "ivan", Source: "stdin", Mark: &m, Text: hubtest.Sign(m),
		Verdict: v, Reasons: []mark.Reason{}, Versions: mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "r1"}}
	if v == mark.Reject {
		rec.Reasons = []mark.Reason{mark.ReasonUnderpaid}
	}
	storetest.Save(t, db, 0, rec)
	return rec
}

// TestRestoredBackupCatchesUp: a counter that uploads to markhub is put
// back from a `markd backup` copy (against the advice of docs/operations.md).
// The collector holds a mark the counter accepted after the backup and a
// review decision made after it. The restored store finds at its first
// upload that it is behind the collector, refuses marks until it has the
// office's used serials again (ERROR "reuse history not restored"), then
// refuses the mark accepted after the backup as REUSED, and numbers its
// new decisions after the collector's, which stores them.
func TestRestoredBackupCatchesUp(t *testing.T) {
	ctx := context.Background()
	col := newPGCollector(t, "office-a")
	dir := t.TempDir()
	live := storetest.OpenAt(t, filepath.Join(dir, "markd.db"), store.Options{Log: quiet})
	opts := Options{Client: ClientOptions{URL: col.srv.URL, Token: "tok-office-a", Timeout: 5 * time.Second},
		Upload: UploaderOptions{BatchSize: 100, Office: 426000}, Now: testdata.Now}
	newService := func(db *store.DB) *Service {
		t.Helper()
		s, err := New(ctx, db, opts, nil, quiet, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Before the backup: one mark accepted, two rejections, one decision; all uploaded.
	saveMark(t, live, 1, mark.Accept, day0)
	rej1 := saveMark(t, live, 2, mark.Reject, day0.Add(time.Minute))
	rej2 := saveMark(t, live, 3, mark.Reject, day0.Add(2*time.Minute))
	rej3 := saveMark(t, live, 4, mark.Reject, day0.Add(3*time.Minute))
	rej4 := saveMark(t, live, 5, mark.Reject, day0.Add(4*time.Minute))
	if err := live.ConfirmRejection(ctx, rej1.ID, "boss", ""); err != nil {
		t.Fatal(err)
	}
	if err := newService(live).Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := live.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}

	// After the backup: serial 10 accepted and a decision, both uploaded.
	if r := saveMark(t, live, 10, mark.Accept, day0.Add(time.Hour)); r.Verdict != mark.Accept {
		t.Fatalf("serial 10 on the live store: %s %v", r.Verdict, r.Reasons)
	}
	if err := live.ConfirmRejection(ctx, rej2.ID, "boss", "after the backup"); err != nil {
		t.Fatal(err)
	}
	if err := newService(live).Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	before := stats(t, col.store)
	if before.Events != 2 {
		t.Fatalf("collector has %d events before the restore, want 2", before.Events)
	}
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}

	// The backup put back in place and the counter started on it.
	restored := storetest.OpenAt(t, backup, store.Options{Log: quiet})
	s := newService(restored)
	guard := HistoryGuard(acceptEvery{}, s.History)
	// A supervisor decides before the first upload compared the store: its
	// audit id is one the collector holds for another decision.
	if err := restored.ConfirmRejection(ctx, rej4.ID, "boss", "before the comparison"); err != nil {
		t.Fatal(err)
	}
	if err := s.Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if s.History.Done() {
		t.Fatal("the restored store was not found behind the collector at its first upload")
	}
	if r := guard.Verify("EPM1:any", mark.Context{}); r.Verdict != mark.Error || r.Message != HistoryMessage {
		t.Fatalf("a mark while the history is restored: %s %q", r.Verdict, r.Message)
	}
	runCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.History.Serve(runCtx) }()
	testdata.Wait(t, time.Minute, "the reuse history restored", s.History.Done)
	stop()
	if err := <-served; err != nil && err != context.Canceled {
		t.Fatal(err)
	}
	if r := guard.Verify("EPM1:any", mark.Context{}); r.Verdict != mark.Accept {
		t.Fatalf("a mark once the history is restored: %s %q", r.Verdict, r.Message)
	}

	// The mark accepted after the backup is refused as used.
	r := saveMark(t, restored, 10, mark.Accept, day0.Add(2*time.Hour))
	if r.Verdict != mark.Reject || len(r.Reasons) != 1 || r.Reasons[0] != mark.ReasonReused {
		t.Fatalf("serial 10 on the restored store: %s %v, want REJECT [REUSED]", r.Verdict, r.Reasons)
	}
	// A new decision reaches the collector (numbered after its events).
	if err := restored.ConfirmRejection(ctx, rej3.ID, "boss", "after the restore"); err != nil {
		t.Fatal(err)
	}
	// markd restarted after the restore, before the decisions went.
	if err := newService(restored).Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if after := stats(t, col.store); after.Events != before.Events+2 {
		t.Fatalf("collector has %d events after the restore's decisions, want %d", after.Events, before.Events+2)
	}
	for _, id := range []string{rej3.ID, rej4.ID} {
		if r, err := col.store.Record(ctx, "office-a", id); err != nil || r.Review != mark.ReviewConfirmed {
			t.Fatalf("record %s at the collector: review %q, %v", id, r.Review, err)
		}
	}
	// A store that is not behind stays as it is at its next start.
	s2 := newService(restored)
	if err := s2.Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if !s2.History.Done() {
		t.Fatal("the caught-up store was found behind again")
	}
}

// acceptEvery judges every text ACCEPT (the guard's input).
type acceptEvery struct{ mark.Verifier }

func (acceptEvery) Verify(string, mark.Context) mark.Result {
	return mark.Result{Verdict: mark.Accept, Reasons: []mark.Reason{}}
}

// TestNewStoreNotBehindAfterRestore: a store made by markd init whose
// history was restored by a command that runs once (markd sync --once,
// import) before any upload is not found behind at its first upload for
// the lost store's records: the restore noted the collector's newest
// record it caught up to.
func TestNewStoreNotBehindAfterRestore(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	old := openCounter(t)
	saveMark(t, old, 1, mark.Accept, day0)
	rej := saveMark(t, old, 2, mark.Reject, day0.Add(time.Minute))
	if err := old.ConfirmRejection(ctx, rej.ID, "boss", ""); err != nil {
		t.Fatal(err)
	}
	if err := NewUploader(old, newClient(t, col.srv.URL, "office-a"), UploaderOptions{}, quiet, nil).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, err := store.Create(ctx, filepath.Join(t.TempDir(), "markd.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fresh.Close() })
	s, err := New(ctx, fresh, Options{Client: ClientOptions{URL: col.srv.URL, Token: "tok-office-a", Timeout: 5 * time.Second},
		Now: testdata.Now}, nil, quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.History.RestoreNow(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.History.Done() {
		t.Fatal("a new store with its history restored was found behind the collector")
	}
}

// TestBackupCopyHeldUntilCompared: a markd backup copy put back in place
// accepts no mark before the first upload has compared it with the
// collector (no moment in which a mark accepted since the copy passes);
// one that is not behind then accepts without restoring anything.
func TestBackupCopyHeldUntilCompared(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	dir := t.TempDir()
	live := storetest.OpenAt(t, filepath.Join(dir, "markd.db"), store.Options{Log: quiet})
	saveMark(t, live, 1, mark.Accept, day0)
	opts := Options{Client: ClientOptions{URL: col.srv.URL, Token: "tok-office-a", Timeout: 5 * time.Second}, Now: testdata.Now}
	s, err := New(ctx, live, opts, nil, quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := live.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	// The live store itself is not a copy: it accepts at once.
	if s, err = New(ctx, live, opts, nil, quiet, nil); err != nil || !s.History.Done() {
		t.Fatalf("the live store after a backup: done %v, %v", s != nil && s.History.Done(), err)
	}
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}

	restored := storetest.OpenAt(t, backup, store.Options{Log: quiet})
	if s, err = New(ctx, restored, opts, nil, quiet, nil); err != nil {
		t.Fatal(err)
	}
	guard := HistoryGuard(acceptEvery{}, s.History)
	if r := guard.Verify("EPM1:any", mark.Context{}); r.Verdict != mark.Error {
		t.Fatalf("a mark on a backup copy before it was compared with the collector: %s", r.Verdict)
	}
	// Without a collector (the copy is how such a counter is restored) it accepts.
	if off, err := NewRestorer(ctx, restored, nil, quiet); err != nil || !off.Done() {
		t.Fatalf("a backup copy without a collector: done %v, %v", off != nil && off.Done(), err)
	}
	if err := s.Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if r := guard.Verify("EPM1:any", mark.Context{}); r.Verdict != mark.Accept {
		t.Fatalf("a mark on a copy the collector found up to date: %s %q", r.Verdict, r.Message)
	}
	if n, err := restored.RestoredCount(ctx); err != nil || n != 0 {
		t.Fatalf("a copy that is not behind restored %d serials (%v)", n, err)
	}
	// Its next start pays nothing.
	if s, err = New(ctx, restored, opts, nil, quiet, nil); err != nil || !s.History.Done() {
		t.Fatalf("the compared copy at its next start: done %v, %v", s != nil && s.History.Done(), err)
	}
}

// TestBackupCopyOlderCollector: a collector older than the comparison (it
// ignores X-Terminal-State) leaves a markd backup copy held until it has
// restored the office's used serials in full, not for good.
func TestBackupCopyOlderCollector(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	older := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(hub.HeaderTerminalState)
		col.api.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(older.Close)
	dir := t.TempDir()
	live := storetest.OpenAt(t, filepath.Join(dir, "markd.db"), store.Options{Log: quiet})
	saveMark(t, live, 1, mark.Accept, day0)
	backup := filepath.Join(dir, "backup.db")
	if err := live.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	saveMark(t, live, 2, mark.Accept, day0.Add(time.Hour))
	if err := NewUploader(live, newClient(t, older.URL, "office-a"), UploaderOptions{}, quiet, nil).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	restored := storetest.OpenAt(t, backup, store.Options{Log: quiet})
	s, err := New(ctx, restored, Options{Client: ClientOptions{URL: older.URL, Token: "tok-office-a", Timeout: 5 * time.Second},
		Now: testdata.Now}, nil, quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Uploader.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.History.Serve(runCtx) }()
	testdata.Wait(t, time.Minute, "the backup copy's history restored", s.History.Done)
	stop()
	<-served
	if r := saveMark(t, restored, 2, mark.Accept, day0.Add(2*time.Hour)); r.Verdict != mark.Reject {
		t.Fatalf("serial 2 on the restored copy: %s %v, want REUSED", r.Verdict, r.Reasons)
	}
}
