package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "markd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestDaemonTLSSecureCookie: served over TLS, the session cookie is
// Secure (besides HttpOnly and SameSite=Strict).
func TestDaemonTLSSecureCookie(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	d := startDaemonHTTP(t, map[string][2]string{"sveta": {"supervisor", "supervisor-pass"}}, fmt.Sprintf(`http:
  listen: "127.0.0.1:0"
  tls_cert: %q
  tls_key: %q
`, certFile, keyFile))
	if !strings.HasPrefix(d.URL, "https://") {
		t.Fatalf("markd run with a certificate serves %s, want https", d.URL)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(d.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the login page")
	}
	res, err = c.PostForm(d.URL+"/login", url.Values{"user": {"sveta"}, "password": {"supervisor-pass"}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session string
	for _, line := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "markd_session=") {
			session = line
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == "" {
		t.Fatalf("login over TLS: %d, cookies %v", res.StatusCode, res.Header.Values("Set-Cookie"))
	}
	for _, attr := range []string{"Secure", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(session, attr) {
			t.Fatalf("session cookie %q lacks %s", session, attr)
		}
	}
}

// TestDaemonRefusesOpenListenWithoutTLS: binding off loopback needs TLS;
// a config refused, markd run exits 78 (not restarted by systemd).
func TestDaemonRefusesOpenListenWithoutTLS(t *testing.T) {
	cfg := writeConfig(t, `http:
  listen: "0.0.0.0:0"
`)
	out, err := exec.Command(markdBinary(t), "run", "--config", cfg).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 78 || !strings.Contains(string(out), "tls") {
		t.Fatalf("markd run on 0.0.0.0 without TLS: %v\n%s", err, out)
	}
}
