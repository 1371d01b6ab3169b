package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// TestDaemonSoak runs one markd run, as a counter PC does for months,
// through SOAK_ROUNDS rounds (default 10 after SOAK_WARMUP 3 of warm-up;
// bench/soak.sh runs a longer one) of everything a counter sees, with a
// fixed seed:
//
//   - scans from a serial scanner on a socat pty pair, unplugged (socat
//     killed) and plugged in again on the same link now and then; scans
//     on stdin and through the local API: valid marks, rejected ones,
//     marks scanned again, not a mark, refused calls (no token, a bad
//     body, a blank text);
//   - the operator and the supervisor logging in and out; the operator
//     screen's /operator/live and the program's /events dropped mid-stream
//     and opened again with Last-Event-ID; CSV exports the client abandons
//     after their first bytes;
//   - batches opened, scanned into and closed or cancelled;
//   - the collector (a real markhub) whose line goes down and comes back;
//   - the config file edited (markd watches it) and markd reload;
//   - a till's token added while the daemon runs, an /events stream and a
//     call made with it, and removed: the daemon ends the stream.
//
// At each round's end, once the round's connections are gone, it reads
// markd's open descriptors, threads and VmRSS from /proc, go_goroutines,
// the Go heap in use and the Go runtime's memory from /metrics and the
// -wal's size, and fails (judgeSoak, bounds below) when descriptors or
// goroutines climb round over round or end above a small constant past
// the warm-up's, threads climb, or the Go heap's floor, VmRSS, VmRSS less
// the Go runtime's part or the -wal grow: a leak of a connection, a
// subscription, a timer's goroutine, a file or kept objects shows there.
func TestDaemonSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: not under -short")
	}
	if _, err := exec.LookPath("socat"); err != nil {
		t.Skip("socat not installed (Debian package socat): the soak's serial scanner is a pty pair")
	}
	warm := envInt(t, "SOAK_WARMUP", 3)
	rounds := envInt(t, "SOAK_ROUNDS", 10)
	if rounds < 3 {
		t.Fatalf("SOAK_ROUNDS=%d: at least 3 (its thirds are compared)", rounds)
	}
	s := newCounterSoak(t, uint64(envInt(t, "SOAK_SEED", 1)))
	for r := range warm {
		s.round(r)
	}
	base := settle(t, s.pid, s.wal, s.d.URL)
	t.Logf("after %d rounds of warm-up: %s", warm, base)
	samples := make([]procSample, 0, rounds)
	for r := range rounds {
		s.round(warm + r)
		if t.Failed() {
			return
		}
		p := settle(t, s.pid, s.wal, s.d.URL)
		samples = append(samples, p)
		t.Logf("round %3d: %s", r+1, p)
	}
	t.Logf("%d scans, %d streams dropped, %d logins, %d CSV exports abandoned, %d batches, %d unplugs, %d collector outages, %d config edits, %d tokens added and removed",
		s.scans, s.drops, s.logins, s.csvs, s.batches, s.unplugs, s.outages, s.edits, s.tokens)
	judgeSoak(t, base, samples)
}

// The bounds judgeSoak holds markd to. Descriptors and goroutines have a
// floor the round's churn only adds to for a moment (the collector's
// connection, a stream the daemon has not yet seen closed): the floor of
// the last third of the rounds (its lowest sample) must not rise over the
// first third's by more than a few, and the last sample must be near the
// one after the warm-up. A leak of one a round shows over ten rounds.
const (
	soakFloorSlack     = 3  // descriptors and goroutines: the floor of the last third over the first's
	soakFDSlack        = 6  // descriptors at the end over the warm-up's
	soakGoroutineSlack = 10 // goroutines at the end over the warm-up's
	soakThreadSlack    = 4  // threads the runtime adds when many calls block at once
	// VmRSS, mean of the last third over the first third's: the Go
	// runtime keeps the pages a heap peak took (go_memstats_sys_bytes
	// steps up, 18 to 26 MiB in 200 rounds, while the heap in use stays
	// at 5-10 MiB), so VmRSS climbs by steps that are no leak: measured
	// +6.5 MiB over 400 rounds. What is kept for good shows in the heap's
	// floor and in VmRSS less the runtime's part, judged tighter.
	soakRSSGrowKiB   = 16 << 10
	soakHeapGrowKiB  = 4 << 10 // Go heap in use, its lowest in the last third over the first third's
	soakNonGoGrowKiB = 4 << 10 // VmRSS less go_memstats_sys_bytes (SQLite's caches, the C library), mean over mean
	soakWALGrowBytes = 4 << 20 // -wal: its largest in the last third over the first third's
)

