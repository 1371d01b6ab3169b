package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"markd/hub/hubtest"
)

// HubExpect is what the tests read beside a collector database an older
// markhub made (NAME.json under hub/sqlitestore/testdata/releases and
// hub/pgstore/testdata/releases): the type they read it as.
type HubExpect = hubtest.Release

// collector is an older `markhub serve` on an SQLite file in dir, or on
// a PostgreSQL database (dsn set).
type collector struct {
	cmd            *exec.Cmd
	logs           *bytes.Buffer
	url, db, dsn   string
	pub, tokenFile string
}

// dbArgs are the flags naming the collector's database.
func (c *collector) dbArgs() []string {
	if c.dsn != "" {
		return []string{"--db-driver", "postgres", "--db", c.dsn}
	}
	return []string{"--db", c.db}
}

// startCollector starts the markhub bin on an SQLite file in dir, or on
// the PostgreSQL database dsn when not "".
func startCollector(bin, td, dir, dsn string) (*collector, error) {
	c := &collector{db: filepath.Join(dir, "hub.db"), dsn: dsn, logs: &bytes.Buffer{}, tokenFile: filepath.Join(dir, "collector.token")}
	run := func(args ...string) (string, error) {
		if args[0] != "keys" {
			args = append(args, c.dbArgs()...)
		}
		var errb bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("markhub %s: %w\n%s%s", strings.Join(args, " "), err, out, errb.Bytes())
		}
		return strings.TrimSpace(string(out)), nil
	}
	distKey := filepath.Join(dir, "distribution.key")
	var err error
	if c.pub, err = run("keys", "new", "--out", distKey); err != nil {
		return nil, err
	}
	tok, err := run("terminal", "add", "counter-1", "--office", fmt.Sprint(office))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(c.tokenFile, []byte(lastWord(tok)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if _, err := run("bundle", "publish", "--key", distKey,
		"--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml")); err != nil {
		return nil, err
	}
	c.cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, c.dbArgs()...)...)
	c.cmd.Env = append(os.Environ(), "LOG_LEVEL=warn", "MARKHUB_AT_BEFORE_REGISTRATION=0")
	c.cmd.Stderr = c.logs
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		c.stop()
		return nil, fmt.Errorf("markhub serve did not start: %q %v\n%s", line, err, c.logs)
	}
	c.url = "http://" + addr
	return c, nil
}

// syncBlock is the sync section of a counter's config uploading here.
func (c *collector) syncBlock(dir string) string {
	return fmt.Sprintf("sync:\n  url: %q\n  token_file: %q\n  distribution_key: %q\n  bundle_dir: %q\n"+
		"  batch_age: 100ms\n  interval: 300ms\n  max_backoff: 500ms\n",
		c.url, c.tokenFile, c.pub, filepath.Join(dir, "bundles"))
}

func (c *collector) stop() error {
	if c.cmd == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	err := c.cmd.Wait()
	c.cmd = nil
	if err != nil {
		return fmt.Errorf("markhub serve stopped: %w\n%s", err, c.logs)
	}
	return nil
}

// hubExpect counts what the collector's file holds, read from a copy.
func hubExpect(db, tmp string) (*HubExpect, error) {
	time.Sleep(100 * time.Millisecond)
	b, err := os.ReadFile(db)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, err
	}
	h, err := sql.Open("sqlite3", tmp)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	e := &HubExpect{Terminal: "counter-1", Office: office}
	for _, q := range hubCounts(e) {
		if err := h.QueryRow(q.sql).Scan(q.v); err != nil {
			return nil, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	rows, err := h.Query(`SELECT id FROM records ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		e.RecordIDs = append(e.RecordIDs, id)
	}
	return e, rows.Err()
}

// hubCounts are the queries (the same on both backends) of what a
// collector's database holds, and where each count goes.
func hubCounts(e *HubExpect) []struct {
	sql string
	v   *int
} {
	return []struct {
		sql string
		v   *int
	}{
		{`SELECT max(version) FROM schema_migrations`, &e.Schema},
		{`SELECT count(*) FROM records`, &e.Records},
		{`SELECT count(*) FROM events`, &e.Events},
		{`SELECT count(*) FROM batches`, &e.Batches},
		{`SELECT count(*) FROM used_serials`, &e.Serials},
		{`SELECT count(*) FROM bundles`, &e.Bundles},
	}
}
