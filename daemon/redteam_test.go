package daemon

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The counter's HTTP server from outside (red team, 26th stop,
// docs/notes/trust-counter.md): what held, pinned.

// TestSlowAndHugeHeaders: headers sent a line at a time are cut at
// headerTimeout, the connection closed; headers over Go's 1 MiB are 431;
// the server serves on after both.
func TestSlowAndHugeHeaders(t *testing.T) {
	old := headerTimeout
	headerTimeout = 200 * time.Millisecond
	t.Cleanup(func() { headerTimeout = old })
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	s := serveLoopback(t, mux)

	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	closed := false
	for range 50 { // a header line each 100 ms, for at most 5 s
		time.Sleep(100 * time.Millisecond)
		if _, err := io.WriteString(conn, "X-Slow: 1\r\n"); err != nil {
			closed = true
			break
		}
		conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := conn.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
			closed = true
			break
		}
	}
	if !closed || time.Since(start) > 3*time.Second {
		t.Fatalf("slow headers: closed %v after %v; want closed about %v after the first line", closed, time.Since(start), headerTimeout)
	}

	conn2, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	go io.WriteString(conn2, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "+strings.Repeat("a", 2<<20)+"\r\n\r\n")
	conn2.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 64)
	n, _ := io.ReadAtLeast(conn2, b, 12)
	if !strings.HasPrefix(string(b[:n]), "HTTP/1.1 431") {
		t.Fatalf("a 2 MiB header: %q, want 431", b[:n])
	}
	if res, err := http.Get("http://" + s.Addr() + "/"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("after: %v %v", res, err)
	} else {
		res.Body.Close()
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestSmugglingRefused: the framings a proxy and the server could read
// differently (two lengths, a transfer coding Go does not know, a space
// before the colon) are refused by Go's server before any handler runs.
// A Content-Length beside chunked is read as chunked (RFC 9112 allows it)
// and the connection is kept, so what follows the chunked body is the
// client's next request on its own connection, through the same login
// as any: with no proxy in front of the counter there is no second
// reader to fool. Verified, nothing changed.
func TestSmugglingRefused(t *testing.T) {
	var (
		mu   sync.Mutex
		hits []string
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Method+" "+r.URL.Path)
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})
	s := serveLoopback(t, mux)
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
	for _, tt := range []struct {
		name, req, want string
		answers         int
	}{
		{"two Content-Lengths", "POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n" + smuggled, "HTTP/1.1 400", 1},
		{"Content-Length and chunked", "POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, "HTTP/1.1 200", 2},
		{"an unknown coding", "POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\n\r\n" + smuggled, "HTTP/1.1 501", 1},
		{"chunked twice", "POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, "HTTP/1.1 501", 1},
		{"a space before the colon", "POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n" + smuggled, "HTTP/1.1 400", 1},
	} {
		mu.Lock()
		hits = nil
		mu.Unlock()
		conn, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, tt.req)
		wait := 5 * time.Second
		if tt.answers == 2 {
			wait = time.Second // the connection is kept: read what came
		}
		conn.SetReadDeadline(time.Now().Add(wait))
		b, _ := io.ReadAll(conn)
		conn.Close()
		mu.Lock()
		got := append([]string(nil), hits...)
		mu.Unlock()
		wantHits := 0
		if tt.answers == 2 {
			wantHits = 2 // POST /a with an empty body, then GET /smuggled: two requests of this client
		}
		if !strings.HasPrefix(string(b), tt.want) || strings.Count(string(b), "HTTP/1.1 ") != tt.answers || len(got) != wantHits {
			t.Errorf("%s: %q, handler ran for %v; want %s, %d answers", tt.name, b, got, tt.want, tt.answers)
		}
	}
}
