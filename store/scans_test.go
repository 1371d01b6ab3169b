package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/mark"

	"golang.org/x/crypto/bcrypt"
)

var quiet = slog.New(slog.DiscardHandler)

var t0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

// openTest is the one opener of a fresh store for the tests of this
// package (other packages use internal/storetest): a file in t.TempDir,
// quiet, cheap passwords, Close checked at the end.
func openTest(t testing.TB, o Options) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "markd.db")
	if o.Log == nil {
		o.Log = quiet
	}
	if o.PasswordCost == 0 {
		o.PasswordCost = bcrypt.MinCost
	}
	db, err := OpenWith(context.Background(), path, o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db, path
}

// openAgain opens the store at path once more (after a Close, to see what
// the file holds), closed at the end of the test.
func openAgain(t testing.TB, path string) *DB {
	t.Helper()
	db, err := OpenWith(context.Background(), path, Options{Log: quiet})
	if err != nil {
		t.Fatalf("open again: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scOpen opens a fresh store on the wall clock (scans bring their times).
func scOpen(t testing.TB) (*DB, string) {
	t.Helper()
	return openTest(t, Options{})
}

func scRec(serial uint64, counter string, at time.Time, v mark.Verdict, reasons ...mark.Reason) *mark.Record {
	m := &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: serial, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9820, ValidUntil: 9910}
	return &mark.Record{At: at, Office: 426000, Counter: counter, Source: "test", Text: fmt.Sprintf("EPM1:TEXT%d", serial),
		Verdict: v, Reasons: reasons, Mark: m}
}

// TestSaveReuse replays MARK-FORMAT §7 step 5 cases through Save.
func TestSaveReuse(t *testing.T) {
	type step struct {
		rec         *mark.Record
		wantVerdict mark.Verdict
		wantReasons []mark.Reason
		wantFirst   int // index of the step whose record was first accepted, -1 none
	}
	other := scRec(1, "A", t0.Add(2*time.Minute), mark.Accept)
	other.Text = "EPM1:OTHERTEXT" // same serial, different text (a copy re-encoded)
	steps := []step{
		{scRec(1, "A", t0, mark.Accept), mark.Accept, nil, -1},
		{scRec(1, "A", t0.Add(3*time.Minute), mark.Accept), mark.DuplicateScan, nil, 0},
		{other, mark.Reject, []mark.Reason{mark.ReasonReused}, 0},
		{scRec(1, "B", t0.Add(4*time.Minute), mark.Accept), mark.Reject, []mark.Reason{mark.ReasonReused}, 0},
		{scRec(1, "A", t0.Add(30*time.Minute), mark.Accept), mark.Reject, []mark.Reason{mark.ReasonReused}, 0},
		{scRec(1, "A", t0.Add(31*time.Minute), mark.Reject, mark.ReasonExpired), mark.Reject,
			[]mark.Reason{mark.ReasonExpired, mark.ReasonReused}, 0},
		{scRec(2, "A", t0.Add(32*time.Minute), mark.Reject, mark.ReasonUnderpaid), mark.Reject, []mark.Reason{mark.ReasonUnderpaid}, -1},
		{scRec(2, "B", t0.Add(33*time.Minute), mark.Reject, mark.ReasonUnderpaid), mark.Reject, []mark.Reason{mark.ReasonUnderpaid}, -1},
		{scRec(3, "B", t0.Add(60*time.Minute), mark.Accept), mark.Accept, nil, -1},
		{scRec(3, "A", t0.Add(61*time.Minute), mark.Accept), mark.Reject, []mark.Reason{mark.ReasonReused}, 8},
		{&mark.Record{At: t0, Office: 426000, Counter: "A", Source: "test", Text: "hello", Verdict: mark.NotAMark},
			mark.NotAMark, nil, -1},
	}
	db, _ := scOpen(t)
	ids := make([]string, len(steps))
	for i, s := range steps {
		if err := db.Save(context.Background(), s.rec, 10*time.Minute); err != nil {
			t.Fatalf("step %d: save: %v", i, err)
		}
		ids[i] = s.rec.ID
		if s.rec.Verdict != s.wantVerdict || !slices.Equal(s.rec.Reasons, append([]mark.Reason{}, s.wantReasons...)) {
			t.Errorf("step %d: got %s %v, want %s %v", i, s.rec.Verdict, s.rec.Reasons, s.wantVerdict, s.wantReasons)
		}
		switch {
		case s.wantFirst < 0 && s.rec.FirstAccepted != nil:
			t.Errorf("step %d: first accepted %+v, want none", i, s.rec.FirstAccepted)
		case s.wantFirst >= 0 && (s.rec.FirstAccepted == nil || s.rec.FirstAccepted.RecordID != ids[s.wantFirst] ||
			!s.rec.FirstAccepted.At.Equal(steps[s.wantFirst].rec.At) || s.rec.FirstAccepted.Counter != steps[s.wantFirst].rec.Counter):
			t.Errorf("step %d: first accepted %+v, want record %s of step %d", i, s.rec.FirstAccepted, ids[s.wantFirst], s.wantFirst)
		}
		got, err := db.Get(context.Background(), s.rec.ID)
		if err != nil {
			t.Fatalf("step %d: get: %v", i, err)
		}
		if got.Verdict != s.rec.Verdict || !slices.Equal(got.Reasons, s.rec.Reasons) || got.Upload != mark.UploadPending {
			t.Errorf("step %d: stored %s %v %s, returned %s %v", i, got.Verdict, got.Reasons, got.Upload, s.rec.Verdict, s.rec.Reasons)
		}
		if (got.Verdict == mark.Reject) != (got.Review == mark.ReviewPending) {
			t.Errorf("step %d: verdict %s with review state %q", i, got.Verdict, got.Review)
		}
	}
	var used int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM used_serials`).Scan(&used); err != nil || used != 2 {
		t.Errorf("used serials = %d (%v), want 2 (serials 1 and 3)", used, err)
	}
	if _, err := db.Get(context.Background(), "nope"); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("get unknown id: %v, want ErrNotFound", err)
	}
	a, err := db.FirstAcceptance(context.Background(), 3)
	if err != nil || a == nil || a.Counter != "B" {
		t.Errorf("first acceptance of 3 = %+v, %v; want counter B", a, err)
	}
	if a, err := db.FirstAcceptance(context.Background(), 2); err != nil || a != nil {
		t.Errorf("first acceptance of rejected serial 2 = %+v, %v; want none", a, err)
	}
}

// TestSaveRace: two store handles (like two processes) accept the same
// serials at the same time; each serial is accepted exactly once.
func TestSaveRace(t *testing.T) {
	db1, path := scOpen(t)
	db2, err := Open(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	n := 200
	if testing.Short() {
		n = 50
	}
	var wg sync.WaitGroup
	accepted := make([]int, n)
	var mu sync.Mutex
	for _, w := range []struct {
		db      *DB
		counter string
	}{{db1, "A"}, {db2, "B"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := 0; s < n; s++ {
				r := scRec(uint64(s), w.counter, t0, mark.Accept)
				if err := w.db.Save(context.Background(), r, time.Minute); err != nil {
					t.Errorf("save: %v", err)
					return
				}
				if r.Verdict == mark.Accept {
					mu.Lock()
					accepted[s]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for s, c := range accepted {
		if c != 1 {
			t.Errorf("serial %d accepted %d times", s, c)
		}
	}
}

// TestFailWrite: a failing disk gives ErrUnavailable with a hint, leaves
// the record and the store untouched, and writes work again afterwards.
func TestFailWrite(t *testing.T) {
	db, _ := scOpen(t)
	db.FailWrite = func() error { return syscall.ENOSPC }
	r := scRec(7, "A", t0, mark.Accept)
	err := db.Save(context.Background(), r, time.Minute)
	if !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(mark.Hint(err), "disk full") {
		t.Fatalf("save on full disk: %v, want ErrUnavailable with a hint", err)
	}
	if r.ID != "" || r.Verdict != mark.Accept {
		t.Errorf("record changed by a failed save: %+v", r)
	}
	if a, err := db.FirstAcceptance(context.Background(), 7); err != nil || a != nil {
		t.Fatalf("serial used after a failed save: %+v %v", a, err)
	}
	db.FailWrite = nil
	if err := db.Save(context.Background(), r, time.Minute); err != nil || r.Verdict != mark.Accept || r.ID == "" {
		t.Fatalf("save after recovery: %v %+v", err, r)
	}
}

// TestCancelledWrite: a save whose caller gave up (a page left, a
// fetch aborted) is not recorded, and its error does not send anyone to
// look at the disk.
func TestCancelledWrite(t *testing.T) {
	db, _ := scOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := scRec(8, "A", t0, mark.Accept)
	err := db.Save(ctx, r, time.Minute)
	if !errors.Is(err, mark.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("save with a cancelled context: %v, want ErrUnavailable and context.Canceled", err)
	}
	if h := mark.Hint(err); !strings.Contains(h, "given up") || strings.Contains(h, "disk") {
		t.Errorf("hint %q, want one about the request given up, not the disk", h)
	}
	if a, err := db.FirstAcceptance(context.Background(), 8); err != nil || a != nil {
		t.Fatalf("serial used after a cancelled save: %+v %v", a, err)
	}
}

func TestMigrationsReopen(t *testing.T) {
	db, path := scOpen(t)
	r := scRec(9, "A", t0, mark.Accept)
	if err := db.Save(context.Background(), r, time.Minute); err != nil {
		t.Fatal(err)
	}
	var before int
	db.SQL().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&before)
	db.Close()
	db2, err := Open(context.Background(), path, quiet)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	var after int
	db2.SQL().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&after)
	if before == 0 || before != after {
		t.Errorf("migrations: %d before reopen, %d after", before, after)
	}
	if got, err := db2.Get(context.Background(), r.ID); err != nil || got.Verdict != mark.Accept {
		t.Errorf("record after reopen: %+v %v", got, err)
	}
	var mode string
	db2.SQL().QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

// TestRefuseNewerSchema: a store migrated by a newer markd (a version past
// the embedded migrations) is not opened, and its file is left as it is.
func TestRefuseNewerSchema(t *testing.T) {
	db, path := scOpen(t)
	if _, err := db.SQL().Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, '999_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(context.Background(), path, quiet)
	if !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("open: %v, want ErrSchemaNewer", err)
	}
	if !strings.Contains(err.Error(), "999") {
		t.Fatalf("error %q does not name the migration", err)
	}
}