func judgeSoak(t *testing.T, base procSample, samples []procSample) {
	t.Helper()
	n := len(samples)
	third := max(n/3, 1)
	first, last := samples[:third], samples[n-third:]
	end := samples[n-1]
	fold := func(ps []procSample, f func(procSample) int64, pick func(a, b int64) int64) int64 {
		m := f(ps[0])
		for _, p := range ps[1:] {
			m = pick(m, f(p))
		}
		return m
	}
	lo := func(a, b int64) int64 { return min(a, b) }
	hi := func(a, b int64) int64 { return max(a, b) }
	mean := func(ps []procSample, f func(procSample) int64) int64 {
		s := int64(0)
		for _, p := range ps {
			s += f(p)
		}
		return s / int64(len(ps))
	}
	for _, c := range []struct {
		what      string
		f         func(procSample) int64
		endSlack  int64
		baseValue int64
	}{
		{"open descriptors", func(p procSample) int64 { return int64(p.fds) }, soakFDSlack, int64(base.fds)},
		{"goroutines", func(p procSample) int64 { return int64(p.goroutines) }, soakGoroutineSlack, int64(base.goroutines)},
	} {
		if a, b := fold(first, c.f, lo), fold(last, c.f, lo); b > a+soakFloorSlack {
			t.Errorf("%s: at least %d in the last third of the rounds, at least %d in the first (bound +%d): they leak, round over round", c.what, b, a, soakFloorSlack)
		}
		if e := c.f(end); e > c.baseValue+c.endSlack {
			t.Errorf("%s: %d after %d rounds, %d after the warm-up (bound +%d): they leak", c.what, e, n, c.baseValue, c.endSlack)
		}
	}
	threads := func(p procSample) int64 { return int64(p.threads) }
	if a, b := fold(first, threads, hi), fold(last, threads, hi); b > max(a, int64(base.threads))+soakThreadSlack {
		t.Errorf("threads: at most %d in the last third of the rounds, %d in the first (bound +%d)", b, a, soakThreadSlack)
	}
	rss := func(p procSample) int64 { return p.rssKiB }
	if a, b := mean(first, rss), mean(last, rss); b > a+soakRSSGrowKiB {
		t.Errorf("VmRSS: %d KiB on average in the last third of the rounds, %d KiB in the first (bound +%d KiB): memory grows", b, a, soakRSSGrowKiB)
	}
	heap := func(p procSample) int64 { return p.heapKiB }
	if a, b := fold(first, heap, lo), fold(last, heap, lo); b > a+soakHeapGrowKiB {
		t.Errorf("Go heap in use: at least %d KiB in the last third of the rounds, at least %d KiB in the first (bound +%d KiB): objects are kept, round over round", b, a, soakHeapGrowKiB)
	}
	nonGo := func(p procSample) int64 { return p.rssKiB - p.goSysKiB }
	if a, b := mean(first, nonGo), mean(last, nonGo); b > a+soakNonGoGrowKiB {
		t.Errorf("VmRSS less the Go runtime's memory: %d KiB on average in the last third of the rounds, %d KiB in the first (bound +%d KiB): memory outside Go (SQLite, cgo) grows", b, a, soakNonGoGrowKiB)
	}
	wal := func(p procSample) int64 { return p.walBytes }
	if a, b := fold(first, wal, hi), fold(last, wal, hi); b > a+soakWALGrowBytes {
		t.Errorf("-wal: %d bytes at most in the last third of the rounds, %d in the first (bound +%d): it is not checkpointed back", b, a, soakWALGrowBytes)
	}
}

// counterSoak is the counter under soak: its daemon, its scanner, the
// cash-desk program, the collector's link, the config it edits.
type counterSoak struct {
	t        *testing.T
	rng      *rand.Rand
	d        *daemon
	pid      int
	wal, cfg string
	conf     string // the config as written, edited in place
	kassa    *apiProgram
	link     *collectorLink
	scanner  *plugScanner
	sign     func(mark.Mark) string
	day      mark.Day
	next     uint64
	accepted []string // texts answered ACCEPT, scanned again later
	opLast   string   // the operator screen's last event id
	evLast   string   // the program's last event id

	scans, drops, logins, csvs, batches, unplugs, outages, edits, tokens int
}

