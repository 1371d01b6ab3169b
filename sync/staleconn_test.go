package sync

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestPostRetriedOnStaleConnection: a collector that closes a kept-alive
// connection just as the counter sends its next upload on it (a restart,
// a load balancer's idle limit) is not an outage: the upload is sent
// again on a new connection. Before, the POST was not replayable for
// net/http, so the counter logged the collector as down and backed off
// (and TestCollectorCertificateChanges saw an EOF instead of the
// certificate's refusal under load).
func TestPostRetriedOnStaleConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns, requests atomic.Int32
	keys := make(chan string, 4)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			go func(nc net.Conn, n int32) {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					requests.Add(1)
					keys <- req.Header.Get("Idempotency-Key")
					if n == 1 && i == 1 {
						return // the second request on the first connection: closed unanswered
					}
					_, _ = io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
				}
			}(nc, n)
		}
	}()
	c, err := NewClient(ClientOptions{URL: "http://" + ln.Addr().String(), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		resp, err := c.do(context.Background(), http.MethodPost, "/v1/records", []byte(`{"records":[]}`))
		if err != nil {
			t.Fatalf("POST %d: %v, want it sent again on a new connection", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // so the connection goes back to the pool
		resp.Body.Close()
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("%d connections, want 2 (the stale one and its replacement)", got)
	}
	if got := requests.Load(); got != 3 {
		t.Errorf("%d requests seen, want 3", got)
	}
	if len(keys) != 3 {
		return
	}
	k1, k2, k3 := <-keys, <-keys, <-keys
	if k1 == "" || k2 == "" || k1 == k2 || k2 != k3 {
		t.Errorf("Idempotency-Key %q, %q, %q: want one per request, the same on its replay", k1, k2, k3)
	}
}
