package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// benchStore fills a store with n scans, a third of them rejected, in one
// transaction, and returns a logged-in supervisor request maker.
func benchServer(b *testing.B, n int) (*Server, *http.Cookie) {
	b.Helper()
	db := storetest.Open(b, store.Options{})
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	recs := make([]*mark.Record, n)
	for i := range recs {
		v, reasons := mark.Accept, []mark.Reason{}
		if i%3 == 0 {
			v, reasons = mark.Reject, []mark.Reason{mark.ReasonUnderpaid}
		}
		recs[i] = &mark.Record{At: base.Add(time.Duration(i) * time.Second), Office: 426000, Counter: "A", Operator: "ivan",
			Source: "stdin", Text: "EPM1:X", Verdict: v, Reasons: reasons, Mark: testMark(uint64(i))}
	}
	storetest.Save(b, db, 0, recs...)
	s, err := New(Options{Store: db, Location: time.UTC, Log: nil, Hosts: []string{"example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	s.Handler(http.NotFoundHandler())
	ctx := context.Background()
	if err := db.AddUser(ctx, "sveta", store.RoleSupervisor, "supervisor-pw"); err != nil {
		b.Fatal(err)
	}
	u, err := db.GetUser(ctx, "sveta")
	if err != nil {
		b.Fatal(err)
	}
	token, _ := s.sess.create(u)
	return s, &http.Cookie{Name: sessionCookie, Value: token}
}

func benchGet(b *testing.B, n int, path string) {
	s, c := benchServer(b, n)
	h := s.Handler(http.NotFoundHandler())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(c)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
		}
		_, _ = io.Copy(io.Discard, w.Body)
	}
}

// Review list page (50 rows) over 30 000 scans, 10 000 of them rejected.
func BenchmarkReviewList30k(b *testing.B) { benchGet(b, 30000, "/review") }

// Review list filtered by reason and contract over the same store.
func BenchmarkReviewListFiltered30k(b *testing.B) {
	benchGet(b, 30000, "/review?reason=UNDERPAID&contract=1004417&page=10")
}

// CSV export of all 10 000 rejected records.
func BenchmarkCSVExport10k(b *testing.B) { benchGet(b, 30000, "/review/export.csv") }

// Day chart over 30 000 scans spread over 9 hours.
func BenchmarkDayView30k(b *testing.B) {
	benchGet(b, 30000, "/review/days?from=2026-10-25&to=2026-11-07")
}

// Operator screen's recent list (20 records).
func BenchmarkOperatorRecent30k(b *testing.B) { benchGet(b, 30000, "/operator/recent") }

// One password check at the production bcrypt cost: the price of a login.
func BenchmarkBcryptLogin(b *testing.B) {
	db := storetest.Open(b, store.Options{PasswordCost: 10})
	if err := db.AddUser(context.Background(), "sveta", store.RoleSupervisor, "password123"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Authenticate(context.Background(), "sveta", "password123"); err != nil {
			b.Fatal(err)
		}
	}
}

// The account read every request of a session makes (issue 9 §4): one
// primary-key read of users, so markd user passwd|disable|remove in another
// process ends the session at its next request.
func BenchmarkAccountCheck(b *testing.B) {
	s, c := benchServer(b, 0)
	sess, ok := s.sess.get(c.Value)
	if !ok {
		b.Fatal("no session")
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.checkAccount(ctx, sess); err != nil {
			b.Fatal(err)
		}
	}
}
