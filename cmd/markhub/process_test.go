package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/pgstore"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// The binaries are built once per test run (TestMain removes them): the
// process tests share them.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if err := hubtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the shared PostgreSQL cluster:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// buildBinaries builds markhub and markd (once) into a temp folder.
func buildBinaries(t *testing.T) (markhub, markd string) {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "markhub-bin-"); buildErr != nil {
			return
		}
		// One go build for both: one load of the module, the two
		// links at once; -o a folder names each binary after its package.
		out, err := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), ".", "../markd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build . ../markd: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	exe := "" // go build -o a folder adds Windows' suffix
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	return filepath.Join(binDir, "markhub"+exe), filepath.Join(binDir, "markd"+exe)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type proc struct {
	cmd *exec.Cmd
}

// collectorAhead is markhub serve's at_ahead in these tests: the default
// 10 minutes, plus, when the machine's clock is before the tests' days
// (testdata.Now and the week after it; scripts/wallclock.sh 2026-01-01),
// the gap to them, so their records are not refused as stamped ahead of
// the collector's clock. A record meant to be ahead is stamped past it
// (aheadRecord).
func collectorAhead() time.Duration {
	ahead := hub.DefaultPlausibility().Ahead
	if gap := time.Until(testdata.Now().AddDate(0, 0, 7)); gap > 0 {
		ahead += gap.Truncate(time.Minute) + time.Minute
	}
	return ahead
}

// pgCluster starts a throwaway PostgreSQL cluster for t, stopped at its
// end; t is skipped, saying why, where PostgreSQL cannot run. Only a
// test that does something to the server (halts, freezes it) needs one
// of its own: the others take a database of the shared cluster
// (hubtest.SharedDatabase; TestMain stops it).
func pgCluster(t *testing.T) *hubtest.Cluster {
	t.Helper()
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL test skipped: " + why)
	}
	cl, err := hubtest.StartCluster(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Stop() }) //nolint:errcheck // temp cluster
	return cl
}

// start runs a binary; for markhub serve it waits for the "listening" line.
func start(t *testing.T, waitListen bool, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	// The tests' records are of 2026-11 while terminals are registered with
	// the machine's clock, which scripts/wallclock.sh moves by years.
	cmd.Env = append(os.Environ(), "LOG_LEVEL=error", "MARKHUB_AT_BEFORE_REGISTRATION=0",
		"MARKHUB_AT_AHEAD="+collectorAhead().String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	if waitListen {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "listening ") {
			t.Fatalf("%s did not start: %q %v", name, line, err)
		}
	}
	go func() { _, _ = bufio.NewReader(out).WriteTo(devNull{}) }()
	return p
}

type devNull struct{}

func (devNull) Write(b []byte) (int, error) { return len(b), nil }

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // may be gone
		p.cmd.Wait()                          //nolint:errcheck // killed
	}
}

