package daemon

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/config"
	"markd/mark"
)

func TestCheckListen(t *testing.T) {
	tests := []struct {
		h   config.HTTPConfig
		ok  bool
		tls bool
	}{
		{config.HTTPConfig{Listen: "127.0.0.1:8080"}, true, false},
		{config.HTTPConfig{Listen: "localhost:0"}, true, false},
		{config.HTTPConfig{Listen: "[::1]:8080"}, true, false},
		{config.HTTPConfig{Listen: "0.0.0.0:8080"}, false, false},
		{config.HTTPConfig{Listen: ":8080"}, false, false},
		{config.HTTPConfig{Listen: "10.0.0.5:443", TLSCert: "c.pem", TLSKey: "k.pem"}, true, true},
		{config.HTTPConfig{Listen: "nonsense"}, false, false},
	}
	for _, tc := range tests {
		tls, err := CheckListen(tc.h)
		if (err == nil) != tc.ok || tls != tc.tls {
			t.Errorf("%+v: tls=%v err=%v, want ok=%v tls=%v", tc.h, tls, err, tc.ok, tc.tls)
		}
		// every refusal is a bad http.listen: a *config.KeyError (markd
		// run adds where it was set) that is mark.ErrInvalid
		var ke *config.KeyError
		if err != nil && (!errors.As(err, &ke) || ke.Key != "http.listen" || !errors.Is(err, mark.ErrInvalid)) {
			t.Errorf("%+v: err %v (%T), want a *config.KeyError for http.listen", tc.h, err, err)
		}
	}
}

// TestIdleConnectionClosed: a kept-alive connection that waits for its
// next request is closed by the daemon after idleTimeout. It stayed open
// for ever (no IdleTimeout nor ReadTimeout), so a client on the network
// could hold a file descriptor per connection after one /healthz each.
func TestIdleConnectionClosed(t *testing.T) {
	old := idleTimeout
	idleTimeout = 50 * time.Millisecond
	t.Cleanup(func() { idleTimeout = old })
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	s := serveLoopback(t, h)
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	// A guard only, far above idleTimeout: the server's close is the end.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := br.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("the idle connection: read %d bytes, %v; want EOF (closed by the daemon)", n, err)
	}
}

// TestSlowBodyCut: a request that announces a body and does not send it
// is answered and its connection closed after bodyTimeout, whether the
// handler reads the body or refuses without reading it (the server reads
// a small unread body before it answers). It held its connection and
// handler for ever: only the headers had a time limit.
func TestSlowBodyCut(t *testing.T) {
	old := bodyTimeout
	bodyTimeout = 50 * time.Millisecond
	t.Cleanup(func() { bodyTimeout = old })
	mux := http.NewServeMux()
	mux.HandleFunc("POST /read", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "body not read", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /refuse", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "log in first", http.StatusUnauthorized)
	})
	s := serveLoopback(t, mux)
	for _, path := range []string{"/read", "/refuse"} {
		conn, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// 100 bytes announced, 10 sent.
		if _, err := io.WriteString(conn, "POST "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
			t.Fatal(err)
		}
		// A guard only, far above bodyTimeout.
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		b, err := io.ReadAll(conn)
		if err != nil || !strings.HasPrefix(string(b), "HTTP/1.1 4") {
			t.Fatalf("%s with a body that does not come: %q, %v; want a 4xx answer and the connection closed", path, b, err)
		}
	}
	// A body that comes is read, and its handler answers.
	res, err := http.Post("http://"+s.Addr()+"/read", "text/plain", strings.NewReader("whole body"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a body that comes: %d", res.StatusCode)
	}
}

// serveLoopback serves h on a free loopback port until t ends.
func serveLoopback(t *testing.T, h http.Handler) *HTTPServer {
	t.Helper()
	return serveConfig(t, config.HTTPConfig{Listen: "127.0.0.1:0"}, h, nil)
}

// serveConfig serves h as Listen does with hc until t ends.
func serveConfig(t *testing.T, hc config.HTTPConfig, h http.Handler, refused prometheus.Counter) *HTTPServer {
	t.Helper()
	s, err := Listen(hc, h, time.Second, slog.New(slog.DiscardHandler), refused)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}
