// Command rejectrank measures "which offices reject most" at the scale of
// the whole country: it fills the office/day rollup of a throwaway
// PostgreSQL cluster (fsync on) with 38 000 offices × 61 days in SQL and
// times hub.RejectRanking over the country and over a two-digit region,
// for a week and for a month, then prints the month's plan.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"markd/bench/benchutil"
	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/pgstore"
)

func main() {
	offices := flag.Int("offices", 38000, "offices in the rollup")
	days := flag.Int("days", 61, "days in the rollup, from 2026-09-01")
	flag.Parse()
	if err := run(*offices, *days); err != nil {
		log.Fatal(err)
	}
}

func run(offices, days int) error {
	ctx := context.Background()
	cl, err := hubtest.StartCluster(false)
	if err != nil {
		return err
	}
	defer cl.Stop() //nolint:errcheck // throwaway cluster
	db, err := pgstore.Open(ctx, cl.DSN("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	p := db.Pool()
	t := time.Now()
	for _, q := range []string{`INSERT INTO office_day_counts(office, day, accepted, rejected, overridden, other)
		SELECT 100000 + o, date '2026-09-01' + d, 300 + (o * 7 + d) % 200, (o * 13 + d) % 40, (o + d) % 3, 5
		FROM generate_series(0, $1 - 1) o, generate_series(0, $2 - 1) d`,
		`INSERT INTO office_day_reasons(office, day, reason, n)
		SELECT 100000 + o, date '2026-09-01' + d, r, 1 + (o + d) % 9
		FROM generate_series(0, $1 - 1) o, generate_series(0, $2 - 1) d, unnest(ARRAY['UNDERPAID', 'EXPIRED', 'REVOKED']) r`} {
		if _, err := p.Exec(ctx, q, offices, days); err != nil {
			return fmt.Errorf("fill: %w", err)
		}
	}
	if _, err := p.Exec(ctx, `VACUUM ANALYZE office_day_counts, office_day_reasons`); err != nil {
		return err
	}
	fmt.Printf("rollup of %d offices × %d days filled in %s\n", offices, days, time.Since(t).Round(time.Millisecond))
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{7, 31} {
		for _, prefix := range []string{"", "11"} {
			o, err := hub.ParseOfficePrefix(prefix)
			if err != nil {
				return err
			}
			var ts []time.Duration
			for range 10 {
				t := time.Now()
				l, err := db.RejectRanking(ctx, hub.RejectQuery{Offices: o, From: from, To: from.AddDate(0, 0, n), MinJudged: 20, Limit: 100, TopReasons: 3})
				ts = append(ts, time.Since(t))
				if err != nil || len(l) == 0 {
					return fmt.Errorf("ranking: %d offices, %v", len(l), err)
				}
			}
			fmt.Printf("ranking %d days, region %q: n=%d p50 %s max %s\n", n, prefix, len(ts),
				benchutil.Ms(benchutil.Pct(ts, 50)), benchutil.Ms(benchutil.Pct(ts, 100)))
		}
	}
	return nil
}
