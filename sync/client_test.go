package sync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"markd/mark"
)

// TestClientCertificateAndTokenFile uploads over HTTPS with a client
// certificate (no token), and with a token read from a file.
func TestClientCertificateAndTokenFile(t *testing.T) {
	col, pki, srv := newMTLSCollector(t, "office-cert")
	cert, key := pki.Issue(t, "office-cert", false)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("tok-office-a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		o        ClientOptions
		terminal string
		want     error
	}{
		{"client certificate", ClientOptions{URL: srv.URL, CA: pki.CAFile, ClientCert: cert, ClientKey: key}, "office-cert", nil},
		{"token file", ClientOptions{URL: srv.URL, CA: pki.CAFile, TokenFile: tokenFile}, "office-a", nil},
		{"collector not trusted", ClientOptions{URL: srv.URL, TokenFile: tokenFile}, "", mark.ErrUnauthorized}, // not an outage: TestCollectorCertificateChanges
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			db := openCounter(t)
			id := addScan(t, db, "1", 426000, mark.Accept, uint64(100+i), day0)
			u := NewUploader(db, c, UploaderOptions{}, nil, nil)
			_, _, err = u.Once(context.Background(), true)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				return
			}
			r, err := col.store.Record(context.Background(), tt.terminal, id)
			if err != nil || r.Terminal != tt.terminal {
				t.Fatalf("record at collector: %+v %v", r, err)
			}
		})
	}
	bad := []ClientOptions{
		{URL: srv.URL, TokenFile: filepath.Join(t.TempDir(), "missing")},
		{URL: srv.URL, Token: "x", CA: tokenFile},
		{URL: srv.URL, ClientCert: cert},
	}
	for _, o := range bad {
		if _, err := NewClient(o); !errors.Is(err, mark.ErrInvalid) {
			t.Errorf("NewClient(%+v) err = %v, want ErrInvalid", o, err)
		}
	}
}
