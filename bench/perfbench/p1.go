package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"markd/bench/benchutil"
	"markd/store"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// warmOps is how many operations every measure runs untimed before it
// times any, markd's scans and the bare commits alike: two of the store's
// checkpoint cycles and some, so that both WALs have reached the length
// they keep. The first cycle after an open grows the WAL file, and a
// commit that grows it syncs the file's size as well (with 200 warm scans
// and a 512-scan cycle, 15–18 of the first 100 timed scans were over 3×
// the bare p50 against ~2 later). -warm sets it, to measure that start.
var warmOps = 2*store.CheckpointEvery + 100

// bare is the floor of P1: a single-row commit on the same file system
// with markd's WAL discipline — WAL, synchronous=FULL, one connection with
// its insert prepared, automatic checkpoints off on it and a checkpoint
// every store.CheckpointEvery commits, as markd's, so its WAL restarts and
// never grows — warmed before it is timed (warmOps).
//
// Its checkpoint runs in settle, between the timed operations and untimed,
// so that it lands in neither series. Until 2026-12-02 it ran beside the
// next operation, which was markd's next scan: 1 scan in 64 waited for
// the bare file's checkpoint (+550 µs at a 0.25 ms disk), which put the
// baseline's own cost into markd's p99. markd's checkpoints run inside
// markd, as at a counter; keeping them out of its scans' latency is
// markd's job.
type bare struct {
	db   *sql.DB
	conn *sql.Conn
	ins  *sql.Stmt
	n    int
	ckAt int // the commit count of the last checkpoint
}

