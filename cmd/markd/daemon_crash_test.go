package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// TestRunCrashSafety feeds thousands of scans (distinct marks and repeats)
// to markd run, SIGKILLs it at random points over several rounds and
// restarts it. Every ACCEPT it reported must be in the store, and no
// serial may be accepted twice.
func TestRunCrashSafety(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	n, rounds := 2000, 5
	if testing.Short() {
		n, rounds = 400, 3
	}
	marks := dmMarks(t, n, 1_000_000)
	rng := rand.New(rand.NewPCG(1, 2))
	var feed []string
	for i, m := range marks {
		feed = append(feed, m)
		if i > 0 && rng.IntN(5) == 0 { // a repeat of an earlier mark: duplicate or reuse
			feed = append(feed, marks[rng.IntN(i)])
		}
	}
	reported := map[string]runOut{} // id → line, for ACCEPTs
	pos := 0
	for round := 0; round < rounds && pos < len(feed); round++ {
		p := dmStart(t, bin, "--config", cfg)
		// kill after a random number of verdicts; the last round drains
		killAfter := len(feed) - pos
		if round < rounds-1 {
			killAfter = 1 + rng.IntN(max(1, (len(feed)-pos)/(rounds-round)))
		}
		go func(lines []string) {
			for _, l := range lines {
				if _, err := fmt.Fprintln(p.stdin, l); err != nil {
					return // killed
				}
			}
		}(feed[pos:])
		got := 0
		for got < killAfter {
			o := p.next(t)
			got++
			if o.Verdict == mark.Accept {
				reported[o.ID] = o
			}
		}
		if round < rounds-1 {
			_ = p.cmd.Process.Signal(os.Kill)
			_ = p.cmd.Wait()
			for o := range p.lines { // verdicts printed before the kill
				got++
				if o.Verdict == mark.Accept {
					reported[o.ID] = o
				}
			}
		} else {
			p.stop(t)
		}
		t.Logf("round %d: %d verdicts from line %d", round, got, pos)
		pos += got
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "markd.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, o := range reported {
		rec, err := db.Get(context.Background(), id)
		if err != nil || rec.Verdict != mark.Accept || rec.Mark == nil || rec.Mark.Serial != o.Mark.Serial {
			t.Errorf("reported ACCEPT %s (serial %d) not in the store as accepted: %+v %v", id, o.Mark.Serial, rec.Verdict, err)
		}
	}
	var twice, used, accepted int
	q := db.SQL()
	if err := q.QueryRow(`SELECT count(*) FROM (SELECT serial FROM scans WHERE verdict = 'ACCEPT' GROUP BY serial HAVING count(*) > 1)`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	q.QueryRow(`SELECT count(*) FROM used_serials`).Scan(&used)
	q.QueryRow(`SELECT count(*) FROM scans WHERE verdict = 'ACCEPT'`).Scan(&accepted)
	if twice != 0 || used != accepted || len(reported) > accepted || accepted == 0 {
		t.Errorf("serials accepted twice: %d; used serials %d, accepted rows %d, reported %d", twice, used, accepted, len(reported))
	}
}

var (
	listenURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	refused   = regexp.MustCompile(`reload refused`)
	reloaded  = regexp.MustCompile(`lists reloaded`)
)

// TestRunReload: SIGHUP with a broken keyring is refused (the old lists
// judge on); with a good new keyring it is used for the next scan; the
// same happens on a file change without a signal.
func TestRunReload(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	orig, err := os.ReadFile(testdata.Path(t, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	keyring := filepath.Join(dir, "keyring.yaml")
	replace := func(data []byte) { // the safe way: write a temp file, rename
		tmp := keyring + ".new"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, keyring); err != nil {
			t.Fatal(err)
		}
	}
	replace(orig)
	cfg := dmConfig(t, dir, keyring)
	p := dmStart(t, bin, "--config", cfg)
	m := p.waitLog(t, listenURL, 0)
	base := strings.TrimPrefix(m[0], "url=")
	versions := func() string {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h struct {
			Versions mark.Versions `json:"versions"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz: %d %v", resp.StatusCode, err)
		}
		return h.Versions.Keyring
	}
	v0 := versions()
	marks := dmMarks(t, 4, 2_000_000)
	scan := func(text string) runOut { fmt.Fprintln(p.stdin, text); return p.next(t) }
	if o := scan(marks[0]); o.Verdict != mark.Accept {
		t.Fatalf("first mark: %s %v", o.Verdict, o.Reasons)
	}
	// broken file: refused, whether seen by the watcher or by SIGHUP
	replace([]byte("keys: [this is not a keyring"))
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, refused, 0)
	if o := scan(marks[1]); o.Verdict != mark.Accept {
		t.Errorf("after a broken keyring: %s %v, want the old lists (ACCEPT)", o.Verdict, o.Reasons)
	}
	if v := versions(); v != v0 {
		t.Errorf("keyring version changed to %s after a refused reload", v)
	}
	// a good keyring without key 1: the next mark of key 1 is UNKNOWN_KEY
	without, _, ok := strings.Cut(string(orig), "  - id: 1\n")
	rest := string(orig)[len(without)+len("  - id: 1\n"):]
	_, rest, ok2 := strings.Cut(rest, "  - id: 2\n")
	if !ok || !ok2 {
		t.Fatalf("keyring layout changed: %q", orig)
	}
	n := len(reloaded.FindAllString(p.stderr(), -1))
	replace([]byte(without + "  - id: 2\n" + rest))
	p.waitLog(t, reloaded, n) // the watcher sees the change
	if o := scan(marks[2]); o.Verdict != mark.Reject || len(o.Reasons) != 1 || o.Reasons[0] != mark.ReasonUnknownKey {
		t.Errorf("after removing key 1: %s %v, want REJECT [UNKNOWN_KEY]", o.Verdict, o.Reasons)
	}
	if v := versions(); v == v0 {
		t.Error("keyring version unchanged after a reload")
	}
	replace(orig)
	n = len(reloaded.FindAllString(p.stderr(), -1))
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLog(t, reloaded, n)
	if o := scan(marks[3]); o.Verdict != mark.Accept {
		t.Errorf("after restoring the keyring: %s %v", o.Verdict, o.Reasons)
	}
	p.stop(t)
}
