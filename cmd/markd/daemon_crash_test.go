package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

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
