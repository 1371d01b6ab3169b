// Command bigpg measures the collector's PostgreSQL store with tens of
// millions of records: it fills a throwaway cluster (fsync on) in SQL —
// generate_series straight into the monthly partitions, record keys and
// serial uses, not through the HTTP API — and then times what must stay
// fast at that size: lookup by serial and by tracking number, the fleet
// query and the whole fleet page, the per office and day query, and
// dropping a month's partition (and pruning its record keys). The data
// lives only in the cluster's temp folder, which Stop removes.
//
// Usage: go run ./bench/bigpg [-records 20000000] [-terminals 2500] [-months 3]
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"markd/bench/benchutil"
	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/hubweb"
	"markd/hub/pgstore"
)

type config struct {
	records, terminals, months, samples int
	chunk                               int
	explain, reads                      bool
	dsn                                 string // measure this database (filled by an earlier run) instead of a new cluster
}

// first is the first month of the data; the clock of the pages is the
// end of the last one.
var first = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

func main() {
	var c config
	flag.IntVar(&c.records, "records", 20_000_000, "records to generate")
	flag.IntVar(&c.terminals, "terminals", 2500, "terminals (one office each)")
	flag.IntVar(&c.months, "months", 3, "months the records spread over (one partition each)")
	flag.IntVar(&c.samples, "samples", 2000, "lookups to time")
	flag.IntVar(&c.chunk, "chunk", 1_000_000, "records per INSERT statement")
	flag.BoolVar(&c.explain, "explain", true, "print the query plans")
	flag.BoolVar(&c.reads, "reads", true, "time the reads (lookups, fleet, office days) before the drop")
	flag.StringVar(&c.dsn, "dsn", "", "measure an existing database filled by an earlier run (its newest migrations are applied) instead of generating one")
	flag.Parse()
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

func run(c config) error {
	ctx := context.Background()
	dsn := c.dsn
	if dsn == "" {
		cl, err := hubtest.StartCluster(false)
		if err != nil {
			return err
		}
		defer cl.Stop() //nolint:errcheck // throwaway cluster
		dsn = cl.DSN("postgres")
	}
	t := time.Now()
	db, err := pgstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(os.Stderr, "store opened (migrations applied) in %s\n", time.Since(t).Round(time.Millisecond))
	last := first.AddDate(0, c.months, 0)
	now := last.Add(-time.Hour)
	if c.dsn == "" {
		if err := generate(ctx, db, c, now); err != nil {
			return err
		}
	}
	return measure(ctx, db, c, last, now)
}

// generate fills a new database: terminals, then the records with their
// keys and serial uses, indexes built after the load.
func generate(ctx context.Context, db *pgstore.DB, c config, now time.Time) error {
	sql := db.Pool()
	// A bulk load: fewer checkpoints. Reads are timed with the defaults
	// otherwise (shared_buffers 128 MB: the OS page cache does the rest).
	for _, q := range []string{`ALTER SYSTEM SET max_wal_size = '8GB'`, `ALTER SYSTEM SET checkpoint_timeout = '30min'`,
		`ALTER SYSTEM SET maintenance_work_mem = '1GB'`, `ALTER SYSTEM SET max_parallel_maintenance_workers = 2`,
		`SELECT pg_reload_conf()`} {
		if _, err := sql.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if _, err := sql.Exec(ctx, `INSERT INTO terminals(name, office, token_hash, created_at, clock_skew_ms, seen_at, waiting_records, waiting_at)
		SELECT 't' || lpad(i::text, 5, '0'), 100000 + i, md5(i::text), $2::timestamptz - interval '1 year', (i % 7) * 100,
			$3::timestamptz - (i % 50) * interval '1 hour', CASE WHEN i % 3 = 0 THEN NULL ELSE i % 40 END,
			CASE WHEN i % 3 = 0 THEN NULL ELSE $3::timestamptz END
		FROM generate_series(0, $1 - 1) AS i`, c.terminals, first, now); err != nil {
		return fmt.Errorf("terminals: %w", err)
	}
	start := time.Now()
	rebuild, err := dropIndexes(ctx, db)
	if err != nil {
		return err
	}
	if err := fill(ctx, db, c); err != nil {
		return err
	}
	t := time.Now()
	if err := rebuild(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "indexes rebuilt in %s\n", time.Since(t).Round(time.Second))
	t = time.Now()
	if err := rollup(ctx, db); err != nil {
		return err
	}
	fmt.Printf("office/day rollup filled from the records (what migration 041 does) in %s\n", time.Since(t).Round(time.Millisecond))
	fmt.Printf("generated in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// measure times the queries that must stay fast, then drops a month.
func measure(ctx context.Context, db *pgstore.DB, c config, last, now time.Time) error {
	sql := db.Pool()
	if _, err := sql.Exec(ctx, `ANALYZE`); err != nil {
		return err
	}
	var size, total int64
	if err := sql.QueryRow(ctx, `SELECT pg_database_size(current_database()), (SELECT count(*) FROM records)`).Scan(&size, &total); err != nil {
		return err
	}
	fmt.Printf("%d records over %d terminals and %d months; database %.1f GB, %.0f bytes/record\n",
		total, c.terminals, c.months, float64(size)/1e9, float64(size)/float64(total))
	if !c.reads {
		return drop(ctx, db, c)
	}
	if c.explain {
		explain(ctx, db, c)
	}
	if err := lookups(ctx, db, c, total); err != nil {
		return err
	}
	if err := fleet(ctx, db, c, now); err != nil {
		return err
	}
	if err := officeDays(ctx, db, c, last); err != nil {
		return err
	}
	if err := rejectRanking(ctx, db, c, last); err != nil {
		return err
	}
	return drop(ctx, db, c)
}

// fill generates the records month by month, c.chunk per statement, with
// the record keys and the serial uses of the accepted ones. Record g is
// terminal g % T's; scan times rise with g through each month; 92 % are
// ACCEPT with a mark, 6 % REJECT (UNDERPAID) with a mark, 2 % NOT_A_MARK.
func fill(ctx context.Context, db *pgstore.DB, c config) error {
	sql := db.Pool()
	per := (c.records + c.months - 1) / c.months // at least c.records in all
	for m := range c.months {
		from := first.AddDate(0, m, 0)
		if err := db.EnsureMonth(ctx, from); err != nil {
			return err
		}
		secs := from.AddDate(0, 1, 0).Sub(from).Seconds()
		for lo := m * per; lo < (m+1)*per; lo += c.chunk {
			hi := min(lo+c.chunk, (m+1)*per)
			t := time.Now()
			if _, err := sql.Exec(ctx, `WITH ins AS (INSERT INTO records(id, terminal, at, office, counter, operator, source, raw_text, verdict,
				reasons, serial, mark_fields, measured_weight_g, first_accepted, keyring_version, tariffs_version,
				revocations_version, review_state, message, received_at, verification, why, digest)
				SELECT 'r' || g, 't' || lpad((g % $4)::text, 5, '0'), at, 100000 + g % $4, '1', 'op', 'serial:front',
					'EPM1:' || md5(g::text) || md5((g + 7)::text) || md5((g + 13)::text),
					CASE WHEN g % 50 < 46 THEN 'ACCEPT' WHEN g % 50 < 49 THEN 'REJECT' ELSE 'NOT_A_MARK' END,
					CASE WHEN g % 50 BETWEEN 46 AND 48 THEN '["UNDERPAID"]' ELSE '[]' END,
					CASE WHEN g % 50 < 49 THEN g + 1 END,
					CASE WHEN g % 50 < 49 THEN '{"version":1,"alg":1,"key_id":1,"serial":' || (g + 1) || ',"contract":' || (g % 97 + 1) ||
						',"mail_class":1,"flags":0,"weight_g":20,"tariff_kop":' || (4500 + g % 7 * 100) || ',"office":' || (100000 + g % $4) ||
						',"issued":"2026-08-01","valid_until":"2027-01-31","tracking":' || (42600000000000 + g) || '}' END,
					0, NULL, 'k1', 't1', 'r1', '', '', at + interval '1 minute',
					CASE WHEN g % 50 < 49 THEN 'verified' ELSE 'none' END, '', md5(g::text)
				FROM (SELECT g, $5::timestamptz + ((g - $1)::float8 / $3 * $6) * interval '1 second' AS at
					FROM generate_series($1::bigint, $2::bigint - 1) AS g) s
				RETURNING id, terminal, at, office, counter, serial, verdict),
				keys AS (INSERT INTO record_keys(terminal, id, at) SELECT terminal, id, at FROM ins)
				INSERT INTO used_serials(serial, record_id, terminal, office, counter, at)
				SELECT serial, id, terminal, office, counter, at FROM ins WHERE verdict = 'ACCEPT'`,
				int64(lo), int64(hi), int64(per), int64(c.terminals), from, secs); err != nil {
				return fmt.Errorf("records %d..%d: %w", lo, hi, err)
			}
			fmt.Fprintf(os.Stderr, "records %d..%d: %s (%.0f/s)\n", lo, hi, time.Since(t).Round(time.Millisecond),
				float64(hi-lo)/time.Since(t).Seconds())
		}
	}
	return nil
}

// dropIndexes drops the keys and indexes of the tables the load fills
// (a bulk load and one index build each is several times faster than
// keeping them up row by row) and returns the function that builds them
// again from their own definitions, the schema's migrations unchanged, and
// checks that every one is back.
func dropIndexes(ctx context.Context, db *pgstore.DB) (func() error, error) {
	sql := db.Pool()
	tables := []string{"records", "record_keys", "used_serials"}
	var drops, builds []string
	rows, err := sql.Query(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid::regclass::text = ANY($1) AND contype IN ('p', 'u') ORDER BY 1, 2`, tables)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var table, name, def string
		if err := rows.Scan(&table, &name, &def); err != nil {
			return nil, err
		}
		drops = append(drops, fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %s`, table, name))
		builds = append(builds, fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s %s`, table, name, def))
	}
	rows.Close()
	rows, err = sql.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1)
		AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY 1`, tables)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		drops = append(drops, `DROP INDEX `+name)
		builds = append(builds, strings.Replace(def, " ON ONLY ", " ON ", 1))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	count := func() (int, error) {
		var n int
		err := sql.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE tablename = ANY($1)`, tables).Scan(&n)
		return n, err
	}
	before, err := count()
	if err != nil {
		return nil, err
	}
	for _, q := range drops {
		if _, err := sql.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return func() error {
		for _, q := range builds {
			t := time.Now()
			if _, err := sql.Exec(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
			fmt.Fprintf(os.Stderr, "%s: %s\n", q, time.Since(t).Round(time.Millisecond))
		}
		if after, err := count(); err != nil || after != before {
			return fmt.Errorf("indexes after the rebuild: %d, before %d (%v)", after, before, err)
		}
		return nil
	}, nil
}

func explain(ctx context.Context, db *pgstore.DB, c config) {
	for _, q := range []string{
		`EXPLAIN SELECT * FROM records WHERE serial = 123457`,
		`EXPLAIN SELECT * FROM records WHERE mark_fields IS NOT NULL AND (mark_fields::jsonb ->> 'tracking') = '42600000123456'`,
		`EXPLAIN SELECT * FROM records WHERE mark_fields IS NOT NULL AND (mark_fields::jsonb ->> 'contract') = '42' ORDER BY at, terminal, id LIMIT 1000`,
		`EXPLAIN SELECT at FROM records WHERE terminal = 't00042' ORDER BY at DESC LIMIT 1`,
		fmt.Sprintf(`EXPLAIN SELECT name FROM terminals t WHERE coalesce(office, 0) BETWEEN 0 AND 4294967295
			AND (coalesce(office, 0), name) > (%d, 't%05d') ORDER BY coalesce(office, 0), name LIMIT 201`, 100000+c.terminals/2, c.terminals/2),
		fmt.Sprintf(`EXPLAIN SELECT verdict, count(*) FROM records WHERE office = 100042 AND at >= '%s' AND at < '%s' GROUP BY 1`,
			first.AddDate(0, c.months-1, 3).Format(time.RFC3339), first.AddDate(0, c.months-1, 10).Format(time.RFC3339)),
	} {
		rows, err := db.Pool().Query(ctx, q)
		if err != nil {
			fmt.Println(q, err)
			continue
		}
		fmt.Println(strings.TrimPrefix(q, "EXPLAIN "))
		for rows.Next() {
			var line string
			if rows.Scan(&line) == nil {
				fmt.Println("   ", line)
			}
		}
		rows.Close()
	}
}

type timings []time.Duration

func (ts timings) String() string {
	return fmt.Sprintf("n=%d p50 %s p99 %s max %s", len(ts), benchutil.Ms(benchutil.Pct(ts, 50)), benchutil.Ms(benchutil.Pct(ts, 99)),
		benchutil.Ms(benchutil.Pct(ts, 100)))
}

func lookups(ctx context.Context, db *pgstore.DB, c config, total int64) error {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []hub.LookupKind{hub.BySerial, hub.ByTracking, hub.ByContract} {
		n := c.samples
		if kind == hub.ByContract {
			n = min(n, 200)
		}
		var ts timings
		found := 0
		for range n {
			g := rng.Int64N(total)
			v := fmt.Sprint(g + 1)
			switch kind {
			case hub.ByTracking:
				v = fmt.Sprint(42600000000000 + g)
			case hub.ByContract: // ~200 000 scans each: the first 1000 in time order
				v = fmt.Sprint(g%97 + 1)
			}
			t := time.Now()
			recs, err := db.Lookup(ctx, kind, v, 1000)
			ts = append(ts, time.Since(t))
			if err != nil {
				return err
			}
			found += len(recs)
		}
		fmt.Printf("lookup by %s: %s (%d records found)\n", kind, ts, found)
	}
	return nil
}

// fleet times the fleet: the store's paged query (first page, a middle
// page, a region's silent terminals), the old whole-fleet query, and the
// pages over HTTP with a logged-in session.
func fleet(ctx context.Context, db *pgstore.DB, c config, now time.Time) error {
	mid := hub.FleetKey{Office: uint32(100000 + c.terminals/2), Name: fmt.Sprintf("t%05d", c.terminals/2)}
	region, err := hub.ParseOfficePrefix(strconv.Itoa(100000 + c.terminals/2)[:2])
	if err != nil {
		return err
	}
	queries := []struct {
		name string
		q    hub.FleetQuery
	}{
		{"first page", hub.FleetQuery{Offices: hub.AllOffices}},
		{"middle page", hub.FleetQuery{Offices: hub.AllOffices, After: &mid}},
		{"page before the middle", hub.FleetQuery{Offices: hub.AllOffices, Before: &mid}},
		{"region " + region.Prefix + ", silent", hub.FleetQuery{Offices: region, State: hub.FleetSilent}},
		{"stale 4-24 h", hub.FleetQuery{Offices: hub.AllOffices, State: hub.FleetStale}},
	}
	for _, fq := range queries {
		var ts timings
		var pg hub.FleetPage
		for range 20 {
			q := fq.q
			q.Limit, q.Now = hub.FleetPageSize, now
			t := time.Now()
			pg, err = db.FleetPage(ctx, q)
			ts = append(ts, time.Since(t))
			if err != nil || len(pg.Rows) == 0 {
				return fmt.Errorf("fleet page %s: %d rows, %v", fq.name, len(pg.Rows), err)
			}
		}
		fmt.Printf("fleet page query, %s (%d rows, counts %+v): %s\n", fq.name, len(pg.Rows), pg.Counts, ts)
	}
	var q timings
	for range 5 {
		t := time.Now()
		rows, err := db.Fleet(ctx)
		q = append(q, time.Since(t))
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("fleet: %d rows, %v", len(rows), err)
		}
	}
	fmt.Printf("whole fleet query (%d terminals, terminal list and the old page): %s\n", c.terminals, q)
	pages, err := hubweb.New(hubweb.Options{Store: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(pages.Handler())
	defer srv.Close()
	token := "bench-session-token"
	h := sha256.Sum256([]byte(token))
	if err := db.PutSession(ctx, hub.WebSession{Hash: hex.EncodeToString(h[:]), User: "bench", CSRF: "c", Expires: now.Add(24 * time.Hour)}); err != nil {
		return err
	}
	for _, path := range []string{"/", "/?after=" + url.QueryEscape(mid.String()), "/?office=" + region.Prefix + "&state=silent", "/?state=stale"} {
		var page timings
		var bytes int64
		for range 20 {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			req.AddCookie(&http.Cookie{Name: "markhub_session", Value: token})
			t := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			bytes, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			page = append(page, time.Since(t))
			if resp.StatusCode != 200 {
				return fmt.Errorf("fleet page %s: %d", path, resp.StatusCode)
			}
		}
		fmt.Printf("fleet page %s (%d bytes): %s\n", path, bytes, page)
	}
	return nil
}

func officeDays(ctx context.Context, db *pgstore.DB, c config, last time.Time) error {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, days := range []int{7, 31} {
		var ts timings
		var groups int
		for range 200 {
			office := uint32(100000 + rng.IntN(c.terminals))
			to := last.AddDate(0, 0, -rng.IntN(20))
			t := time.Now()
			err := db.OfficeDays(ctx, office, to.AddDate(0, 0, -days), to, func(hub.OfficeDayGroup) error { groups++; return nil })
			ts = append(ts, time.Since(t))
			if err != nil {
				return err
			}
		}
		fmt.Printf("office days (%d days, one office): %s (%d groups)\n", days, ts, groups)
	}
	return nil
}

// drop drops the oldest month and prunes its record keys, timed apart.
func drop(ctx context.Context, db *pgstore.DB, c config) error {
	months, err := db.Months(ctx)
	if err != nil || len(months) == 0 {
		return fmt.Errorf("months: %v %w", months, err)
	}
	var n int64
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM `+months[0]).Scan(&n); err != nil {
		return err
	}
	// A month that retention drops is two years old: its files are on disk,
	// not in the page cache. The count above (and the load) put them there,
	// and truncating cached or dirty pages is most of a DROP's time; so the
	// drop is timed after a checkpoint and with the page cache emptied,
	// where this process may (root on Linux), and says which it was.
	if _, err := db.Pool().Exec(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	state := "page cache as the load left it (warm; could not empty it)"
	if emptyPageCache() {
		state = "after CHECKPOINT, page cache emptied (cold, as an old month is)"
	}
	t := time.Now()
	old, err := db.DetachMonth(ctx, months[0])
	if err != nil {
		return err
	}
	detachT := time.Since(t)
	if err := db.DropDetached(ctx, old); err != nil {
		return err
	}
	dropT := time.Since(t)
	t = time.Now()
	keys, err := db.PruneKeys(ctx, monthOf(months[0]).AddDate(0, 1, 0))
	if err != nil {
		return err
	}
	fmt.Printf("drop %s (%d records; %s): %s, of which detaching it from records (the only lock on records) %s; its %d record keys pruned in %s\n",
		months[0], n, state, benchutil.Ms(dropT), benchutil.Ms(detachT), keys, time.Since(t).Round(time.Millisecond))
	return nil
}

// emptyPageCache writes dirty pages and drops the kernel's clean page
// cache (Linux, root); false where it may not.
func emptyPageCache() bool {
	if err := exec.Command("sync").Run(); err != nil {
		return false
	}
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0) == nil
}

// monthOf is the first day of the month a partition name holds.
func monthOf(name string) time.Time {
	var y, m int
	fmt.Sscanf(name, "records_y%04dm%02d", &y, &m) //nolint:errcheck // names from Months
	return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
}

// rollup fills the office/day rollup from the generated records with the
// statements of migration 041 (the load bypasses the upload path).
func rollup(ctx context.Context, db *pgstore.DB) error {
	for _, q := range []string{`INSERT INTO office_day_counts(office, day, accepted, rejected, overridden, other)
		SELECT office, (at AT TIME ZONE 'UTC')::date, count(*) FILTER (WHERE verdict = 'ACCEPT'),
			count(*) FILTER (WHERE verdict = 'REJECT'), count(*) FILTER (WHERE verdict = 'REJECT' AND review_state = 'overridden'),
			count(*) FILTER (WHERE verdict NOT IN ('ACCEPT', 'REJECT'))
		FROM records GROUP BY 1, 2`,
		`INSERT INTO office_day_reasons(office, day, reason, n)
		SELECT r.office, (r.at AT TIME ZONE 'UTC')::date, j.reason, count(*)
		FROM records r, jsonb_array_elements_text(r.reasons::jsonb) AS j(reason) WHERE r.verdict = 'REJECT' GROUP BY 1, 2, 3`,
		`ANALYZE office_day_counts`, `ANALYZE office_day_reasons`} {
		if _, err := db.Pool().Exec(ctx, q); err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
	}
	return nil
}

// rejectRanking times "which offices reject most" over the country and a
// region for a week and a month, from the rollup.
func rejectRanking(ctx context.Context, db *pgstore.DB, c config, last time.Time) error {
	var rows int64
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM office_day_counts`).Scan(&rows); err != nil {
		return err
	}
	region, err := hub.ParseOfficePrefix(strconv.Itoa(100000 + c.terminals/2)[:2])
	if err != nil {
		return err
	}
	for _, days := range []int{7, 31} {
		for _, o := range []hub.OfficeRange{hub.AllOffices, region} {
			q := hub.RejectQuery{Offices: o, From: last.AddDate(0, 0, -days), To: last, MinJudged: 1, Limit: 100, TopReasons: 3}
			var ts timings
			var n int
			for range 10 {
				t := time.Now()
				list, err := db.RejectRanking(ctx, q)
				ts = append(ts, time.Since(t))
				if err != nil {
					return err
				}
				n = len(list)
			}
			fmt.Printf("reject ranking, %d days, region %q (%d rollup rows in all, %d offices listed): %s\n", days, o.Prefix, rows, n, ts)
		}
	}
	return nil
}
