package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/hub"
	"markd/internal/testdata"
	"markd/mark"
)

// The parts of TestCounterDay: the collector, a counter's config, the
// scanner's pty, the cash-desk program and what the test reads back.

// markhubBinary builds cmd/markhub once per test run, beside markd.
var (
	hubBuildOnce sync.Once
	hubBin       string
	hubBuildErr  error
)

func markhubBinary(t *testing.T) string {
	t.Helper()
	dir := filepath.Dir(markdBinary(t))
	hubBuildOnce.Do(func() {
		hubBin = filepath.Join(dir, "markhub")
		cmd := exec.Command("go", "build", "-o", hubBin, "./cmd/markhub")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			hubBuildErr = fmt.Errorf("go build ./cmd/markhub: %v\n%s", err, out)
		}
	})
	if hubBuildErr != nil {
		t.Fatal(hubBuildErr)
	}
	return hubBin
}

// disputeSkew is markhub serve's dispute_skew here: the default 5
// minutes, plus, when the machine's clock is before the tests' days
// (testdata.Now and the week after it; scripts/wallclock.sh 2026-01-01),
// the gap to them, so the day's ACCEPTs are not disputed as scanned
// after the collector received them.
func disputeSkew() time.Duration {
	skew := hub.DefaultPlausibility().ReceiptSkew
	if gap := time.Until(testdata.Now().AddDate(0, 0, 7)); gap > 0 {
		skew += gap.Truncate(time.Minute) + time.Minute
	}
	return skew
}

// startHub runs `markhub serve` on a free loopback port and returns its URL.
// Its clock is the machine's: records of the test day (in the past or
// the future of it) are let in (at_before_registration 0, at_ahead wide).
func startHub(t *testing.T, markhub string, pg []string) string {
	t.Helper()
	cmd := exec.Command(markhub, append([]string{"serve", "--listen", "127.0.0.1:0"}, pg...)...)
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn", "MARKHUB_AT_BEFORE_REGISTRATION=0", "MARKHUB_AT_AHEAD=87600h",
		"MARKHUB_DISPUTE_SKEW="+disputeSkew().String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("markhub serve log:\n%s", logs.String())
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("markhub serve did not start: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return "http://" + addr
}

// counterConfig writes the config of a counter of office that uploads to
// hubURL with token, pinning the distribution key pub.
func counterConfig(t *testing.T, dir string, office int, hubURL, token, pub, sources string) string {
	t.Helper()
	td := testdata.Dir(t)
	tokFile := filepath.Join(dir, "collector.token")
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf(`office: %d
counter: "1"
tz: Europe/Moscow
keyring: %q
tariffs: %q
db: %q
log:
  level: info
  format: text
http:
  listen: "127.0.0.1:0"
sync:
  url: %q
  token_file: %q
  distribution_key: %q
  bundle_dir: %q
  batch_age: 100ms
  interval: 300ms
  max_backoff: 500ms
`, office, filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), filepath.Join(dir, "markd.db"),
		hubURL, tokFile, pub, filepath.Join(dir, "bundles")) + sources
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// scannerPty starts socat with a pseudo-terminal pair: dev is the serial
// scanner's port as markd opens it, peer the end the test types into.
func scannerPty(t *testing.T) (string, *os.File) {
	t.Helper()
	return testdata.SocatPair(t, testdata.SocatDir(t, "markd-day-"), "ttyACM0", "peer", "the serial scanner")
}

// tokenAdd makes a token of the local API for a program.
func tokenAdd(t *testing.T, cfg, name string) *apiProgram {
	t.Helper()
	cmd := exec.Command(markdBinary(t), "token", "add", name, "--config", cfg)
	out, err := cmd.Output() // the one-time notice goes to stderr
	if err != nil {
		t.Fatalf("markd token add %s: %v", name, err)
	}
	return &apiProgram{token: strings.TrimSpace(string(out))}
}

// apiProgram is the cash-desk program: the local API with its token.
type apiProgram struct {
	url, token string
}

func (p *apiProgram) do(t *testing.T, method, path string, body []byte, ctype string, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, want)
	}
	return b
}

func (p *apiProgram) json(t *testing.T, method, path string, body []byte, ctype string, want int, v any) {
	t.Helper()
	if err := json.Unmarshal(p.do(t, method, path, body, ctype, want), v); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

// programEvents is the program's GET /events stream: the record ids of
// the verdicts, with the batch each joined.
type programEvents struct {
	mu   sync.Mutex
	recs [][2]string // id, batch
}

func (p *apiProgram) events(t *testing.T) *programEvents {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", p.url+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /events: %d", res.StatusCode)
	}
	ev := &programEvents{}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var r struct{ ID, Batch string }
			if json.Unmarshal([]byte(data), &r) == nil {
				ev.mu.Lock()
				ev.recs = append(ev.recs, [2]string{r.ID, r.Batch})
				ev.mu.Unlock()
			}
		}
	}()
	return ev
}

// waitBatch waits for n verdicts of batch id on the stream and returns
// their record ids in order.
func (ev *programEvents) waitBatch(t *testing.T, id string, n int) []string {
	t.Helper()
	var got []string
	testdata.Wait(t, 30*time.Second, fmt.Sprintf("%d verdicts of batch %s on /events", n, id), func() bool {
		ev.mu.Lock()
		defer ev.mu.Unlock()
		got = got[:0]
		for _, r := range ev.recs {
			if r[1] == id {
				got = append(got, r[0])
			}
		}
		return len(got) >= n
	})
	return got
}

