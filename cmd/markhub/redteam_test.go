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

	d := trickle(t, addr, "POST /v1/upload HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n", 25*time.Second,
		"a client sending headers a line a second was still connected after 25 s")
	if d < 9*time.Second {
		t.Fatalf("closed after %v, before the header deadline", d)
	}
	t.Logf("slow headers cut off after %v", d.Round(100*time.Millisecond))

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
