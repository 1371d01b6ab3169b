//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/pgstore"
	"markd/hub/sqlitestore"
)

// probe is one answer of markhub and how long it took.
type probe struct {
	code       int
	retryAfter string
	body       string
	took       time.Duration
}

func get(t *testing.T, method, url, token, body string) probe {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	cl := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v (after %v): no answer", method, url, err, time.Since(start))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return probe{resp.StatusCode, resp.Header.Get("Retry-After"), string(b), time.Since(start)}
}

// TestProcessesPostgresFaults runs markhub serve (PostgreSQL) and `markd
// sync` as processes and, each time while a backlog is being uploaded,
// freezes PostgreSQL (SIGSTOP of every server process), stops it, and
// restarts it. During the freeze and the stop every route answers at once:
// /healthz and /healthz/ready 503 with Retry-After, /healthz/live 200, an
// upload (good or made-up token) 503 with a short body that names no
// database, user or address. After each fault health comes back by itself
// and, at the end, every record is in the collector exactly once.
func TestProcessesPostgresFaults(t *testing.T) {
	cl := pgCluster(t)
	markhub, markd := buildBinaries(t)
	dsn := cl.DSN("postgres")
	token := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db-driver", "postgres", "--db", dsn)
	publishTestKeyring(t, "postgres", dsn)
	addr := freePort(t)
	start(t, true, markhub, "serve", "--db-driver", "postgres", "--db", dsn, "--listen", addr)
	base := "http://" + addr

	chunk := 6000
	if testing.Short() {
		chunk = 2000
	}
	dir := t.TempDir()
	var ids []string
	addRecords := func(k int) {
		_, more := counterStore(t, dir, chunk, uint64(1+k*chunk), 426000)
		ids = append(ids, more...)
	}
	counterDB := filepath.Join(dir, "markd.db")
	addRecords(0)
	cfg := writeConfig(t, t.TempDir(), counterDB, base, token, 100)
	start(t, false, markd, "sync", "--config", cfg)
	waitBelow := func(limit int) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for pendingIn(t, counterDB) > limit {
			if time.Now().After(deadline) {
				t.Fatalf("stuck: %d pending", pendingIn(t, counterDB))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	healthy := func(what string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			p := get(t, http.MethodGet, base+"/healthz", "", "")
			var h hub.Health
			if p.code == 200 && json.Unmarshal([]byte(p.body), &h) == nil && h.OK && h.Store.OK {
				t.Logf("%s: healthy again: %s", what, strings.TrimSpace(p.body))
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not healthy after a minute: %d %s", what, p.code, p.body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// down checks every route while the store is away.
	down := func(what string) {
		t.Helper()
		leaks := []string{"postgres", strconv.Itoa(cl.Port), "127.0.0.1", "user", "database", "dial", "timeout"}
		for _, c := range []struct {
			name, method, path, token, body string
			code                            int
		}{
			{"health", "GET", "/healthz", "", "", 503},
			{"ready", "GET", "/healthz/ready", "", "", 503},
			{"live", "GET", "/healthz/live", "", "", 200},
			{"made-up token", "POST", "/v1/upload", "mkt_madeup", `{}`, 503},
			{"upload", "POST", "/v1/upload", token, `{}`, 503},
			{"bundle", "GET", "/v1/bundle?after=0", token, "", 503},
		} {
			p := get(t, c.method, base+c.path, c.token, c.body)
			t.Logf("%s: %s: %d in %v, Retry-After %q: %s", what, c.name, p.code, p.took.Round(time.Millisecond), p.retryAfter, strings.TrimSpace(p.body))
			if p.code != c.code {
				t.Fatalf("%s: %s: status %d, want %d: %s", what, c.name, p.code, c.code, p.body)
			}
			if c.code == 503 && p.retryAfter == "" {
				t.Fatalf("%s: %s: 503 without Retry-After", what, c.name)
			}
			for _, l := range leaks {
				if strings.Contains(strings.ToLower(p.body), l) {
					t.Fatalf("%s: %s: body leaks %q: %s", what, c.name, l, p.body)
				}
			}
		}
	}

	healthy("start")
	waitBelow(chunk * 3 / 4) // uploading

	if err := cl.Freeze(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	down("frozen")
	time.Sleep(2 * time.Second) // the uploads in flight meet their deadline
	if err := cl.Thaw(); err != nil {
		t.Fatal(err)
	}
	healthy("thawed")

	addRecords(1)
	waitBelow(chunk * 3 / 4)
	if err := cl.Halt(); err != nil {
		t.Fatal(err)
	}
	down("stopped")
	time.Sleep(time.Second)
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	healthy("started")

	addRecords(2)
	waitBelow(chunk * 3 / 4)
	if err := cl.Halt(); err != nil { // a quick restart under upload
		t.Fatal(err)
	}
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	healthy("restarted")
	waitBelow(0)

	hs, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	st, err := hs.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := int64(len(ids)); st.Records != n || st.UsedSerials != n || st.Alerts != 0 {
		t.Fatalf("collector has %+v, want %d records exactly once", st, n)
	}
	p := get(t, http.MethodGet, base+"/healthz", "", "")
	var h hub.Health
	if err := json.Unmarshal([]byte(p.body), &h); err != nil || h.LastWrite == nil {
		t.Fatalf("health after the uploads names no last write: %s", p.body)
	}
}

// TestProcessesSyncOnceRefused: `markd sync --once` against `markhub serve`
// over mTLS ends with exit 1 and a plain message, instead of retrying
// forever, when the collector will not take it: an expired client
// certificate (the message says when it expired and to renew it) and a
// made-up token. A good certificate drains the store (exactly once).
func TestProcessesSyncOnceRefused(t *testing.T) {
	markhub, markd := buildBinaries(t)
	dir := t.TempDir()
	pki := hubtest.NewPKI(t)
	hubDB := filepath.Join(dir, "hub.db")
	hubCfg := filepath.Join(dir, "markhub.yaml")
	if err := os.WriteFile(hubCfg, []byte(fmt.Sprintf("db: %s\ntls_cert: %s\ntls_key: %s\nclient_ca: %s\n",
		hubDB, pki.ServCert, pki.ServKey, pki.CAFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	run1(t, markhub, "terminal", "add", "office-old", "--cert-only", "--office", "426000", "--config", hubCfg)
	run1(t, markhub, "terminal", "add", "office-new", "--cert-only", "--office", "426000", "--config", hubCfg)
	addr := freePort(t)
	start(t, true, markhub, "serve", "--config", hubCfg, "--listen", addr)

	expiredAt := time.Now().Add(-26 * time.Hour)
	oldCert, oldKey := pki.IssueUntil(t, "office-old", false, expiredAt)
	newCert, newKey := pki.Issue(t, "office-new", false)
	counter := func(auth string) (string, []string) {
		d := t.TempDir()
		db, ids := counterStore(t, d, 50, 1, 426000)
		cfg := fmt.Sprintf("db: %s\ncounter: \"1\"\nsync:\n  url: https://%s\n  ca: %s\n%s  batch_size: 20\n  max_backoff: 300ms\n",
			db, addr, pki.CAFile, auth)
		p := filepath.Join(d, "markd.yaml")
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p, ids
	}
	tests := []struct {
		name, auth string
		code       int
		says       []string
	}{
		{"expired certificate", fmt.Sprintf("  client_cert: %s\n  client_key: %s\n", oldCert, oldKey), 1,
			[]string{"expired on " + expiredAt.UTC().Format("2006-01-02"), "renew"}},
		{"made-up token", "  token: mkt_madeup\n", 1, []string{"401"}},
		{"good certificate", fmt.Sprintf("  client_cert: %s\n  client_key: %s\n", newCert, newKey), 0, []string{"uploaded 50 records"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := counter(tt.auth)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, markd, "sync", "--once", "--config", cfg).CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Fatalf("markd sync --once still retrying after a minute:\n%s", out)
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.code, out)
			}
			for _, s := range tt.says {
				if !strings.Contains(string(out), s) {
					t.Fatalf("output does not say %q:\n%s", s, out)
				}
			}
		})
	}
	hs, err := sqlitestore.Open(context.Background(), hubDB)
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	if st, err := hs.Stats(context.Background()); err != nil || st.Records != 50 {
		t.Fatalf("collector has %+v %v, want the good counter's 50 records once", st, err)
	}
}
