package sync

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"markd/internal/syncbuf"
	"net"
	"strings"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/mark"
)

// TestProxyDropsTunnel: a proxy that answers CONNECT and then closes the
// tunnel before the collector said a word (at once, or once the counter's
// TLS hello went in) is named as the proxy, with its host, in the error,
// its hint, /healthz's sync part and failing_reason proxy, and the record
// stays pending. Before, it was "collector 127.0.0.1:…: unavailable: …
// EOF": the collector's outage. A collector that answered (its TLS
// handshake done) and then closed stays the collector's.
func TestProxyDropsTunnel(t *testing.T) {
	tests := []struct {
		name      string
		drop      int32 // the proxy's connectProxy.drop; 0 = it tunnels to a collector that closes after its handshake
		tls       bool  // an https:// proxy (the counter speaks TLS with it)
		wantProxy bool
	}{
		{"tunnel closed at once", -1, false, true},
		{"tunnel closed after the TLS hello", 5, false, true},
		{"https proxy: tunnel closed after the TLS hello", 5, true, true},
		{"collector closes after its handshake", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pki := hubtest.NewPKI(t)
			_, srv := tlsCollector(t, pki)
			url := srv.URL
			if tt.drop == 0 {
				url = "https://" + hangUpCollector(t, pki)
			}
			var cert *tls.Certificate
			if tt.tls {
				cert = loadCert(t, pki.ServCert, pki.ServKey)
			}
			p := newConnectProxyTLS(t, "", "", nil, cert)
			p.drop.Store(tt.drop)
			_, host, _ := strings.Cut(p.srv.URL, "://")
			var logs syncbuf.Buffer
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 1330, day0)
			u := NewUploader(db, mtlsClient(t, pki, url, p.srv.URL), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
				slog.New(slog.NewTextHandler(&logs, nil)), nil)
			ctx := context.Background()
			_, _, err := u.Once(ctx, true)
			if err == nil {
				t.Fatal("Once through a dropped tunnel: no error")
			}
			if p.tunnels.Load() == 0 {
				t.Fatal("no tunnel through the proxy")
			}
			u.failedAttempt(ctx, err)
			st, h := u.Status(ctx), u.Health()
			var pe *ProxyError
			if !tt.wantProxy {
				if errors.As(err, &pe) || st.FailingReason != "unavailable" || !strings.HasPrefix(err.Error(), "collector ") {
					t.Fatalf("a collector that hung up after its handshake: %v (reason %s), want the collector's outage", err, st.FailingReason)
				}
				return
			}
			if !errors.As(err, &pe) || !pe.Dropped || !errors.Is(err, mark.ErrUnavailable) {
				t.Fatalf("Once: %v, want the proxy's dropped tunnel, unavailable", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "proxy "+host+" closed the tunnel to collector ") {
				t.Fatalf("error %q: want it to begin with proxy %s closed the tunnel", msg, host)
			}
			if st.FailingReason != "proxy" || !strings.Contains(st.LastHint, host) || h.Name != "proxy "+host+" in the way" {
				t.Fatalf("status %+v, health %+v: want failing_reason proxy and the proxy named", st, h)
			}
			if !strings.Contains(logs.String(), "proxy "+host) {
				t.Fatalf("log %q does not name the proxy", logs.String())
			}
			if n := pending(t, db); n != 1 {
				t.Fatalf("%d pending, want 1", n)
			}
		})
	}
}

// hangUpCollector is a collector's address that completes the TLS
// handshake (its certificate for 127.0.0.1 from pki) and closes the
// connection without an answer.
func hangUpCollector(t *testing.T, pki *hubtest.PKI) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", pki.ServerTLS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				if c.(*tls.Conn).Handshake() == nil {
					c.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // test
					io.ReadFull(c, make([]byte, 16))                   //nolint:errcheck // the request's start
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}
