package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeSlowAndHugeHeaders plays a stranger against the real markhub
// serve (red-team pass, docs/notes/trust.md): headers sent a line a
// second (slowloris) are cut off by the server's header deadline (10 s),
// not held for as long as the client likes; a 2 MiB header is 431; and
// the collector answers as before after both.
func TestServeSlowAndHugeHeaders(t *testing.T) {
	markhub, _ := buildBinaries(t)
	addr := freePort(t)
	start(t, true, markhub, "serve", "--db", filepath.Join(t.TempDir(), "hub.db"), "--listen", addr)

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
	if _, err := io.WriteString(conn, "POST /v1/upload HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(25 * time.Second)
	for held := false; !held; {
		select {
		case d := <-closed:
			if d < 9*time.Second {
				t.Fatalf("closed after %v, before the header deadline", d)
			}
			t.Logf("slow headers cut off after %v", d.Round(100*time.Millisecond))
			held = true
		case <-tick.C:
			_, _ = io.WriteString(conn, "X-Slow: 1\r\n") // fails once the server has closed
		case <-deadline:
			t.Fatal("a client sending headers a line a second was still connected after 25 s")
		}
	}

	huge, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer huge.Close()
	go func() {
		_, _ = io.WriteString(huge, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 2<<20)+"\r\n\r\n")
	}()
	huge.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // a net.Conn
	resp, err := http.ReadResponse(bufio.NewReader(huge), nil)
	if err != nil {
		t.Fatalf("2 MiB header: no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("2 MiB header: %d, want 431", resp.StatusCode)
	}
	res, err := http.Get("http://" + addr + "/healthz/live")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("after the attempts: /healthz/live %d", res.StatusCode)
	}
}