func newCounterSoak(t *testing.T, seed uint64) *counterSoak {
	t.Helper()
	url, _, pub, tokens := startZoneHub(t, []zoneCounter{{"soak", 426000, "Europe/Moscow", ""}})
	s := &counterSoak{t: t, rng: rand.New(rand.NewPCG(seed, 0x50a4)), sign: testdata.Signer(t), next: 8_000_000}
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	s.day = testdata.Today(loc)
	s.link = newCollectorLink(t, url)
	s.scanner = &plugScanner{dir: testdata.SocatDir(t, "markd-soak-")}
	dir := t.TempDir()
	s.cfg = counterConfig(t, dir, 426000, s.link.url(), tokens["soak"], pub, fmt.Sprintf(`sources:
  - kind: stdin
    name: desk
  - kind: serial
    name: front
    port: %q
`, s.scanner.dev()))
	s.wal = filepath.Join(dir, "markd.db-wal")
	b, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.conf = string(b)
	runCLI(t, "", "init", "--config", s.cfg)
	runCLI(t, "operator-pw-1\n", "user", "add", "ivanova", "--role", "operator", "--config", s.cfg)
	runCLI(t, "supervisor-pw-1\n", "user", "add", "boss", "--role", "supervisor", "--config", s.cfg)
	s.kassa = tokenAdd(t, s.cfg, "kassa")
	s.scanner.plug(t, nil)
	s.d = runDaemon(t, s.cfg, testdata.Now(), true)
	s.scanner.sc.d = s.d
	s.kassa.url = s.d.URL
	s.pid = s.d.cmd.Process.Pid
	s.waitFront(true)
	return s
}

// waitFront waits until GET /healthz says the serial source is up (or
// down), as the operator screen's light does.
func (s *counterSoak) waitFront(up bool) {
	s.t.Helper()
	testdata.Wait(s.t, 30*time.Second, fmt.Sprintf("the serial scanner's light up=%v", up), func() bool {
		for _, src := range health(s.t, s.d.URL).Sources {
			if src.Name == "front" {
				return src.Up == up
			}
		}
		return false
	})
}

// mark is a new mark of the test day: valid, or underpaid when bad.
func (s *counterSoak) mark(bad bool) string {
	s.next++
	m := testdata.ValidMark(s.next, s.day)
	if bad {
		m.TariffKop = 100
	}
	return s.sign(m)
}

// verdicts counts the verdict lines markd run printed.
func (s *counterSoak) verdicts() int { return len((&serialScanner{d: s.d}).lines()) }

func (s *counterSoak) scanned(where string, v verdictLine, want mark.Verdict, text string) {
	s.t.Helper()
	s.scans++
	if want != "" && v.Verdict != want {
		s.t.Errorf("%s: verdict %s %v, want %s", where, v.Verdict, v.Reasons, want)
	}
	if v.Verdict == mark.Accept {
		s.accepted = append(s.accepted, text)
	}
}

// again is a mark answered ACCEPT before, or a new one when none was.
func (s *counterSoak) again() string {
	if len(s.accepted) == 0 {
		return s.mark(false)
	}
	return s.accepted[s.rng.IntN(len(s.accepted))]
}

// stdinScan types text on markd's stdin and waits for its verdict line.
func (s *counterSoak) stdinScan(text string) verdictLine {
	s.t.Helper()
	n := s.verdicts()
	s.d.scan(s.t, text)
	var v verdictLine
	testdata.Wait(s.t, 30*time.Second, "the stdin scan's verdict", func() bool {
		l := (&serialScanner{d: s.d}).lines()
		if len(l) > n {
			v = l[n]
			return true
		}
		return false
	})
	return v
}

// editConfig rewrites the config as an editor saves it (a new file
// renamed over it), switching the log level, or asks markd reload.
func (s *counterSoak) editConfig(round int) {
	s.t.Helper()
	s.edits++
	if round%4 == 3 {
		runCLI(s.t, "", "reload", "--config", s.cfg)
		return
	}
	from, to := "level: info", "level: warn"
	if !strings.Contains(s.conf, from) {
		from, to = to, from
	}
	s.conf = strings.Replace(s.conf, from, to, 1)
	tmp := s.cfg + ".new"
	if err := os.WriteFile(tmp, []byte(s.conf), 0o600); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, s.cfg); err != nil {
		s.t.Fatal(err)
	}
}

// loginAs logs a new browser in as user; the caller logs it out.
func (s *counterSoak) loginAs(user, pass string) *browser {
	s.t.Helper()
	b := newBrowser(s.t, s.d.URL)
	if code := b.login(user, pass); code != http.StatusSeeOther {
		s.t.Fatalf("login %s: %d, want 303", user, code)
	}
	s.logins++
	return b
}

func (s *counterSoak) logout(b *browser) {
	s.t.Helper()
	if code := b.post("/", "/logout", url.Values{}); code != http.StatusSeeOther {
		s.t.Errorf("logout: %d, want 303", code)
	}
}
