package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/internal/testdata"
	"markd/store"
)

// TestCommandsRestoreHistory: every command that writes verdicts into a
// store made by markd init — markd import, markd verify --db — and markd
// sync --once first restore the office's used serials from markhub. With
// markhub away they refuse (exit 1, "reuse history not restored", nothing
// stored) instead of accepting the office's used marks again; with markhub
// up a serial the office used is REUSED and a new one ACCEPT; a store
// restored by sync --once judges with the history while markhub is away.
// The history holds the serials the office accepted after another office
// too (a reuse alert at the collector).
func TestCommandsRestoreHistory(t *testing.T) {
	h := newHistoryHub(t)
	markhub, markd, dir, hubDB, addr, token := h.markhub, h.markd, h.dir, h.db, h.addr, h.token
	// Office B accepted serial 2000 first; office A's old store holds
	// 900..1199 and accepted 2000 after B (a reuse alert at the collector).
	tokenB := run1(t, markhub, "terminal", "add", "office-b", "--office", "101000", "--db", hubDB)
	storeB, _ := counterStore(t, t.TempDir(), 1, 2000, 101000)
	rows := []scanRow{{office: 426000, serial: 2000}}
	for s := uint64(900); s < 1200; s++ {
		rows = append(rows, scanRow{office: 426000, serial: s})
	}
	old, _ := writeScans(t, t.TempDir(), rows)
	hubP := start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), storeB, "http://"+addr, tokenB, 500))
	run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), old, "http://"+addr, token, 500))
	hubP.kill()

	keyring, tariffs := counterLists(t, dir)
	// newStore is a counter store made by markd init, with sync to markhub.
	newStore := func(t *testing.T) (cfg, db string) {
		d := t.TempDir()
		db = filepath.Join(d, "markd.db")
		cfg = filepath.Join(d, "markd.yaml")
		body := fmt.Sprintf("office: 426000\ncounter: \"1\"\nkeyring: %s\ntariffs: %s\ndb: %s\n"+
			"sync:\n  url: http://%s\n  token: %s\n  max_backoff: 300ms\n", keyring, tariffs, db, addr, token)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		run1(t, markd, "init", "--config", cfg)
		return cfg, db
	}
	at := testdata.Now().Format(time.RFC3339)
	imports := filepath.Join(dir, "scans.jsonl")
	var lines strings.Builder
	for _, serial := range []uint64{900, 1199, 2000, 5000} {
		fmt.Fprintf(&lines, `{"text":%q,"at":%q}`+"\n", hubtest.Sign(hubtest.TestMark(serial, 426000)), at)
	}
	if err := os.WriteFile(imports, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	markdRun := func(stdin string, args ...string) result {
		cmd := exec.Command(markd, args...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		r := result{stdout: out.String(), stderr: errb.String()}
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	records := func(db string) int {
		s, err := store.Open(context.Background(), db, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n, err := s.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, c := range n {
			total += c
		}
		return total
	}
	verifyDB := func(cfg string) result {
		return markdRun(hubtest.Sign(hubtest.TestMark(901, 426000))+"\n"+hubtest.Sign(hubtest.TestMark(5001, 426000))+"\n",
			"verify", "--config", cfg, "--db", filepath.Join(filepath.Dir(cfg), "markd.db"), "--at", at, "--at-ahead")
	}

	// markhub away: every command refuses, nothing is judged or stored.
	cfg, db := newStore(t)
	for name, r := range map[string]result{
		"import":      markdRun("", "import", "--config", cfg, "--at-ahead", imports),
		"verify --db": verifyDB(cfg),
		"sync --once": markdRun("", "sync", "--once", "--config", cfg),
	} {
		if r.code != 1 || !strings.Contains(r.stderr, "reuse history not restored") || strings.Contains(r.stdout, "ACCEPT") {
			t.Fatalf("%s with markhub away: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
	}
	if n := records(db); n != 0 {
		t.Fatalf("%d records stored without the history", n)
	}

	// markhub up: import restores first, then judges with the history.
	hubP = start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	r := markdRun("", "import", "--config", cfg, "--at-ahead", imports)
	// 2000 too: office A accepted it after office B (an alert), and the
	// lost store knew it as used.
	if r.code != 0 || !strings.Contains(r.stderr, "restored from markhub: 301 serials") ||
		!strings.Contains(r.stdout, "ACCEPT          1") || !strings.Contains(r.stdout, "REJECT          3") {
		t.Fatalf("import with markhub: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// verify --db on another new store restores too.
	cfg2, _ := newStore(t)
	r = verifyDB(cfg2)
	if r.code != 0 || !strings.Contains(r.stderr, "restored from markhub: 301 serials") ||
		strings.Count(r.stdout, `"REUSED"`) != 1 || strings.Count(r.stdout, `"ACCEPT"`) != 1 {
		t.Fatalf("verify --db with markhub: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// sync --once restores a third new store; it judges with the history
	// when markhub is away again.
	cfg3, _ := newStore(t)
	r = markdRun("", "sync", "--once", "--config", cfg3)
	if r.code != 0 || !strings.Contains(r.stderr, "restored from markhub: 301 serials") {
		t.Fatalf("sync --once: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = markdRun("", "sync", "--once", "--config", cfg3) // restored already: no second restore
	if r.code != 0 || strings.Contains(r.stderr, "restored") {
		t.Fatalf("second sync --once: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	hubP.kill()
	r = verifyDB(cfg3)
	if strings.Count(r.stdout, `"REUSED"`) != 1 || strings.Count(r.stdout, `"ACCEPT"`) != 1 {
		t.Fatalf("verify --db after sync --once, markhub away: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
