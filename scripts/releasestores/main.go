// Command releasestores makes a store the way a counter in the field made
// it: it drives a real markd binary (built from an older commit by
// scripts/release-stores.sh) through a short day (accounts, a token, scans
// ACCEPT / REJECT / REUSED, a supervisor's override and confirmation on
// the review pages, a batch of the local API when that release had one,
// every record left waiting for a collector), stops it, and writes the
// store gzipped with a JSON file of what it holds, for the upgrade tests
// (store/releases_test.go, e2e/releases_test.go).
//
//	go run ./scripts/releasestores -bin /tmp/markd-OLD -commit OLD -out store/testdata/releases/NAME
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"markd/internal/zones"
	"markd/issuer"
	"markd/mark"
)

// Expect is what the tests read beside each store (NAME.json).
type Expect struct {
	Commit      string    `json:"commit"`
	Schema      int       `json:"schema"`      // the last migration the binary applied
	MadeAt      time.Time `json:"made_at"`     // the binary's clock when the day began
	Office      uint32    `json:"office"`      // 426000
	Counter     string    `json:"counter"`     // "1"
	Scans       int       `json:"scans"`       // rows of scans
	Accepted    []uint64  `json:"accepted"`    // serials accepted (ACCEPT or override)
	AcceptText  string    `json:"accept_text"` // the text of the first accepted mark (scan it again: REUSED)
	Reused      string    `json:"reused"`      // the id of the REJECT REUSED scan
	Overridden  string    `json:"overridden"`  // the id of the rejection a supervisor accepted
	Confirmed   string    `json:"confirmed"`   // the id of the rejection a supervisor confirmed
	Users       []string  `json:"users"`       // accounts
	Password    string    `json:"password"`    // of every account
	Token       string    `json:"token"`       // the local API token "kassa" ("" before tokens)
	Batch       string    `json:"batch"`       // the closed batch's id ("" before the batch API)
	BatchScans  int       `json:"batch_scans"` // scans in it
	Pending     int       `json:"pending"`     // scans waiting for a collector
	Audit       int       `json:"audit"`       // rows of audit
	IDs         []string  `json:"ids"`         // every scan's id, in the order scanned
	Verdicts    []string  `json:"verdicts"`    // and its verdict
	ReviewPages bool      `json:"review_pages"`
}

const (
	office   = 426000
	password = "release-pw-1"
)

func main() {
	bin := flag.String("bin", "", "the older markd binary")
	commit := flag.String("commit", "", "the commit it was built from")
	out := flag.String("out", "", "output path without extension: writes OUT.db.gz and OUT.json")
	testdata := flag.String("testdata", "../shared/testdata", "the shared test data (keyring, tariffs, issuer keys)")
	hubBin := flag.String("hub", "", "an older markhub binary: the counter uploads to it and its database is written to HUBOUT")
	hubOut := flag.String("hubout", "", "with -hub: output path without extension: writes HUBOUT.db.gz (SQLite) or HUBOUT.sql.gz (PostgreSQL) and HUBOUT.json")
	hubDriver := flag.String("hubdriver", "sqlite", "with -hub: the collector's database, sqlite or postgres (a private cluster started here, written with pg_dump)")
	flag.Parse()
	if *bin == "" || *out == "" || *commit == "" {
		log.Fatal("usage: releasestores -bin MARKD -commit HASH -out PATH")
	}
	td, err := filepath.Abs(*testdata)
	check(err)
	dir, err := os.MkdirTemp("", "releasestore-")
	check(err)
	defer os.RemoveAll(dir)
	var hub *collector
	var pg *pgCollector
	if *hubBin != "" {
		dsn := ""
		switch *hubDriver {
		case "sqlite":
		case "postgres":
			pg, err = startPG()
			check(err)
			defer pg.stop()
			dsn = pg.dsn
		default:
			log.Fatalf("-hubdriver %q: want sqlite or postgres", *hubDriver)
		}
		hub, err = startCollector(*hubBin, td, dir, dsn)
		check(err)
		defer hub.stop() //nolint:errcheck // stopped below
	}
	e, err := day(*bin, td, dir, hub)
	check(err)
	e.Commit = *commit
	if pg != nil {
		check(hub.stop())
		he, err := pg.write(*hubOut + ".sql.gz")
		check(err)
		he.Commit, he.DistributionKey = *commit, hub.pub
		b, err := json.MarshalIndent(he, "", "  ")
		check(err)
		check(os.WriteFile(*hubOut+".json", append(b, '\n'), 0o644))
		fmt.Printf("%s.sql.gz: schema %d, %d records, %d events, %d batches (PostgreSQL %s)\n", *hubOut, he.Schema, he.Records, he.Events, he.Batches, he.Server)
	} else if hub != nil {
		check(hub.stop())
		he, err := hubExpect(hub.db, filepath.Join(dir, "hubcopy.db"))
		check(err)
		he.Commit, he.DistributionKey = *commit, hub.pub
		check(gz(hub.db, *hubOut+".db.gz"))
		b, err := json.MarshalIndent(he, "", "  ")
		check(err)
		check(os.WriteFile(*hubOut+".json", append(b, '\n'), 0o644))
		fmt.Printf("%s.db.gz: schema %d, %d records, %d events, %d batches\n", *hubOut, he.Schema, he.Records, he.Events, he.Batches)
	}
	db := filepath.Join(dir, "markd.db")
	for _, side := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(db + side); err == nil {
			log.Fatalf("%s%s left after markd stopped: the store was not closed cleanly", db, side)
		}
	}
	check(gz(db, *out+".db.gz"))
	// read from a copy: the store's bytes are what the binary left
	e.Schema, e.Audit, err = schemaOf(db, filepath.Join(dir, "copy.db"))
	check(err)
	b, err := json.MarshalIndent(e, "", "  ")
	check(err)
	check(os.WriteFile(*out+".json", append(b, '\n'), 0o644))
	fmt.Printf("%s.db.gz: schema %d, %d scans, %d pending\n", *out, e.Schema, e.Scans, e.Pending)
}

