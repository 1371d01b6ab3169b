package hub_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/hub/sqlitestore"
)

// TestLimitConns: over real TCP, one address holds at most max
// connections served at once (here 2, from many goroutines at once); the
// ones past it are closed at accept and counted; a place closed is taken
// again; max 0 leaves the listener as it is.
func TestLimitConns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	api := hub.NewServer(st, hub.ServerOptions{Registry: reg, Log: slog.New(slog.DiscardHandler)})
	limited := api.LimitConns(ln, 2)
	if api.LimitConns(ln, 0) != ln {
		t.Fatal("max 0 wrapped the listener")
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }),
		ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(limited) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	ask := func(c net.Conn) error {
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a net.Conn
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	const n = 12
	conns := make([]net.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				errs[i] = err
				return
			}
			conns[i], errs[i] = c, ask(c)
		})
	}
	wg.Wait()
	served := 0
	var open []net.Conn
	for i := range n {
		if errs[i] == nil {
			served++
			open = append(open, conns[i])
		} else if conns[i] != nil {
			conns[i].Close()
		}
	}
	if served != 2 {
		t.Fatalf("%d of %d connections at once served, want 2 (errors %v)", served, n, errs)
	}
	if got := refused(t, reg); got != n-2 {
		t.Errorf("markhub_connections_refused_total %v, want %d", got, n-2)
	}
	open[0].Close()
	var err2 error
	for range 100 { // the server sees the close a moment later
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if err2 = ask(c); err2 == nil {
			c.Close()
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if err2 != nil {
		t.Fatalf("a place closed was not taken again: %v", err2)
	}
	open[1].Close()
}

func refused(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "markhub_connections_refused_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no markhub_connections_refused_total")
	return 0
}
