package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
)

// The parts of TestDaemonSoak: the collector's link that comes and goes,
// the scanner that is unplugged and plugged in again, event streams
// dropped mid-stream, and what the test reads of the process in /proc.

// collectorLink stands between the counter and markhub on a fixed
// loopback port, as the office's line to the collector does: down, the
// port refuses connections and the open ones are cut; up, it forwards
// to markhub again on the same address (the counter's sync.url).
type collectorLink struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newCollectorLink(t *testing.T, hubURL string) *collectorLink {
	t.Helper()
	l := &collectorLink{t: t, target: strings.TrimPrefix(hubURL, "http://"), conns: map[net.Conn]bool{}}
	l.up()
	t.Cleanup(l.down)
	return l
}

func (l *collectorLink) url() string { return "http://" + l.addr }

func (l *collectorLink) isUp() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ln != nil
}

func (l *collectorLink) up() {
	l.t.Helper()
	addr := l.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	testdata.Wait(l.t, 10*time.Second, "the collector link's port "+addr, func() bool {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err == nil
	})
	l.mu.Lock()
	l.ln, l.addr = ln, ln.Addr().String()
	l.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.forward(c)
		}
	}()
}

func (l *collectorLink) track(c net.Conn, on bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if on && l.ln == nil {
		return false
	}
	if on {
		l.conns[c] = true
	} else {
		delete(l.conns, c)
	}
	return true
}

func (l *collectorLink) forward(c net.Conn) {
	defer c.Close()
	h, err := net.Dial("tcp", l.target)
	if err != nil {
		return
	}
	defer h.Close()
	if !l.track(c, true) || !l.track(h, true) {
		return
	}
	defer l.track(c, false)
	defer l.track(h, false)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(h, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, h); done <- struct{}{} }()
	<-done
}

// down closes the port and cuts every connection through it.
func (l *collectorLink) down() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
	for c := range l.conns {
		c.Close()
	}
}

// plugScanner is the serial scanner on a socat pty pair: unplugged is
// socat stopped (the device link goes), plugged socat started again on
// the same link paths.
type plugScanner struct {
	dir  string
	stop func()
	sc   *serialScanner
}

func (p *plugScanner) dev() string { return filepath.Join(p.dir, "ttyACM0") }

func (p *plugScanner) plug(t *testing.T, d *daemon) {
	t.Helper()
	cmd, peer := testdata.SocatPlug(t, p.dev(), filepath.Join(p.dir, "peer"), "the serial scanner")
	p.stop = func() {
		testdata.Stop(cmd, syscall.SIGKILL)
		peer.Close()
		// the device node goes with the device, as udev removes it; socat
		// killed left its links, which the next pair's ptys may reuse
		for _, l := range []string{p.dev(), filepath.Join(p.dir, "peer")} {
			if err := os.Remove(l); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	p.sc = &serialScanner{d: d, peer: peer}
}

func (p *plugScanner) unplug() {
	p.stop()
	p.stop, p.sc = nil, nil
}

// sseStream is one event stream held open by a reader goroutine until
// drop cuts it, wherever it is; last is the id of the last event read.
type sseStream struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	last   string
	events int
}

// openSSE opens path as an event stream with hc, auth as the
// Authorization header when set and lastID as Last-Event-ID when set.
func openSSE(t *testing.T, hc *http.Client, url, auth, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := hc.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		cancel()
		t.Fatalf("GET %s: %d, want 200", url, res.StatusCode)
	}
	s := &sseStream{cancel: cancel, done: make(chan struct{}), last: lastID}
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				s.mu.Lock()
				s.last = id
				s.events++
				s.mu.Unlock()
			}
		}
	}()
	t.Cleanup(s.drop)
	return s
}

// drop cuts the stream from the client's side and waits for its reader.
func (s *sseStream) drop() {
	s.cancel()
	<-s.done
}

func (s *sseStream) lastID() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.events
}

// procSample is what the test reads of markd run's process.
type procSample struct {
	fds, threads, goroutines int
	rssKiB, walBytes         int64
	heapKiB                  int64 // go_memstats_heap_inuse_bytes: the Go heap's part of VmRSS
	goSysKiB                 int64 // go_memstats_sys_bytes: all the Go runtime holds; VmRSS less it is SQLite's and the C library's
}

func (p procSample) String() string {
	return fmt.Sprintf("fds %d, threads %d, goroutines %d, VmRSS %d KiB (Go heap in use %d KiB, Go runtime %d KiB), -wal %d B", p.fds, p.threads, p.goroutines, p.rssKiB, p.heapKiB, p.goSysKiB, p.walBytes)
}

// readProc reads pid's open descriptors and /proc status, the -wal's size
// and the go_goroutines, go_memstats_heap_inuse_bytes and
// go_memstats_sys_bytes gauges of GET /metrics.
func readProc(t *testing.T, pid int, wal, base string) procSample {
	t.Helper()
	var p procSample
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("markd run's descriptors: %v", err)
	}
	p.fds = len(ents)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Threads:":
			p.threads = int(n)
		case "VmRSS:":
			p.rssKiB = n
		}
	}
	if fi, err := os.Stat(wal); err == nil {
		p.walBytes = fi.Size()
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			p.goroutines = int(n)
		}
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			p.heapKiB = int64(n) / 1024
		}
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_sys_bytes "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			p.goSysKiB = int64(n) / 1024
		}
	}
	if res.StatusCode != http.StatusOK || p.goroutines == 0 {
		t.Fatalf("GET /metrics: %d, no go_goroutines", res.StatusCode)
	}
	return p
}

// settle samples until the counts that fall back once the round's
// connections are gone (descriptors, goroutines) read the same three
// times running, a tenth of a second apart; at most 50 tries. Not a
// speed check: the sample taken then is the one judged.
func settle(t *testing.T, pid int, wal, base string) procSample {
	t.Helper()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	prev, same := readProc(t, pid, wal, base), 0
	for range 50 {
		time.Sleep(100 * time.Millisecond)
		p := readProc(t, pid, wal, base)
		if p.fds == prev.fds && p.goroutines == prev.goroutines {
			same++
		} else {
			same = 0
		}
		prev = p
		if same == 2 {
			break
		}
	}
	return prev
}