// atFatal runs before check ends the program (a PostgreSQL cluster to stop).
var atFatal []func()

func check(err error) {
	if err != nil {
		for _, f := range atFatal {
			f()
		}
		log.Fatal(err)
	}
}

// day drives the binary through one counter's day in dir.
func day(bin, td, dir string, hub *collector) (*Expect, error) {
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	has := func(cmd string) bool { return regexp.MustCompile(`(?m)^\s+` + cmd + `\s`).Match(help) }
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf("office: %d\ncounter: \"1\"\ntz: Europe/Moscow\nkeyring: %q\ntariffs: %q\ndb: %q\n"+
		"rescan_window: 1s\nhttp:\n  listen: 127.0.0.1:%d\nlog:\n  format: text\n",
		office, filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), filepath.Join(dir, "markd.db"), port)
	if hub != nil {
		body += hub.syncBlock(dir)
	}
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return nil, err
	}
	cli := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(bin, append(args, "--config", cfg)...)
		cmd.Stdin = strings.NewReader(stdin)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("markd %s: %w\n%s%s", strings.Join(args, " "), err, out, errb.Bytes())
		}
		return strings.TrimSpace(string(out)), nil
	}
	e := &Expect{Office: office, Counter: "1", Password: password, MadeAt: time.Now().UTC()}
	if has("init") {
		if _, err := cli("", "init"); err != nil {
			return nil, err
		}
	}
	if hub != nil && has("init") {
		// a new store restores its office's reuse history first
		if _, err := cli("", "sync", "--once"); err != nil {
			return nil, err
		}
	}
	// The store exists after init, or after run's first open (older
	// releases): accounts are made once it does, below.
	d, err := start(bin, cfg)
	if err != nil {
		return nil, err
	}
	defer d.kill()
	keys, err := issuer.LoadKeys(filepath.Join(td, "issuer-keys.yaml"))
	if err != nil {
		return nil, err
	}
	msk, err := zones.Default().Load("Europe/Moscow")
	if err != nil {
		return nil, err
	}
	today := mark.DayOf(e.MadeAt.In(msk))
	sign := func(serial uint64, tariff uint64) string {
		m := mark.Mark{Serial: serial, Contract: 1, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
			TariffKop: uint32(tariff), Office: office, Issued: today - 1, ValidUntil: today + 30,
			Tracking: issuer.Tracking(office, serial)}
		text, err := keys[0].Sign(m)
		check(err)
		return text
	}
	scan := func(text string) (runLine, error) {
		l, err := d.scan(text)
		if err == nil {
			e.IDs = append(e.IDs, l.ID)
			e.Verdicts = append(e.Verdicts, string(l.Verdict))
		}
		return l, err
	}
	want := func(text string, v mark.Verdict, reason string) (runLine, error) {
		l, err := scan(text)
		if err != nil {
			return l, err
		}
		if l.Verdict != v || (reason != "" && !strings.Contains(fmt.Sprint(l.Reasons), reason)) {
			return l, fmt.Errorf("scan %d: %s %v, want %s %s", len(e.IDs), l.Verdict, l.Reasons, v, reason)
		}
		return l, nil
	}
	first := sign(71001, 1000000)
	e.AcceptText = first
	for _, text := range []string{first, sign(71002, 1000000)} {
		if _, err := want(text, mark.Accept, ""); err != nil {
			return nil, err
		}
	}
	e.Accepted = []uint64{71001, 71002}
	bad, err := want(first[:len(first)-4]+"AAAA", mark.Reject, "")
	if err != nil {
		return nil, err
	}
	e.Confirmed = bad.ID
	under, err := want(sign(71003, 1), mark.Reject, "UNDERPAID")
	if err != nil {
		return nil, err
	}
	e.Overridden = under.ID
	if _, err := scan("hello, not a mark"); err != nil {
		return nil, err
	}
	time.Sleep(1500 * time.Millisecond) // past rescan_window: the same mark again is REUSED
	reused, err := want(first, mark.Reject, "REUSED")
	if err != nil {
		return nil, err
	}
	e.Reused = reused.ID
	for _, u := range []struct{ name, role string }{{"petrova", "supervisor"}, {"ivanova", "operator"}} {
		if _, err := cli(password+"\n", "user", "add", u.name, "--role", u.role); err != nil {
			return nil, err
		}
		e.Users = append(e.Users, u.name)
	}
	web := newClient(port)
	if err := web.review(e.Confirmed, "confirm", "подпись не сходится"); err != nil {
		return nil, err
	}
	if err := web.review(e.Overridden, "override", "доплата принята на месте"); err != nil {
		return nil, err
	}
	e.ReviewPages = true
	e.Accepted = append(e.Accepted, 71003)
	if has("token") {
		tok, err := cli("", "token", "add", "kassa")
		if err != nil {
			return nil, err
		}
		e.Token = lastWord(tok)
		if err := apiBatch(web, e, sign); err != nil {
			return nil, err
		}
	}
	if err := d.stop(); err != nil {
		return nil, err
	}
	e.Scans = len(e.IDs)
	e.Pending = e.Scans // nothing was uploaded: no collector configured
	if hub != nil {
		if _, err := cli("", "sync", "--once"); err != nil {
			return nil, err
		}
		e.Pending = 0
	}
	return e, nil
}

