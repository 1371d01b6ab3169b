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
// Interleaved with them, scan by scan, Process with the signature checked
// before BEGIN (the verifier refuses to defer it: the path before the
// check under the commit's fsync), so the two compare on one disk state.
func measureProcess(td, dir, db string, n, rounds int) ([]row, error) {
	const warm = 300
	var p50, r50, j50, rj, s50, rs, rps []float64
	for r := 0; r < rounds; r++ {
		all, err := signMarks(td, 2*(n+warm))
		if err != nil {
			return nil, err
		}
		marks, serial := all[:n+warm], all[n+warm:]
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
		ps := pipeline.New(pipeline.Options{Verifier: noDefer{v}, Store: st, Office: 426000, Counter: "1",
			Location: time.Local, RescanWindow: time.Minute})
		var proc, judge, bare, before []time.Duration
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
			db, err := b.timed(text)
			if err != nil {
				return nil, err
			}
			start = time.Now()
			rec = ps.Process(context.Background(), mark.Scan{Text: serial[i], Source: "stdin"})
			ds := time.Since(start)
			if rec.Verdict != mark.Accept {
				b.close()
				st.Close()
				return nil, fmt.Errorf("process scan %d (no gate): %s %v", i, rec.Verdict, rec.Reasons)
			}
			if i >= warm {
				proc, judge, bare, before = append(proc, d), append(judge, dj), append(bare, db), append(before, ds)
			}
		}
		b.close()
		st.Close()
		bp50 := benchutil.Pct(bare, 50)
		p50, j50 = append(p50, benchutil.Pct(proc, 50).Seconds()), append(j50, benchutil.Pct(judge, 50).Seconds())
		r50 = append(r50, float64(benchutil.Pct(proc, 50))/float64(bp50))
		rj = append(rj, float64(benchutil.Pct(judge, 50))/float64(bp50))
		s50 = append(s50, benchutil.Pct(before, 50).Seconds())
		rs = append(rs, float64(benchutil.Pct(before, 50))/float64(bp50))
		rps = append(rps, float64(benchutil.Pct(proc, 50))/float64(benchutil.Pct(before, 50)))
	}
	name := fmt.Sprintf("pipeline.Process (verify + Save), %s store, in process (n=%d) p50", sizes.big, n)
	return []row{
		{name: name, goal: "(part of P1)", measured: spreadMs(p50), ratio: spread(r50)},
		{name: "verify alone (pipeline.Judge) p50", goal: "(part of P1)", measured: spreadMs(j50), ratio: spread(rj)},
		{name: "pipeline.Process, signature before BEGIN (no gate) p50", goal: "(before the gate)", measured: spreadMs(s50), ratio: spread(rs)},
		{name: "Process ÷ Process without the gate, p50 (same runs)", goal: "(< 1: the gate gains)", ratio: spread(rps)},
	}, nil
}

// noDefer is a verifier that checks the signature itself even when the
// pipeline asks to defer it: the pipeline then stores as before the gate.
type noDefer struct{ mark.Verifier }

func (v noDefer) Verify(text string, c mark.Context) mark.Result {
	c.DeferSignature = nil
	return v.Verifier.Verify(text, c)
}
