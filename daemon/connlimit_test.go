package daemon

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConnsPerAddr: the daemon's own listener (real pages and API in
// front of a real store) serves at most http.max_conns_per_addr
// connections of one address at once: the next is closed at accept
// without an answer and counted in markd_connections_refused_total; the
// connections held are served on, another address is not held by the
// cap, and a connection closed gives its place back. 0 is no cap.
func TestConnsPerAddr(t *testing.T) {
	for _, tt := range []struct {
		max, open int
	}{
		{max: 3, open: 3},
		{max: 0, open: 8},
	} {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			c := testConfig(t)
			c.HTTP.MaxConnsPerAddr = tt.max
			r := start(t, Options{Config: c, Stdin: strings.NewReader("")})
			dial := func(local string) (net.Conn, error) {
				d := net.Dialer{Timeout: 5 * time.Second}
				if local != "" {
					d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
				}
				conn, err := d.Dial("tcp", r.HTTP.Addr())
				if err == nil {
					t.Cleanup(func() { conn.Close() })
				}
				return conn, err
			}
			ask := func(conn net.Conn) error { // a kept-alive GET /healthz
				fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				res, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					return err
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					return fmt.Errorf("/healthz: %s", res.Status)
				}
				return nil
			}
			var held []net.Conn
			for i := range tt.open {
				conn, err := dial("")
				if err != nil {
					t.Fatal(err)
				}
				if err := ask(conn); err != nil {
					t.Fatalf("connection %d of %d, within the cap: %v", i+1, tt.open, err)
				}
				held = append(held, conn)
			}
			if tt.max == 0 {
				if got := connsRefused(t, r.Main); got != 0 {
					t.Errorf("no cap: markd_connections_refused_total %v", got)
				}
				return
			}
			over, err := dial("")
			if err != nil {
				t.Fatal(err)
			}
			if err := ask(over); err == nil {
				t.Fatalf("connection %d of one address was served, over http.max_conns_per_addr %d", tt.max+1, tt.max)
			}
			if got := connsRefused(t, r.Main); got != 1 {
				t.Errorf("markd_connections_refused_total %v, want 1", got)
			}
			for i, conn := range held {
				if err := ask(conn); err != nil {
					t.Errorf("held connection %d after the refusal: %v", i+1, err)
				}
			}
			// another address of this machine (127.0.0.2 on Linux) has its own places
			if other, err := dial("127.0.0.2"); err == nil {
				if err := ask(other); err != nil {
					t.Errorf("another address held by the cap of 127.0.0.1: %v", err)
				}
				other.Close()
			} else {
				t.Logf("no second loopback address here (%v): not tried", err)
			}
			held[0].Close()
			var again error
			for range 100 { // the server sees the close a moment later
				conn, err := dial("")
				if err != nil {
					t.Fatal(err)
				}
				if again = ask(conn); again == nil {
					break
				}
				conn.Close()
				time.Sleep(10 * time.Millisecond)
			}
			if again != nil {
				t.Fatalf("a connection closed did not give its place back: %v", again)
			}
		})
	}
}

// connsRefused reads markd_connections_refused_total of the daemon.
func connsRefused(t *testing.T, m *Main) float64 {
	t.Helper()
	mfs, err := m.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "markd_connections_refused_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no markd_connections_refused_total among the daemon's metrics")
	return 0
}

// TestAPIWriteLimitWired: the daemon gives api.write_limit and
// api.write_burst to the API: a token's second batch write of a burst of
// one is 429 with Retry-After (the budget itself: web's
// TestAPIWriteBudget).
func TestAPIWriteLimitWired(t *testing.T) {
	c := testConfig(t)
	c.API.WriteLimit, c.API.WriteBurst = 1, 1
	r := start(t, Options{Config: c, Stdin: strings.NewReader("")})
	tok, err := r.Store.AddToken(t.Context(), "kassa")
	if err != nil {
		t.Fatal(err)
	}
	post := func(path string) *http.Response {
		req, err := http.NewRequest("POST", r.HTTP.URL()+path, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/api/batches"); res.StatusCode != http.StatusCreated {
		t.Fatalf("open: %s", res.Status)
	}
	if res := post("/api/batches/current/cancel"); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "60" {
		t.Errorf("a second batch write of a burst of 1 at 1 a minute: %s, Retry-After %q; want 429, 60", res.Status, res.Header.Get("Retry-After"))
	}
}