// apiBatch opens a batch on the local API, scans two marks into it (one
// accepted, one underpaid) and closes it.
func apiBatch(c *client, e *Expect, sign func(uint64, uint64) string) error {
	var b struct {
		ID string `json:"id"`
	}
	if err := c.api("POST", "/api/batches", e.Token, `{"contract": 1}`, &b); err != nil {
		return err
	}
	for _, s := range []struct {
		serial, tariff uint64
		v              mark.Verdict
	}{{71101, 1000000, mark.Accept}, {71102, 1, mark.Reject}} {
		var r struct {
			ID      string       `json:"id"`
			Verdict mark.Verdict `json:"verdict"`
		}
		body, _ := json.Marshal(map[string]any{"text": sign(s.serial, s.tariff), "batch": b.ID})
		if err := c.api("POST", "/api/scans", e.Token, string(body), &r); err != nil {
			return err
		}
		if r.Verdict != s.v {
			return fmt.Errorf("batch scan %d: %s, want %s", s.serial, r.Verdict, s.v)
		}
		e.IDs = append(e.IDs, r.ID)
		e.Verdicts = append(e.Verdicts, string(r.Verdict))
	}
	e.Accepted = append(e.Accepted, 71101)
	if err := c.api("POST", "/api/batches/"+b.ID+"/close", e.Token, "", nil); err != nil {
		return err
	}
	e.Batch, e.BatchScans = b.ID, 2
	return nil
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// runLine is the part of `markd run`'s JSON line per verdict read here.
type runLine struct {
	ID      string        `json:"id"`
	Verdict mark.Verdict  `json:"verdict"`
	Reasons []mark.Reason `json:"reasons"`
}

type daemon struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan runLine
	logs  *bytes.Buffer
}

