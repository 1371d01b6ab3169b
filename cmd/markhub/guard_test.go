package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"markd/hub"
)

// trickle dials addr, sends head, then drip once a second until the
// server closes the connection, and returns how long after the dial it
// closed; still open after wait, the test fails with stuck.
func trickle(t *testing.T, addr, head, drip string, wait time.Duration, stuck string) time.Duration {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan time.Duration, 1)
	began := time.Now()
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes
		closed <- time.Since(began)
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(wait)
	for {
		select {
		case d := <-closed:
			return d
		case <-tick.C:
			_, _ = io.WriteString(conn, drip) // fails once the server has closed
		case <-deadline:
			t.Fatal(stuck)
		}
	}
}

// metricLine is the value of the first line of markhub's /metrics at
// addr starting with prefix ("" when there is none).
func metricLine(t *testing.T, addr, prefix string) string {
	t.Helper()
	v, err := tryMetric(addr, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tryMetric(addr, prefix string) (string, error) {
	// No connection kept: it would hold a place of the address.
	cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := cl.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix+" ") {
			return strings.TrimPrefix(l, prefix+" "), err
		}
	}
	return "", err
}

// TestServeSlowBodyAndConnsPerAddr plays a client against the real
// markhub serve over real TCP: a body sent a byte a second, to the API
// (with a valid token) and to the pages, is cut after the grace of
// hub.BodyGrace (10 s; before, it was held for the 2-minute read
// timeout); and one address holds at most max_conns_per_addr (4 here)
// connections open: the next is closed at accept and counted, and once
// one closes the address is served again.
func TestServeSlowBodyAndConnsPerAddr(t *testing.T) {
	markhub, _ := buildBinaries(t)
	hubDB := filepath.Join(t.TempDir(), "hub.db")
	tok := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db", hubDB)
	addr := freePort(t)
	t.Setenv("MARKHUB_MAX_CONNS_PER_ADDR", "4")
	start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)

	t.Run("a body a byte a second is cut after the grace", func(t *testing.T) {
		for _, c := range []struct{ name, head string }{
			{"upload", "POST /v1/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"},
			{"login page", "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				d := trickle(t, addr, c.head, "{", 40*time.Second, "a body a byte a second was still read after 40 s (the read timeout is 2 minutes)")
				if d < hub.BodyGrace-time.Second {
					t.Fatalf("closed after %v, before the grace of %v", d, hub.BodyGrace)
				}
				t.Logf("a byte a second: cut after %v", d.Round(100*time.Millisecond))
			})
		}
	})

	t.Run("one address holds at most max_conns_per_addr", func(t *testing.T) {
		before := metricLine(t, addr, "markhub_connections_refused_total")
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for i := range 4 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
			// Each one served: a request on it is answered.
			fmt.Fprintf(c, "GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a net.Conn
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("connection %d of 4: %v", i+1, err)
			}
			resp.Body.Close()
		}
		over, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer over.Close()
		fmt.Fprintf(over, "GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n")
		over.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a net.Conn
		if resp, err := http.ReadResponse(bufio.NewReader(over), nil); err == nil {
			resp.Body.Close()
			t.Fatalf("a 5th connection of the address was answered %d, want it closed at accept", resp.StatusCode)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("a 5th connection of the address was held open without an answer, want it closed at accept")
		}
		held[0].Close()
		held = held[1:]
		var got string
		for range 100 { // the server sees the close a moment later
			if got, err = tryMetric(addr, "markhub_connections_refused_total"); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("after one of the 4 closed, the address is still refused: %v", err)
		}
		// The 5th, and the tries of /metrics before the server saw the close.
		if n, err := strconv.Atoi(got); before != "0" || err != nil || n < 1 {
			t.Errorf("markhub_connections_refused_total %q before, %q after; want 0, then at least 1", before, got)
		}
	})
}

// TestProcessesSyncCatchUpOverRate: `markd sync --once` catching up a
// backlog of 1000 records in batches of 50 (20 uploads) from a collector
// whose upload_rate is 2 a second with a burst of 2 is answered 429 with
// Retry-After again and again, waits each out, and still completes:
// every record in the collector once, none left pending.
func TestProcessesSyncCatchUpOverRate(t *testing.T) {
	markhub, markd := buildBinaries(t)
	hubDB := filepath.Join(t.TempDir(), "hub.db")
	addr := freePort(t)
	tok := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db", hubDB)
	publishTestKeyring(t, "sqlite", hubDB)
	t.Setenv("MARKHUB_UPLOAD_RATE", "2")
	t.Setenv("MARKHUB_UPLOAD_BURST", "2")
	p := start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	db, ids := counterStore(t, t.TempDir(), 1000, 70000, 426000)
	began := time.Now()
	out := run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), db, "http://"+addr, tok, 50))
	t.Logf("markd sync --once in %v: %s", time.Since(began).Round(time.Millisecond), out)
	if n := pendingIn(t, db); n != 0 {
		t.Fatalf("%d records still pending after markd sync --once", n)
	}
	limited, err := strconv.Atoi(metricLine(t, addr, `markhub_uploads_limited_total{limit="rate"}`))
	if err != nil || limited < 1 {
		t.Fatalf("markhub_uploads_limited_total{limit=\"rate\"} %d (%v): the catch-up never met the limit", limited, err)
	}
	t.Logf("%d uploads answered 429 on the rate", limited)
	p.kill()
	hs := openHub(t, "sqlite", hubDB)
	defer hs.Close()
	st, err := hs.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != int64(len(ids)) {
		t.Fatalf("collector has %d records, want %d", st.Records, len(ids))
	}
}
