package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"markd/bench/benchutil"
	"markd/mark"
)

// measureSave times store.Save of an ACCEPT with a new random serial on
// the big store, in process, each followed by one bare commit: the write
// path alone against its floor, without the process hops and the
// signature check of P1.
func measureSave(dir, db string, n, rounds int) ([]row, error) {
	var s50, r50, r99, b99 []float64
	for r := 0; r < rounds; r++ {
		st, err := openStore(db)
		if err != nil {
			return nil, err
		}
		b, err := openBare(filepath.Join(dir, "bare.db"))
		if err != nil {
			st.Close()
			return nil, err
		}
		var save, bare []time.Duration
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		vs := mark.Versions{Keyring: "0e40db3c650e", Tariffs: "d9b98c0a670b", Revocations: "none"}
		for i := range n + warmOps {
			m := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: rng.Uint64() >> 1, Contract: 1004417, MailClass: 2,
				WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9900, Tracking: 42600000000015}
			rec := mark.Record{Office: 426000, Counter: "1", Operator: "ivan", Source: "serial:front",
				Text: fmt.Sprintf("EPM1:%0168d", m.Serial), Verdict: mark.Accept, Mark: &m, Versions: vs}
			start := time.Now()
			if err := st.Save(context.Background(), &rec, time.Minute); err != nil {
				return nil, err
			}
			d := time.Since(start)
			db, err := b.timed(rec.Text)
			if err != nil {
				return nil, err
			}
			if i >= warmOps {
				save, bare = append(save, d), append(bare, db)
			}
		}
		b.close()
		st.Close()
		bp50 := benchutil.Pct(bare, 50)
		b99 = append(b99, float64(benchutil.Pct(bare, 99))/float64(bp50))
		s50 = append(s50, benchutil.Pct(save, 50).Seconds())
		r50, r99 = append(r50, float64(benchutil.Pct(save, 50))/float64(bp50)), append(r99, float64(benchutil.Pct(save, 99))/float64(bp50))
	}
	name := fmt.Sprintf("store.Save alone, %s store, in process (n=%d)", sizes.big, n)
	return []row{
		{name: name + " p50", goal: "(part of P1)", measured: spreadMs(s50), ratio: spread(r50)},
		{name: name + " p99 ÷ bare p50", goal: "(part of P1)", ratio: spread(r99)},
		{name: "bare commit p99 ÷ bare p50 (same runs)", goal: "(disk's own tail)", ratio: spread(b99)},
	}, nil
}