func start(bin, cfg string) (*daemon, error) {
	d := &daemon{cmd: exec.Command(bin, "run", "--config", cfg), lines: make(chan runLine, 64), logs: &bytes.Buffer{}}
	d.cmd.Stderr = d.logs
	var err error
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := d.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var l runLine
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Verdict != "" {
				d.lines <- l
			}
		}
		close(d.lines)
	}()
	return d, nil
}

func (d *daemon) scan(text string) (runLine, error) {
	if _, err := io.WriteString(d.stdin, text+"\n"); err != nil {
		return runLine{}, err
	}
	select {
	case l, ok := <-d.lines:
		if !ok {
			return l, fmt.Errorf("markd run ended:\n%s", d.logs)
		}
		return l, nil
	case <-time.After(30 * time.Second):
		return runLine{}, fmt.Errorf("no verdict for %.20s…:\n%s", text, d.logs)
	}
}

func (d *daemon) stop() error {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.cmd.Wait(); err != nil {
		return fmt.Errorf("markd run stopped: %w\n%s", err, d.logs)
	}
	d.cmd = nil
	return nil
}

func (d *daemon) kill() {
	if d.cmd != nil {
		_ = d.cmd.Process.Kill()
		_ = d.cmd.Wait()
	}
}

// client is a browser's part on the review pages (a cookie jar, the
// forms' hidden csrf value) and a program's on the local API.
type client struct {
	base string
	http *http.Client
	in   bool // logged in
}

func newClient(port int) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: fmt.Sprintf("http://127.0.0.1:%d", port), http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) page(path string) (string, error) {
	var last error
	for range 50 { // the daemon's listener may come up after its first verdicts
		resp, err := c.http.Get(c.base + path)
		if err != nil {
			last = err
			time.Sleep(100 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("GET %s: %s\n%s", path, resp.Status, b)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("GET %s: %w", path, last)
}

func (c *client) post(path string, form url.Values) error {
	resp, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s\n%s", path, resp.Status, b)
	}
	return nil
}

// review logs in as the supervisor when not yet, then posts the review
// page's form action (confirm, override) with note.
func (c *client) review(id, action, note string) error {
	if !c.in {
		p, err := c.page("/login")
		if err != nil {
			return err
		}
		m := csrfRe.FindStringSubmatch(p)
		if m == nil {
			return fmt.Errorf("login page without a csrf field:\n%s", p)
		}
		if err := c.post("/login", url.Values{"csrf": {m[1]}, "user": {"petrova"}, "password": {password}, "next": {"/review"}}); err != nil {
			return err
		}
		c.in = true
	}
	p, err := c.page("/review/" + id)
	if err != nil {
		return err
	}
	m := csrfRe.FindStringSubmatch(p)
	if m == nil || !strings.Contains(p, "/review/"+id+"/"+action) {
		return fmt.Errorf("review page of %s without a %s form:\n%s", id, action, p)
	}
	return c.post("/review/"+id+"/"+action, url.Values{"csrf": {m[1]}, "note": {note}})
}

func (c *client) api(method, path, token, body string, v any) error {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s\n%s", method, path, resp.Status, b)
	}
	if v != nil {
		return json.Unmarshal(b, v)
	}
	return nil
}

func gz(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Name = "" // no file name or time in the header: the same store, the same bytes
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// schemaOf copies the store to tmp and reads its last migration and its
// audit rows there.
func schemaOf(db, tmp string) (schema, audit int, err error) {
	b, err := os.ReadFile(db)
	if err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return 0, 0, err
	}
	h, err := sql.Open("sqlite3", tmp)
	if err != nil {
		return 0, 0, err
	}
	defer h.Close()
	if err := h.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&schema); err != nil {
		return 0, 0, err
	}
	err = h.QueryRow(`SELECT count(*) FROM audit`).Scan(&audit)
	return schema, audit, err
}