func run1(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %v: %v %s", name, args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// twoOfficeHub starts markhub serve over a new SQLite database with the
// test keyring published and terminals office-a (426000) and office-b
// (101000): its address, its database and the two terminals' tokens.
func twoOfficeHub(t *testing.T, markhub string) (addr, hubDB, tokA, tokB string) {
	t.Helper()
	hubDB = filepath.Join(t.TempDir(), "hub.db")
	addr = freePort(t)
	tokA = run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db", hubDB)
	tokB = run1(t, markhub, "terminal", "add", "office-b", "--office", "101000", "--db", hubDB)
	publishTestKeyring(t, "sqlite", hubDB)
	start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	return addr, hubDB, tokA, tokB
}

// markdRun is a markd run whose stdin and stdout the test holds
// (startMarkdRun).
type markdRun struct {
	stdin io.WriteCloser
	lines *bufio.Scanner
}

// startMarkdRun starts markd run --config cfg at the test clock, its log
// (warnings) on the test's stderr, killed at cleanup.
func startMarkdRun(t *testing.T, markd, cfg string) *markdRun {
	t.Helper()
	cmd := exec.Command(markd, "run", "--config", cfg, "--clock", testdata.Now().Format(time.RFC3339))
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // cleanup
	return &markdRun{stdin: stdin, lines: bufio.NewScanner(stdout)}
}

// scan writes text to markd as one scan and reads its answer, a JSON
// line, into out.
func (m *markdRun) scan(t *testing.T, text string, out any) {
	t.Helper()
	if _, err := io.WriteString(m.stdin, text+"\n"); err != nil {
		t.Fatal(err)
	}
	if !m.lines.Scan() {
		t.Fatalf("markd run ended: %v", m.lines.Err())
	}
	if err := json.Unmarshal(m.lines.Bytes(), out); err != nil {
		t.Fatalf("line %q: %v", m.lines.Text(), err)
	}
}

// counterStore makes a counter store with n accepted records (serials from
// base, marks signed by the test issuer of hubtest) and returns its path
// and the record ids.
func counterStore(t *testing.T, dir string, n int, base uint64, office uint32) (string, []string) {
	t.Helper()
	rows := make([]scanRow, n)
	for i := range rows {
		rows[i] = scanRow{office: office, serial: base + uint64(i)}
	}
	return writeScans(t, dir, rows)
}

// scanRow is one accepted scan of a test counter store: the id is new
// when empty, the text is the signed mark when empty.
type scanRow struct {
	id, text string
	office   uint32
	serial   uint64
}

func writeScans(t *testing.T, dir string, rows []scanRow) (string, []string) {
	t.Helper()
	path := filepath.Join(dir, "markd.db")
	db, err := store.Open(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	recs := make([]*mark.Record, len(rows))
	for i, r := range rows {
		m := hubtest.TestMark(r.serial, r.office)
		text := r.text
		if text == "" {
			text = hubtest.Sign(m)
		}
		recs[i] = &mark.Record{ID: r.id, At: at, Office: r.office, Counter: "1", Source: "stdin", Text: text,
			Verdict: mark.Accept, Reasons: []mark.Reason{}, Mark: &m,
			Versions: mark.Versions{Keyring: "k", Tariffs: "t", Revocations: "r"}}
	}
	// Through the store's own write path, as the pipeline records them.
	if err := db.SaveBatch(context.Background(), recs, 0); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		if r.Verdict != mark.Accept {
			t.Fatalf("fixture %d stored as %s %v", i, r.Verdict, r.Reasons)
		}
		ids[i] = r.ID
	}
	return path, ids
}

// openHub opens the collector's database as markhub would.
func openHub(t *testing.T, driver, dsn string) hub.Store {
	t.Helper()
	var hs hub.Store
	var err error
	if driver == "postgres" {
		hs, err = pgstore.Open(context.Background(), dsn)
	} else {
		hs, err = sqlitestore.Open(context.Background(), dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// publishTestKeyring publishes the keyring of hubtest's issuer, so the
// collector verifies the marks of counterStore.
func publishTestKeyring(t *testing.T, driver, dsn string) {
	t.Helper()
	hs := openHub(t, driver, dsn)
	defer hs.Close()
	hubtest.Publish(t, hs)
}

func writeConfig(t *testing.T, dir, db, url, token string, batch int) string {
	t.Helper()
	cfg := fmt.Sprintf("db: %s\ncounter: \"1\"\nsync:\n  url: %s\n  token: %s\n  batch_size: %d\n  batch_age: 10ms\n  max_backoff: 300ms\n  interval: 1s\n",
		db, url, token, batch)
	p := filepath.Join(dir, "markd.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pendingIn(t *testing.T, path string) int {
	t.Helper()
	db, err := store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Records
}

// TestProcessesKilledMidBatch runs markhub and `markd sync` as real
// processes: the collector is SIGKILLed mid-batch and stays away for a
// while, the uploader is SIGKILLed and restarted; afterwards every record
// is in the collector exactly once.
func TestProcessesKilledMidBatch(t *testing.T) {
	markhub, markd := buildBinaries(t)
	t.Run("sqlite", func(t *testing.T) {
		killedMidBatch(t, markhub, markd, "sqlite", filepath.Join(t.TempDir(), "hub.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		killedMidBatch(t, markhub, markd, "postgres", hubtest.SharedDatabase(t))
	})
}

func killedMidBatch(t *testing.T, markhub, markd, driver, hubDB string) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	dir := t.TempDir()
	token := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db-driver", driver, "--db", hubDB)
	publishTestKeyring(t, driver, hubDB)
	addr := freePort(t)
	serve := func() *proc {
		return start(t, true, markhub, "serve", "--db-driver", driver, "--db", hubDB, "--listen", addr)
	}
	hubP := serve()
	counterDB, ids := counterStore(t, t.TempDir(), n, 1, 426000)
	cfg := writeConfig(t, dir, counterDB, "http://"+addr, token, 1000)
	up := start(t, false, markd, "sync", "--config", cfg)

	waitBelow := func(limit int) {
		testdata.Wait(t, 3*time.Minute, fmt.Sprintf("at most %d records pending", limit),
			func() bool { return pendingIn(t, counterDB) <= limit })
	}
	waitBelow(n * 3 / 4)
	hubP.kill() // mid-batch: batches are in flight all the time
	time.Sleep(700 * time.Millisecond)
	hubP = serve()
	waitBelow(n / 2)
	up.kill() // the uploader dies; a new one resumes from the store
	up = start(t, false, markd, "sync", "--config", cfg)
	waitBelow(n / 4)
	hubP.kill()
	time.Sleep(300 * time.Millisecond)
	hubP = serve()
	waitBelow(0)
	up.kill()
	hubP.kill()

	hs := openHub(t, driver, hubDB)
	defer hs.Close()
	st, err := hs.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != int64(n) || st.UsedSerials != int64(n) || st.Alerts != 0 || st.Unverified != 0 {
		t.Fatalf("collector has %+v, want %d records exactly once", st, n)
	}
	for _, i := range []int{0, n / 3, n / 2, n - 1} {
		if r, err := hs.Record(context.Background(), "office-a", ids[i]); err != nil || r.Terminal != "office-a" {
			t.Fatalf("record %d: %+v %v", i, r, err)
		}
	}
}

// TestProcessesCrossOfficeReuse: the same mark accepted at two counters of
// two offices while offline; both upload with `markd sync --once`, both
// stores hold the alert.
func TestProcessesCrossOfficeReuse(t *testing.T) {
	markhub, markd := buildBinaries(t)
	dir := t.TempDir()
	hubDB := filepath.Join(dir, "hub.db")
	addr := freePort(t)
	tokA := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db", hubDB)
	tokB := run1(t, markhub, "terminal", "add", "office-b", "--office", "101000", "--db", hubDB)
	publishTestKeyring(t, "sqlite", hubDB)
	start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	dbA, idsA := counterStore(t, t.TempDir(), 3, 500, 426000) // serials 500..502
	dbB, idsB := counterStore(t, t.TempDir(), 2, 502, 101000) // serials 502..503
	cfgA := writeConfig(t, t.TempDir(), dbA, "http://"+addr, tokA, 100)
	cfgB := writeConfig(t, t.TempDir(), dbB, "http://"+addr, tokB, 100)
	for _, cfg := range []string{cfgA, cfgB, cfgA} {
		run1(t, markd, "sync", "--once", "--config", cfg)
	}
	for _, c := range []struct {
		path, mine, other string
	}{{dbA, idsA[2], idsB[0]}, {dbB, idsB[0], idsA[2]}} {
		db, err := store.Open(context.Background(), c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		alerts, total, err := db.ListAlerts(context.Background(), 10, 0)
		db.Close()
		if err != nil || total != 1 || alerts[0].Serial != 502 || alerts[0].RecordID != c.mine || alerts[0].Other.RecordID != c.other {
			t.Fatalf("alerts in %s: %+v (total %d, %v)", c.path, alerts, total, err)
		}
	}
}

// TestServeStopsOnSIGTERM: markhub serve exits 0 on SIGTERM, refuses a
// non-loopback address without TLS (exit 78: no restart mends it), and a
// port in use (exit 1).
func TestServeStopsOnSIGTERM(t *testing.T) {
	markhub, _ := buildBinaries(t)
	db := filepath.Join(t.TempDir(), "hub.db")
	p := start(t, true, markhub, "serve", "--db", db, "--listen", "127.0.0.1:0")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	busy := freePort(t)
	start(t, true, markhub, "serve", "--db", db, "--listen", busy)
	for _, tt := range []struct {
		listen string
		code   int
	}{{"0.0.0.0:0", 78}, {busy, 1}} {
		err := exec.Command(markhub, "serve", "--db", db, "--listen", tt.listen).Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tt.code {
			t.Fatalf("serve --listen %s: %v, want exit %d", tt.listen, err, tt.code)
		}
	}
}
