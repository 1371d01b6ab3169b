package main

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
)

// TestReadmit: a revoked terminal is admitted again under its name through
// the real commands: markhub terminal readmit gives a token terminal a new
// token and a certificate terminal the one certificate given with --cert;
// the old token (401) and the old certificate (403, same CN, same CA)
// stay refused while the new ones upload. Before, a revoked certificate
// terminal could not be admitted again at all (only under a new name).
func TestReadmit(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	pki := hubtest.NewPKI(t)
	load := func(certFile, keyFile string) *tls.Certificate {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		return &c
	}
	oldCert := load(pki.Issue(t, "cash-2", false)) // before Issue writes the new one over its files
	newCert, newKey := pki.Issue(t, "cash-2", false)
	otherCN, _ := pki.Issue(t, "cash-9", false)
	tokenTerminalCert, _ := pki.Issue(t, "cash-1", false)

	_, oldToken, _ := runCmd(t, "terminal", "add", "cash-1", "--office", "426000", "--db", db)
	oldToken = strings.TrimSpace(oldToken)
	var newToken string
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string // substrings
	}{
		{"add certificate terminal", []string{"terminal", "add", "cash-2", "--office", "426000", "--cert-only", "--db", db}, 0, "client certificate", ""},
		{"revoke token terminal", []string{"terminal", "revoke", "cash-1", "--db", db}, 0, "revoked", ""},
		{"revoke certificate terminal", []string{"terminal", "revoke", "cash-2", "--db", db}, 0, "revoked", ""},
		{"readmit unknown", []string{"terminal", "readmit", "ghost", "--db", db}, 1, "", `no terminal "ghost"`},
		{"readmit certificate terminal without --cert", []string{"terminal", "readmit", "cash-2", "--db", db}, 2, "", "--cert FILE is required"},
		{"readmit with another CN", []string{"terminal", "readmit", "cash-2", "--cert", otherCN, "--db", db}, 2, "", `common name is "cash-9", not the terminal's name "cash-2"`},
		{"readmit with a key, not a certificate", []string{"terminal", "readmit", "cash-2", "--cert", newKey, "--db", db}, 2, "", "no PEM CERTIFICATE block"},
		{"readmit token terminal with --cert", []string{"terminal", "readmit", "cash-1", "--cert", tokenTerminalCert, "--db", db}, 2, "", "authenticates with a token"},
		{"list before", []string{"terminal", "list", "--db", db}, 0, "cash-2                         426000   revoked", ""},
		{"readmit token terminal", []string{"terminal", "readmit", "cash-1", "--db", db}, 0, "mkt_", "readmitted with the new token"},
		{"readmit certificate terminal", []string{"terminal", "readmit", "cash-2", "--cert", newCert, "--db", db}, 0, "readmitted with the certificate sha256", ""},
		{"list after", []string{"terminal", "list", "--db", db}, 0, "cash-2                         426000   certificate", ""},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
			t.Fatalf("%s: code %d out %q err %q", tt.name, code, out, errOut)
		}
		if tt.name == "readmit token terminal" {
			newToken = strings.TrimSpace(out)
		}
	}

	// The collector over the same store, as markhub serve would run it.
	s, err := sqlitestore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewUnstartedServer(hub.NewServer(s, hub.ServerOptions{}).Handler())
	ts.TLS = pki.ServerTLS(t)
	ts.StartTLS()
	defer ts.Close()
	client := func(c *tls.Certificate) *http.Client {
		cfg := &tls.Config{RootCAs: pki.Pool, MinVersion: tls.VersionTLS12}
		if c != nil {
			cfg.Certificates = []tls.Certificate{*c}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	for _, c := range []struct {
		what   string
		client *http.Client
		token  string
		want   int
	}{
		{"the new token", client(nil), newToken, 200},
		{"the old token", client(nil), oldToken, 401},
		{"the new certificate", client(load(newCert, newKey)), "", 200},
		{"the old certificate", client(oldCert), "", 403},
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/upload", strings.NewReader(`{}`))
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.what, resp.StatusCode, c.want)
		}
	}
}