func openBare(path string) (*bare, error) {
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(path + s)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(`CREATE TABLE bare (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return nil, err
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		return nil, err
	}
	ins, err := conn.PrepareContext(ctx, `INSERT INTO bare(v) VALUES (?)`)
	if err != nil {
		return nil, err
	}
	return &bare{db: db, conn: conn, ins: ins}, nil
}

// commit is the timed part: one row, committed durably.
func (b *bare) commit(v string) error {
	if _, err := b.ins.Exec(v); err != nil {
		return err
	}
	b.n++
	return nil
}

// settle runs the checkpoint due every store.CheckpointEvery commits
// (untimed).
func (b *bare) settle() error {
	if b.n%store.CheckpointEvery != 0 || b.n == b.ckAt {
		return nil
	}
	b.ckAt = b.n
	_, err := b.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}

// commitSettled is commit and settle, for the untimed warm-up.
func (b *bare) commitSettled(v string) error {
	_, err := b.timed(v)
	return err
}

// timed commits v and returns how long the commit took, then settles
// (the checkpoint's time is in no series).
func (b *bare) timed(v string) (time.Duration, error) {
	start := time.Now()
	if err := b.commit(v); err != nil {
		return 0, err
	}
	d := time.Since(start)
	return d, b.settle()
}

func (b *bare) close() {
	b.ins.Close()
	b.conn.Close()
	b.db.Close()
}

// p1Run is one markd run process fed scan by scan, beside the bare commit.
type p1Result struct {
	markd, bare []time.Duration
	// start is markd's first store.CheckpointEvery scans, inside the
	// warm-up: the WAL's first cycle after markd opens the store.
	start []time.Duration
	// sched is what markd's threads cost the scheduler over the timed
	// scans (zero when procSched cannot read it).
	sched  schedTotals
	hasSch bool
}

// p1Once starts markd run on db (the steady-state store), feeds it warm
// scans untimed, then n scans each followed by one bare commit, and
// returns both series. kind is "stdin", "serial" (a pty pair: the bench
// writes to its master, markd reads the slave) or "serial-socat" (socat's
// two linked ptys, as the tests use: one relay process more per line).
//
// With least, the least process on that path (runLeast, perfbench -least)
// stands where markd run stands: same feed, same bare commit beside it.
func p1Once(bin, td, dir, db, kind string, marks []string, warm int, least bool) (p1Result, error) {
	var res p1Result
	b, err := openBare(filepath.Join(dir, "bare.db"))
	if err != nil {
		return res, err
	}
	defer b.close()
	for i := range warm { // warm the bare file and its WAL
		if err := b.commitSettled(marks[i%len(marks)]); err != nil {
			return res, err
		}
	}
	sources := ""
	var feed io.Writer
	serialPort := ""
	switch kind {
	case "serial": // the scanner's side of a pty pair, as a USB serial device
		master, slave, err := openPty()
		if err != nil {
			return res, err
		}
		defer master.Close()
		serialPort, feed = slave, master
	case "serial-socat": // through socat's two linked ptys (one relay process more)
		tty, peer, stop, err := ptyPair(dir)
		if err != nil {
			return res, err
		}
		defer stop()
		f, err := os.OpenFile(peer, os.O_WRONLY, 0)
		if err != nil {
			return res, err
		}
		defer f.Close()
		serialPort, feed = tty, f
	}
	if serialPort != "" {
		sources = fmt.Sprintf("  - kind: serial\n    name: front\n    port: %s\n    terminator: CR\n", serialPort)
	}
	cmd, err := p1Child(bin, td, dir, db, sources, serialPort, least)
	if err != nil {
		return res, err
	}
	ch, err := pipeChild(cmd, feed)
	if err != nil {
		return res, err
	}
	defer ch.close()
	feed, out := ch.feed, ch.out
	logs, err := cmd.StderrPipe()
	if err != nil {
		return res, err
	}
	if err := ch.start(cmd); err != nil {
		return res, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lb := bufio.NewReader(logs)
	for {
		line, err := lb.ReadString('\n')
		if err != nil {
			return res, fmt.Errorf("markd run ended before it listened: %w", err)
		}
		if listening.MatchString(line) {
			break
		}
	}
	go func() { _, _ = io.Copy(logSink, lb) }()
	if serialPort != "" {
		time.Sleep(300 * time.Millisecond) // the serial source opens the port
	}
	runtime.LockOSThread() // the blocking verdict reads and the bare commits on one thread
	defer runtime.UnlockOSThread()
	term := "\n"
	if serialPort != "" {
		term = "\r"
	}
	var sched0 schedTotals
	for i, text := range marks {
		if i == warm {
			s, err := procSched(cmd.Process.Pid)
			sched0, res.hasSch = s, err == nil
		}
		start := time.Now()
		if _, err := io.WriteString(feed, text+term); err != nil {
			return res, err
		}
		line, err := out.ReadString('\n')
		if err != nil {
			return res, fmt.Errorf("markd run output: %w", err)
		}
		d := time.Since(start)
		if !strings.Contains(line, `"verdict":"ACCEPT"`) {
			return res, fmt.Errorf("scan %d: not accepted: %s", i, line)
		}
		db, err := b.timed(text)
		if err != nil {
			return res, err
		}
		if i >= warm {
			res.markd, res.bare = append(res.markd, d), append(res.bare, db)
		} else if i < store.CheckpointEvery {
			res.start = append(res.start, d)
		}
		if p1Gap > 0 {
			time.Sleep(p1Gap)
		}
	}
	if res.hasSch {
		s, err := procSched(cmd.Process.Pid)
		res.sched, res.hasSch = s.sub(sched0), err == nil
	}
	return res, nil
}

// p1Child is the process P1 feeds: markd run on db with sources, or with
// least the least process reading serialPort (stdin when "") and
// committing to its own bare file in dir.
func p1Child(bin, td, dir, db, sources, serialPort string, least bool) (*exec.Cmd, error) {
	if least {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		src := serialPort
		if src == "" {
			src = "stdin"
		}
		return exec.Command(self, "-least", src, "-least-db", filepath.Join(dir, "least.db")), nil
	}
	cfg, err := writeConfig(dir, td, db, sources)
	if err != nil {
		return nil, err
	}
	return exec.Command(bin, "run", "--config", cfg), nil
}

// ptyPair starts socat with two linked pseudo-terminals in dir: markd
// opens tty, the bench writes to peer.
func ptyPair(dir string) (tty, peer string, stop func(), err error) {
	if _, err := exec.LookPath("socat"); err != nil {
		return "", "", nil, fmt.Errorf("socat not installed: %w", err)
	}
	tty, peer = filepath.Join(dir, "ttyBENCH"), filepath.Join(dir, "peerBENCH")
	cmd := exec.Command("socat", "pty,raw,echo=0,link="+tty, "pty,raw,echo=0,link="+peer)
	if err := cmd.Start(); err != nil {
		return "", "", nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for i := 0; i < 100; i++ {
		if _, e1 := os.Stat(tty); e1 == nil {
			if _, e2 := os.Stat(peer); e2 == nil {
				return tty, peer, stop, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return "", "", nil, fmt.Errorf("socat made no pty pair in %s", dir)
}

// signMarks returns n valid marks of today with serials no store holds.
func signMarks(td string, n int) ([]string, error) {
	return benchutil.Marks(filepath.Join(td, "issuer-keys.yaml"), n, 1004417, 1000000, 1<<40)
}

// measureP1 runs p1Once rounds times for each of kinds, the kinds in
// turn within each round (so that stdin and serial see the same moments
// of a shared disk), and returns each kind's rows: p50 and p99 of markd,
// each against the bare commit's p50 of the same run. A kind other than
// stdin that cannot run (no pty) is logged and left out.
//
// With least, each markd run is followed by one of the least process on
// the same path (p1Once's least), and each kind's rows end with its p50
// and p99 ÷ its bare p50 and markd's ÷ its own of the same round.
func measureP1(bin, td, dir, db string, kinds []string, n, rounds int, least bool, logf func(string, ...any)) ([]row, error) {
	type series struct {
		m50, m99, b50, r50, r99, b99, t99, s50, s99, cpu, wait, slices []float64
		l50, l99, ml50, ml99, lm50, lb50, lcpu, lwait, lslices, mlAdd  []float64 // the least process: ÷ bare p50; markd ÷ it; its p50 and its bare p50 (s); its CPU, time kept off a CPU and wake-ups a scan; markd's p50 − its (s)
	}
	got := map[string]*series{}
	skipped := map[string]bool{}
	for r := 0; r < rounds; r++ {
		for _, kind := range kinds {
			if skipped[kind] {
				continue
			}
			marks, err := signMarks(td, n+warmOps)
			if err != nil {
				return nil, err
			}
			res, err := p1Once(bin, td, dir, db, kind, marks, warmOps, false)
			var lres p1Result
			if err == nil && least {
				lres, err = p1Once(bin, td, dir, db, kind, marks, warmOps, true)
			}
			if err != nil {
				if kind == "stdin" {
					return nil, err
				}
				logf("P1 %s skipped: %v", kind, err)
				skipped[kind] = true
				continue
			}
			if err := writeSeries(kind, r, res); err != nil {
				return nil, err
			}
			if least {
				if err := writeSeries(kind+"-least", r, lres); err != nil {
					return nil, err
				}
			}
			s := got[kind]
			if s == nil {
				s = &series{}
				got[kind] = s
			}
			mp50, mp99, bp50 := benchutil.Pct(res.markd, 50), benchutil.Pct(res.markd, 99), benchutil.Pct(res.bare, 50)
			s.m50, s.m99, s.b50 = append(s.m50, mp50.Seconds()), append(s.m99, mp99.Seconds()), append(s.b50, bp50.Seconds())
			s.r50, s.r99 = append(s.r50, float64(mp50)/float64(bp50)), append(s.r99, float64(mp99)/float64(bp50))
			s.b99 = append(s.b99, float64(benchutil.Pct(res.bare, 99))/float64(bp50))
			s.t99 = append(s.t99, float64(mp99)/float64(benchutil.Pct(res.bare, 99)))
			if len(res.start) > 0 {
				s.s50 = append(s.s50, float64(benchutil.Pct(res.start, 50))/float64(bp50))
				s.s99 = append(s.s99, float64(benchutil.Pct(res.start, 99))/float64(bp50))
			}
			if least {
				lp50, lp99, lb50 := benchutil.Pct(lres.markd, 50), benchutil.Pct(lres.markd, 99), benchutil.Pct(lres.bare, 50)
				s.l50, s.l99 = append(s.l50, float64(lp50)/float64(lb50)), append(s.l99, float64(lp99)/float64(lb50))
				s.ml50, s.ml99 = append(s.ml50, float64(mp50)/float64(lp50)), append(s.ml99, float64(mp99)/float64(lp99))
				s.lm50, s.lb50 = append(s.lm50, lp50.Seconds()), append(s.lb50, lb50.Seconds())
				s.mlAdd = append(s.mlAdd, (mp50 - lp50).Seconds())
				if scans := float64(len(lres.markd)); lres.hasSch && scans > 0 {
					s.lcpu = append(s.lcpu, lres.sched.cpu.Seconds()/scans)
					s.lwait = append(s.lwait, lres.sched.wait.Seconds()/scans)
					s.lslices = append(s.lslices, float64(lres.sched.slices)/scans)
				}
			}
			if scans := float64(len(res.markd)); res.hasSch && scans > 0 {
				s.cpu = append(s.cpu, res.sched.cpu.Seconds()/scans)
				s.wait = append(s.wait, res.sched.wait.Seconds()/scans)
				s.slices = append(s.slices, float64(res.sched.slices)/scans)
			}
		}
	}
	var rows []row
	for _, kind := range kinds {
		s := got[kind]
		if s == nil || skipped[kind] {
			continue
		}
		what := fmt.Sprintf("P1 %s line → durable verdict, %s store (n=%d)", kind, sizes.big, n)
		rows = append(rows,
			row{name: "bare commit p50 (warmed, checkpointed, same fs)", goal: "floor", measured: spreadMs(s.b50)},
			row{name: what + " p50", goal: "≤ 1.5× bare p50", measured: spreadMs(s.m50), ratio: spread(s.r50), met: median(s.r50) <= 1.5},
			row{name: what + " p99", goal: "≤ 3× bare p50", measured: spreadMs(s.m99), ratio: spread(s.r99), met: median(s.r99) <= 3},
			row{name: "bare commit p99 ÷ bare p50 (same runs)", goal: "(disk's own tail)", ratio: spread(s.b99)},
			row{name: "  markd p99 ÷ bare commit p99 (same runs)", goal: "(tail beyond the disk's)", ratio: spread(s.t99)},
		)
		if len(s.s50) > 0 {
			start := fmt.Sprintf("  the first %d scans after markd starts (the WAL's first cycle, untimed above)", store.CheckpointEvery)
			rows = append(rows,
				row{name: start + " p50", goal: "(start, ÷ bare p50)", ratio: spread(s.s50)},
				row{name: start + " p99", goal: "(start, ÷ bare p50)", ratio: spread(s.s99)},
			)
		}
		if len(s.cpu) > 0 {
			rows = append(rows,
				row{name: "  markd's threads: CPU a scan", goal: "(cost)", measured: spreadUs(s.cpu)},
				row{name: "  markd's threads: runnable, kept off a CPU, a scan", goal: "(cost)", measured: spreadUs(s.wait)},
				row{name: "  markd's threads: put on a CPU, times a scan", goal: "(wake-ups)", measured: spreadN(s.slices)},
			)
		}
		if len(s.l50) > 0 {
			lp := "  the least process on this path (reads the line, commits one bare row, answers)"
			if os.Getenv(leastLogEnv) == "1" {
				lp = "  the least process on this path (reads the line, appends it to a log made ahead, fdatasync, answers)"
			}
			rows = append(rows,
				row{name: "  bare commit p50 beside the least process", goal: "(floor)", measured: spreadMs(s.lb50)},
				row{name: lp + " p50", goal: "(the path's cost, ÷ bare p50)", measured: spreadMs(s.lm50), ratio: spread(s.l50)},
				row{name: lp + " p99", goal: "(the path's cost, ÷ bare p50)", ratio: spread(s.l99)},
				row{name: "  markd ÷ the least process, p50 (same rounds)", goal: "(what markd adds)", measured: spreadUs(s.mlAdd) + " more", ratio: spread(s.ml50)},
				row{name: "  markd ÷ the least process, p99 (same rounds)", goal: "(what markd adds)", ratio: spread(s.ml99)},
			)
			if len(s.lcpu) > 0 {
				rows = append(rows, row{name: "  the least process: CPU a scan", goal: "(cost)", measured: spreadUs(s.lcpu)},
					row{name: "  the least process: runnable, kept off a CPU, a scan", goal: "(cost)", measured: spreadUs(s.lwait)},
					row{name: "  the least process: put on a CPU, times a scan", goal: "(wake-ups)", measured: spreadN(s.lslices)})
			}
		}
	}
	return rows, nil
}

// p1Gap is the pause after each pair of a scan and a bare commit (-gap).
var p1Gap time.Duration

// seriesDir, when set (PERFBENCH_SERIES=dir), receives each P1 run's
// timed scans as CSV: scan number, markd's and the bare commit's latency
// in µs (to see where the slow scans fall); the least process's runs go
// to p1-<kind>-least-<round>.csv, its latency in the markd column.
var seriesDir = os.Getenv("PERFBENCH_SERIES")

func writeSeries(kind string, round int, res p1Result) error {
	if seriesDir == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("scan,markd_us,bare_us\n")
	for i := range res.markd {
		fmt.Fprintf(&b, "%d,%.1f,%.1f\n", i, float64(res.markd[i].Nanoseconds())/1e3, float64(res.bare[i].Nanoseconds())/1e3)
	}
	return os.WriteFile(filepath.Join(seriesDir, fmt.Sprintf("p1-%s-%d.csv", kind, round)), []byte(b.String()), 0o644)
}

// logSink receives markd's log after it listened (PERFBENCH_LOG=1: stderr).
var logSink io.Writer = io.Discard

func init() {
	if os.Getenv("PERFBENCH_LOG") != "" {
		logSink = os.Stderr
	}
}
