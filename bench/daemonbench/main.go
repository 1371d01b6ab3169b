// Command daemonbench measures the counter daemon for bench/daemon.sh and
// prints a table: P1, the time from a line arriving on markd run's stdin
// to its durable verdict on stdout, beside a bare single-row SQLite commit
// (WAL, synchronous=FULL) on the same disk in the same run; P4, markd
// import throughput; and the idle RSS of markd run.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"io"
	"markd/bench/benchutil"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	bin := flag.String("markd", "bin/markd", "markd binary")
	td := flag.String("testdata", "../shared/testdata", "shared test data (keyring, tariffs, issuer keys)")
	n := flag.Int("n", 500, "scans for P1 (sequential)")
	bulk := flag.Int("bulk", 50000, "scans for P4 (import)")
	dir := flag.String("dir", "", "work folder (default: a temp folder; put it on the disk you measure)")
	flag.Parse()
	if err := run(*bin, *td, *dir, *n, *bulk); err != nil {
		fmt.Fprintln(os.Stderr, "daemonbench:", err)
		os.Exit(1)
	}
}

func run(bin, td, dir string, n, bulk int) error {
	dir, done, err := benchutil.WorkDir(dir, "markd-bench-")
	if err != nil {
		return err
	}
	defer done()
	marks, err := benchutil.Marks(filepath.Join(td, "issuer-keys.yaml"), n+bulk, 1, 1000000, 0)
	if err != nil {
		return err
	}
	cfg, err := benchutil.CounterConfig(td, dir)
	if err != nil {
		return err
	}
	// Interleave: one daemon scan, one bare commit, so both see the same disk load.
	bare, err := openBare(filepath.Join(dir, "bare.db"))
	if err != nil {
		return err
	}
	defer bare.Close()
	daemon, err := benchutil.StartDaemon(bin, cfg)
	if err != nil {
		return err
	}
	defer daemon.Stop()
	var p1, pb []time.Duration
	for i := 0; i < n; i++ {
		took, err := daemon.Scan(marks[i])
		if err != nil {
			return err
		}
		p1 = append(p1, took)
		start := time.Now()
		if _, err := bare.Exec(`INSERT INTO bare(v) VALUES (?)`, marks[i]); err != nil {
			return err
		}
		pb = append(pb, time.Since(start))
	}
	inDaemon, err := meanScanSeconds(daemon.URL)
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // idle
	rss, err := rssKB(daemon.Pid())
	if err != nil {
		return err
	}
	daemon.Stop()

	file := filepath.Join(dir, "bulk.txt")
	if err := os.WriteFile(file, []byte(strings.Join(marks[n:], "\n")+"\n"), 0o600); err != nil {
		return err
	}
	imp := exec.Command(bin, "import", "--config", cfg, "--db", filepath.Join(dir, "bulk.db"), file)
	var impErr strings.Builder
	imp.Stderr = &impErr
	impOut, err := imp.Output()
	if err != nil {
		return fmt.Errorf("markd import: %w\n%s", err, impErr.String())
	}
	m := regexp.MustCompile(`\(([0-9]+) scans/s\)`).FindSubmatch(impOut)
	if m == nil {
		return fmt.Errorf("markd import output: %s", impOut)
	}
	rate, _ := strconv.Atoi(string(m[1]))

	b50, b99 := benchutil.Pct(pb, 50), benchutil.Pct(pb, 99)
	d50, d99 := benchutil.Pct(p1, 50), benchutil.Pct(p1, 99)
	ratio := float64(d50) / float64(b50)
	fmt.Printf("%-44s %12s %12s %10s %6s\n", "measure", "p50/value", "p99", "goal", "met")
	fmt.Printf("%-44s %12s %12s %10s %6s\n", "bare single-row commit (WAL, FULL)", benchutil.Ms(b50), benchutil.Ms(b99), "", "")
	fmt.Printf("%-44s %12s %12s %10s %6v\n", fmt.Sprintf("P1 line→durable verdict, markd run (n=%d)", n), benchutil.Ms(d50), benchutil.Ms(d99), "≤1.5× bare", ratio <= 1.5)
	fmt.Printf("%-44s %12.2f %12s %10s %6s\n", "P1 p50 ÷ bare p50", ratio, "", "≤1.5", "")
	fmt.Printf("%-44s %12s %12s %10s %6s\n", "  of which inside markd (verify+store, mean)", benchutil.Ms(inDaemon), "", "", "")
	fmt.Printf("%-44s %12d %12s %10s %6v\n", fmt.Sprintf("P4 markd import scans/s (n=%d)", bulk), rate, "", "≥10000", rate >= 10000)
	fmt.Printf("%-44s %12s %12s %10s %6v\n", "idle RSS of markd run", fmt.Sprintf("%.1f MB", float64(rss)/1024), "", "≤40 MB", rss <= 40*1024)
	return nil
}

func openBare(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY, v TEXT)`)
	return db, err
}

func rssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// meanScanSeconds reads markd_scan_seconds from /metrics: the mean time
// inside the daemon from a scan arriving to its durable verdict.
func meanScanSeconds(base string) (time.Duration, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var sum, count float64
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "markd_scan_seconds_sum":
			sum, _ = strconv.ParseFloat(f[1], 64)
		case "markd_scan_seconds_count":
			count, _ = strconv.ParseFloat(f[1], 64)
		}
	}
	if count == 0 {
		return 0, fmt.Errorf("no markd_scan_seconds in /metrics")
	}
	return time.Duration(sum / count * float64(time.Second)), nil
}