// verdictLine is one stdout line of markd run.
type verdictLine struct {
	ID            string        `json:"id"`
	Verdict       mark.Verdict  `json:"verdict"`
	Reasons       []mark.Reason `json:"reasons"`
	FirstAccepted *struct {
		RecordID string `json:"record_id"`
	} `json:"first_accepted"`
}

// serialScanner types scans into the scanner's pty and reads each verdict
// from the daemon's stdout.
type serialScanner struct {
	d    *daemon
	peer *os.File
}

func (s *serialScanner) lines() []verdictLine {
	var out []verdictLine
	for _, l := range strings.Split(s.d.output(), "\n") {
		if !strings.HasPrefix(l, `{"line":`) {
			continue
		}
		var v verdictLine
		if json.Unmarshal([]byte(l), &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

func (s *serialScanner) scan(t *testing.T, text string) verdictLine {
	t.Helper()
	n := len(s.lines())
	if _, err := io.WriteString(s.peer, text+"\r\n"); err != nil {
		t.Fatal(err)
	}
	var v verdictLine
	testdata.Wait(t, 30*time.Second, "the scanner's verdict", func() bool {
		l := s.lines()
		if len(l) > n {
			v = l[n]
			return true
		}
		return false
	})
	return v
}

// stop ends markd run with SIGTERM, as systemctl stop does, and returns its
// exit code.
func (d *daemon) stop(t *testing.T) int {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("markd run did not stop on SIGTERM:\n%s", d.output())
	}
	return d.cmd.ProcessState.ExitCode()
}

type batchTotals struct {
	Scans      int `json:"scans"`
	Accepted   int `json:"accepted"`
	Rejected   int `json:"rejected"`
	Duplicates int `json:"duplicates"`
}

type batchView struct {
	ID          string      `json:"id"`
	Operator    string      `json:"operator"`
	State       string      `json:"state"`
	Upload      string      `json:"upload_state"`
	HasList     bool        `json:"has_list"`
	ListItems   int         `json:"list_items"`
	Totals      batchTotals `json:"totals"`
	Differences []struct {
		Kind   string `json:"kind"`
		Serial uint64 `json:"serial"`
	} `json:"differences"`
}

// healthView is what the test reads of GET /healthz.
type healthView struct {
	Sources []struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
		Up   bool   `json:"up"`
	} `json:"sources"`
	Sync *struct {
		BacklogRecords int    `json:"backlog_records"`
		BacklogEvents  int    `json:"backlog_events"`
		LastSuccess    string `json:"last_success"`
	} `json:"sync"`
}

func health(t *testing.T, base string) healthView {
	t.Helper()
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var h healthView
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// waitHistory waits until a new store has its office's reuse history from
// the collector (until then every mark is ERROR).
func waitHistory(t *testing.T, base string) {
	t.Helper()
	testdata.Wait(t, 30*time.Second, "the reuse history restored", func() bool {
		h := health(t, base)
		for _, s := range h.Sources {
			if s.Kind == "store" {
				return false
			}
		}
		return h.Sync != nil && h.Sync.LastSuccess != ""
	})
}

// listItem is an item of the customer's list with the mark signed for it.
type listItem struct {
	n int
	m mark.Mark
}

// listMarks reads a customer's list (BATCH-LIST.md CSV, English headers)
// and makes each item's mark for contract 1004417, valid on day, with the
// list's class, weight, tariff, notice, tracking and serial (an item
// without office in the vectors, n=3, is valid at any office).
func listMarks(t *testing.T, list []byte, day mark.Day) []listItem {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(list)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	num := func(row []string, name string) uint64 {
		v := row[col[name]]
		if v == "" {
			return 0
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("list %s %q: %v", name, v, err)
		}
		return n
	}
	var out []listItem
	for _, row := range rows[1:] {
		m := mark.Mark{Serial: num(row, "serial"), Contract: 1004417, MailClass: uint8(num(row, "mail_class")),
			WeightG: uint16(num(row, "weight_g")), TariffKop: uint32(num(row, "tariff_kop")), Office: 426000,
			Issued: day - 1, ValidUntil: day + 30, Tracking: num(row, "tracking")}
		if num(row, "notice") == 1 {
			m.Flags |= mark.FlagNoticeOfDelivery
		}
		n := int(num(row, "n"))
		if n == 3 {
			m.Office = 0
		}
		out = append(out, listItem{n: n, m: m})
	}
	return out
}

// csvColumn maps the key column to the value column of a CSV export.
func csvColumn(t *testing.T, body, key, value string) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	k, v := -1, -1
	for i, h := range rows[0] {
		switch h {
		case key:
			k = i
		case value:
			v = i
		}
	}
	if k < 0 || v < 0 {
		t.Fatalf("CSV header %v lacks %s or %s", rows[0], key, value)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		out[r[k]] = r[v]
	}
	return out
}

// pdfText is the text of a PDF by pdftotext (poppler-utils), when installed.
func pdfText(t *testing.T, pdf []byte) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed (poppler-utils): the receipt's text is not read")
		return "", false
	}
	cmd := exec.Command("pdftotext", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out), true
}
