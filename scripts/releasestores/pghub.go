package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub/hubtest"
)

// pgCollector is the private PostgreSQL cluster an older markhub writes
// its database to (hubtest.StartCluster: initdb and pg_ctl on a temporary
// folder, loopback only), and that database.
type pgCollector struct {
	cluster *hubtest.Cluster
	dsn     string
}

func startPG() (*pgCollector, error) {
	c, err := hubtest.StartCluster(true)
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL for the collector: %w", err)
	}
	atFatal = append(atFatal, func() { _ = c.Stop() })
	dsn, err := c.NewDatabase(context.Background())
	if err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("create the collector's database: %w", err)
	}
	return &pgCollector{cluster: c, dsn: dsn}, nil
}

func (p *pgCollector) stop() {
	if p.cluster != nil {
		_ = p.cluster.Stop()
		p.cluster = nil
	}
}

// write dumps the database with pg_dump (plain SQL, one INSERT a row with
// its column names: any later server and any client that runs SQL
// restores it; no owner, no grants) to dst gzipped, and counts what it
// holds.
func (p *pgCollector) write(dst string) (*HubExpect, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(filepath.Join(hubtest.PGBin, "pg_dump"), "--no-owner", "--no-privileges",
		"--column-inserts", "--quote-all-identifiers", "--dbname", p.dsn)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pg_dump %s: %w\n%s", p.dsn, err, errb.Bytes())
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := w.Write(out.Bytes()); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return pgExpect(p.dsn)
}

// pgExpect counts what the collector's PostgreSQL database holds.
func pgExpect(dsn string) (*HubExpect, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	e := &HubExpect{Terminal: "counter-1", Office: office}
	if err := conn.QueryRow(ctx, `SHOW server_version`).Scan(&e.Server); err != nil {
		return nil, err
	}
	for _, q := range hubCounts(e) {
		if err := conn.QueryRow(ctx, q.sql).Scan(q.v); err != nil {
			return nil, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	rows, err := conn.Query(ctx, `SELECT id FROM records ORDER BY id`)
	if err != nil {
		return nil, err
	}
	e.RecordIDs, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return e, err
}
