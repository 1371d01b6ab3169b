package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"markd/bench/benchutil"
	"markd/mark"
	"markd/pipeline"
	"markd/verify"
)

// measureProcess times pipeline.Process of a valid mark on the big store,
// in process (the signature check, reuse and the durable commit, without
// the process hops of P1), each followed by one bare commit; beside it
// the signature check alone (Judge). Together with store.Save alone and
// P1 it splits P1 into store, verification and the line → verdict hops.
func measureProcess(td, dir, db string, n, rounds int) ([]row, error) {
	const warm = 300
	var p50, r50, j50, rj []float64
	for r := 0; r < rounds; r++ {
		marks, err := signMarks(td, n+warm)
		if err != nil {
			return nil, err
		}
		v, err := verify.LoadFiles(filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), "")
		if err != nil {
			return nil, err
		}
		st, err := openStore(db)
		if err != nil {
			return nil, err
		}
		b, err := openBare(filepath.Join(dir, "bare.db"))
		if err != nil {
			st.Close()
			return nil, err
		}
		p := pipeline.New(pipeline.Options{Verifier: v, Store: st, Office: 426000, Counter: "1",
			Location: time.Local, RescanWindow: time.Minute})
		var proc, judge, bare []time.Duration
		for i, text := range marks {
			start := time.Now()
			p.Judge(mark.Scan{Text: text, Source: "stdin"})
			dj := time.Since(start)
			start = time.Now()
			rec := p.Process(context.Background(), mark.Scan{Text: text, Source: "stdin"})
			d := time.Since(start)
			if rec.Verdict != mark.Accept {
				b.close()
				st.Close()
				return nil, fmt.Errorf("process scan %d: %s %v", i, rec.Verdict, rec.Reasons)
			}
			start = time.Now()
			if err := b.commit(text); err != nil {
				return nil, err
			}
			if i >= warm {
				proc, judge, bare = append(proc, d), append(judge, dj), append(bare, time.Since(start))
			}
		}
		b.close()
		st.Close()
		bp50 := benchutil.Pct(bare, 50)
		p50, j50 = append(p50, benchutil.Pct(proc, 50).Seconds()), append(j50, benchutil.Pct(judge, 50).Seconds())
		r50 = append(r50, float64(benchutil.Pct(proc, 50))/float64(bp50))
		rj = append(rj, float64(benchutil.Pct(judge, 50))/float64(bp50))
	}
	name := fmt.Sprintf("pipeline.Process (verify + Save), %s store, in process (n=%d) p50", sizes.big, n)
	return []row{
		{name: name, goal: "(part of P1)", measured: spreadMs(p50), ratio: spread(r50)},
		{name: "verify alone (pipeline.Judge) p50", goal: "(part of P1)", measured: spreadMs(j50), ratio: spread(rj)},
	}, nil
}
