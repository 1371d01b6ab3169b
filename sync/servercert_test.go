package sync

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/mark"
)

// TestCollectorCertificateChanges: the collector's certificate changes
// under a running counter (a TLS-inspecting proxy put in between, a
// certificate from a CA the counter does not pin, one that expired). The
// counter uploads nothing to it; the error says the collector's
// certificate is not trusted and to check sync.ca, with a hint, at error
// level (not as an outage that waiting mends): mark.ErrUnauthorized, so
// `markd sync --once` ends. The certificate put back, the records go.
func TestCollectorCertificateChanges(t *testing.T) {
	pinned := hubtest.NewPKI(t)
	other := hubtest.NewPKI(t)
	good := loadCert(t, pinned.ServCert, pinned.ServKey)
	expiredCert, expiredKey := pinned.IssueUntil(t, "127.0.0.1", true, time.Now().Add(-time.Hour))
	tests := []struct {
		name string
		cert *tls.Certificate
		want string
	}{
		{"another CA", loadCert(t, other.ServCert, other.ServKey), "unknown authority"},
		{"expired", loadCert(t, expiredCert, expiredKey), "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := newCollector(t, "office-a")
			var cur atomic.Pointer[tls.Certificate]
			cur.Store(good)
			srv := httptest.NewUnstartedServer(col.api.Handler())
			// Per handshake: httptest's own certificate would win over
			// GetCertificate for a client that sends no server name.
			srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12,
				GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
					return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cur.Load()}}, nil
				}}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			c, err := NewClient(ClientOptions{URL: srv.URL, CA: pinned.CAFile, Token: "tok-office-a"})
			if err != nil {
				t.Fatal(err)
			}
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 1100, day0)
			u := NewUploader(db, c, UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
			if _, _, err := u.Once(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			cur.Store(tt.cert)
			srv.CloseClientConnections()
			addScan(t, db, "1", 426000, mark.Accept, 1101, day0.Add(time.Second))
			_, _, err = u.Once(context.Background(), true)
			if err == nil || errors.Is(err, mark.ErrUnavailable) || !errors.Is(err, mark.ErrUnauthorized) {
				t.Fatalf("Once: %v, want a refusal of the collector's certificate, not an outage", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "certificate") || !strings.Contains(msg, tt.want) || !strings.Contains(msg, "sync.ca") {
				t.Fatalf("message %q: want it to name the certificate, %q and sync.ca", msg, tt.want)
			}
			if mark.Hint(err) == "" {
				t.Fatalf("no hint in %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := u.Drain(ctx); !errors.Is(err, mark.ErrUnauthorized) {
				t.Fatalf("Drain: %v, want it to end on the untrusted certificate", err)
			}
			if n := pending(t, db); n != 1 {
				t.Fatalf("%d pending, want 1", n)
			}
			cur.Store(good)
			srv.CloseClientConnections()
			if err := u.Drain(ctx); err != nil || pending(t, db) != 0 {
				t.Fatalf("Drain with the certificate put back: %v, %d pending", err, pending(t, db))
			}
		})
	}
}

// loadCert is the key pair of a test PKI's certificate and key files.
func loadCert(t *testing.T, cert, key string) *tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}
