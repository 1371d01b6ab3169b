package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"markd/mark"
	"markd/store"
)

// readCase is one read of the pages, the API, the export, the chart or
// the outbox, as the handlers call the store.
type readCase struct {
	name string
	fn   func(ctx context.Context, db *store.DB) error
}

func readCases() []readCase {
	lastDay := storeEnd.AddDate(0, 0, -1)
	week := storeEnd.AddDate(0, 0, -7)
	return []readCase{
		{"review page (/review, 50 rows + count)", func(ctx context.Context, db *store.DB) error {
			_, err := db.ListReview(ctx, store.ReviewFilter{Limit: 50})
			return err
		}},
		{"review page filtered (reason, pending, page 3)", func(ctx context.Context, db *store.DB) error {
			_, err := db.ListReview(ctx, store.ReviewFilter{Reason: mark.ReasonUnderpaid, State: mark.ReviewPending, Limit: 50, Offset: 100})
			return err
		}},
		{"CSV export (rejections of the last 7 days)", func(ctx context.Context, db *store.DB) error {
			n := 0
			return db.EachReview(ctx, store.ReviewFilter{From: week, To: storeEnd}, func(mark.Record) error { n++; return nil })
		}},
		{"day chart (14 days, today open)", func(ctx context.Context, db *store.DB) error {
			_, err := db.DayStats(ctx, storeEnd.AddDate(0, 0, -14), storeEnd, time.UTC)
			return err
		}},
		{"/api/scans?verdict=REJECT&order=desc", func(ctx context.Context, db *store.DB) error {
			_, _, err := db.List(ctx, store.Filter{Verdicts: []mark.Verdict{mark.Reject}, Desc: true})
			return err
		}},
		{"/api/scans?review=pending", func(ctx context.Context, db *store.DB) error {
			_, _, err := db.List(ctx, store.Filter{Review: []mark.ReviewState{mark.ReviewPending}})
			return err
		}},
		{"/api/scans?from=<last day> (page 2)", func(ctx context.Context, db *store.DB) error {
			_, next, err := db.List(ctx, store.Filter{From: lastDay, To: storeEnd})
			if err == nil && next != "" {
				_, _, err = db.List(ctx, store.Filter{From: lastDay, To: storeEnd, Cursor: next})
			}
			return err
		}},
		{"operator screen (latest 20)", func(ctx context.Context, db *store.DB) error {
			_, err := db.LatestRecords(ctx, 20)
			return err
		}},
		{"outbox stats + next batch (500)", func(ctx context.Context, db *store.DB) error {
			if _, err := db.OutboxStats(ctx); err != nil {
				return err
			}
			_, err := db.PendingUploads(ctx, 500)
			return err
		}},
	}
}

// measureReads times every read case on the small and the big store,
// alternating (small, big) in each round (each the best of three calls),
// and returns one row per case: the big store's time and its ratio to the
// small one's, pair by pair.
func measureReads(small, big string, rounds int) ([]row, error) {
	ctx := context.Background()
	var dbs [2]*store.DB
	for i, p := range []string{small, big} {
		// The last generated day is "today": open, counted from the scans.
		db, err := store.OpenWith(ctx, p, store.Options{Log: slog.New(slog.DiscardHandler),
			Now: func() time.Time { return storeEnd.Add(-12 * time.Hour) }})
		if err != nil {
			return nil, err
		}
		defer db.Close()
		dbs[i] = db
	}
	var rows []row
	for _, rc := range readCases() {
		var big, ratio []float64
		for i := range dbs { // warm-up (and the chart's rollup of closed days)
			if err := rc.fn(ctx, dbs[i]); err != nil {
				return nil, fmt.Errorf("%s: %w", rc.name, err)
			}
		}
		for range rounds {
			var t [2]float64
			for i := range dbs {
				// The best of three calls: on a shared machine a call
				// that lost the CPU says nothing about the query.
				for k := 0; k < 3; k++ {
					start := time.Now()
					if err := rc.fn(ctx, dbs[i]); err != nil {
						return nil, fmt.Errorf("%s: %w", rc.name, err)
					}
					if d := time.Since(start).Seconds(); k == 0 || d < t[i] {
						t[i] = d
					}
				}
			}
			big, ratio = append(big, t[1]), append(ratio, t[1]/t[0])
		}
		rows = append(rows, row{name: rc.name + " at " + sizes.big, goal: "≤ 1.5× at " + sizes.small, measured: spreadMs(big),
			ratio: spread(ratio), met: median(ratio) <= 1.5})
	}
	return rows, nil
}

// measureStart times `markd run` from exec to its "listening" log line on
// both stores, alternating, and returns the row of the big one.
func measureStart(bin, td, dir, small, big string, rounds int) (row, error) {
	var times [2][]float64
	for r := 0; r < rounds+1; r++ {
		for i, db := range []string{small, big} {
			d, err := startOnce(bin, td, dir, db)
			if err != nil {
				return row{}, err
			}
			if r > 0 { // the first round warms up
				times[i] = append(times[i], d.Seconds())
			}
		}
	}
	var ratio []float64
	for i := range times[1] {
		ratio = append(ratio, times[1][i]/times[0][i])
	}
	return row{name: "markd run start at " + sizes.big + " (exec → listening)", goal: "≤ 0.3 s", measured: spreadMs(times[1]),
		ratio: spread(ratio) + " of " + sizes.small, met: median(times[1]) <= 0.3}, nil
}

var listening = regexp.MustCompile(`listening url=`)

func startOnce(bin, td, dir, db string) (time.Duration, error) {
	cfg, err := writeConfig(dir, td, db, "")
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(bin, "run", "--config", cfg, "--quiet")
	logs, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stdin = nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	br := bufio.NewReader(logs)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, fmt.Errorf("markd run on %s ended before it listened: %w", db, err)
		}
		if listening.MatchString(line) {
			d := time.Since(start)
			go func() { _, _ = io.Copy(io.Discard, br) }()
			return d, nil
		}
	}
}

// writeConfig writes a markd config for db; sources is YAML of the
// sources list ("" = stdin).
func writeConfig(dir, td, db, sources string) (string, error) {
	conf := fmt.Sprintf("office: 426000\ncounter: \"1\"\nkeyring: %q\ntariffs: %q\ndb: %q\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  level: info\n",
		filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), db)
	if sources != "" {
		conf += "sources:\n" + sources
	}
	path := filepath.Join(dir, "markd.yaml")
	return path, os.WriteFile(path, []byte(conf), 0o600)
}
