package connlimit_test

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/internal/connlimit"
	"markd/internal/syncbuf"
)

// TestWrap: over real TCP, the connection past the cap of one address is
// closed at accept, counted and logged once (naming the key and the
// hint), the ones held stay served, a closed one gives its place back;
// max 0 leaves the listener as it is.
func TestWrap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	refused := prometheus.NewCounter(prometheus.CounterOpts{Name: "refused_total", Help: "x"})
	o := connlimit.Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), Refused: refused, Key: "http.max_conns_per_addr", Hint: "raise it"}
	if connlimit.Wrap(ln, 0, o) != ln {
		t.Fatal("max 0 wrapped the listener")
	}
	limited := connlimit.Wrap(ln, 2, o)
	defer limited.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := limited.Accept()
			if err != nil {
				return
			}
			accepted <- c
			go io.Copy(c, c) //nolint:errcheck // an echo until closed
		}
	}()
	echo := func(c net.Conn) error {
		c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a net.Conn
		if _, err := c.Write([]byte("x")); err != nil {
			return err
		}
		_, err := io.ReadFull(c, make([]byte, 1))
		return err
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := dial(), dial()
	for _, c := range []net.Conn{a, b} {
		if err := echo(c); err != nil {
			t.Fatalf("a connection within the cap: %v", err)
		}
	}
	for range 3 {
		if err := echo(dial()); err == nil {
			t.Fatal("a third connection of the address was served, want it closed at accept")
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(refused)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if got := mfs[0].GetMetric()[0].GetCounter().GetValue(); got != 3 {
		t.Errorf("refused %v, want 3", got)
	}
	if n := strings.Count(logs.String(), "connections refused"); n != 1 {
		t.Errorf("%d log lines for 3 refusals within a minute, want 1:\n%s", n, logs.String())
	}
	for _, want := range []string{"http.max_conns_per_addr=2", "remote=127.0.0.1", "hint=\"raise it\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log line without %s:\n%s", want, logs.String())
		}
	}
	if err := echo(a); err != nil {
		t.Errorf("a connection held was cut by the refusals: %v", err)
	}
	(<-accepted).Close() // the server closes the first: its place is free
	var err2 error
	for range 100 {
		if err2 = echo(dial()); err2 == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err2 != nil {
		t.Fatalf("a place closed was not taken again: %v", err2)
	}
}
