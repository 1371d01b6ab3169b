package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
)

// benchStore fills a store with n scans, a third of them rejected, in one
// transaction, and returns a logged-in supervisor request maker.
func benchServer(b *testing.B, n int) (*Server, *http.Cookie) {
	b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	tx, err := db.SQL().Begin()
	if err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		v, reasons := mark.Accept, "[]"
		if i%3 == 0 {
			v, reasons = mark.Reject, `["UNDERPAID"]`
		}
		f, _ := json.Marshal(testMark(uint64(i)).Fields())
		if _, err := tx.Exec(`INSERT INTO scans(id, at, office, counter, operator, source, raw_text, verdict, reasons, serial, mark_fields, review_state)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, fmt.Sprintf("id%08d", i), base.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano),
			426000, "A", "ivan", "stdin", "EPM1:X", string(v), reasons, i, string(f), map[bool]string{true: "pending"}[v == mark.Reject]); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Store: db, Location: time.UTC, Log: nil})
	if err != nil {
		b.Fatal(err)
	}
	s.Handler(http.NotFoundHandler())
	token, _ := s.sess.create("sveta", store.RoleSupervisor)
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
	old := store.PasswordCost
	store.PasswordCost = 10
	defer func() { store.PasswordCost = old }()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "u.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
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
