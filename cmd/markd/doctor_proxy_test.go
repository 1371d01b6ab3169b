package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctorCollectorProxy: with a collector configured, markd doctor
// says which proxy the uploads take (host:port, never the password) and
// which setting chose it, or that they go direct. Before, doctor said
// nothing of the collector's proxy.
func TestDoctorCollectorProxy(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "markd.db")
	initStore(t, db)
	for _, tt := range []struct {
		name, proxy, env, want string
	}{
		{"sync.proxy", "http://ivan:s3cret@proxy.corp:3128", "", "Collector https://collector.test:8443: proxy proxy.corp:3128 (from sync.proxy)\n"},
		{"none", "none", "http://env.corp:8080", "Collector https://collector.test:8443: proxy none (sync.proxy: none)"},
		{"HTTPS_PROXY", "", "http://env.corp:8080", "Collector https://collector.test:8443: proxy env.corp:8080 (from HTTPS_PROXY)\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HTTPS_PROXY", tt.env)
			t.Setenv("https_proxy", "")
			t.Setenv("NO_PROXY", "")
			t.Setenv("no_proxy", "")
			cfg := filepath.Join(dir, "markd.yaml")
			body := "db: " + db + "\nsources:\n  - kind: stdin\nsync:\n  url: https://collector.test:8443\n  token: t\n"
			if tt.proxy != "" {
				body += "  proxy: " + tt.proxy + "\n"
			}
			code, out, errOut := runDoctor(t, cfg, body)
			if code != 0 || !strings.Contains(out, tt.want) || strings.Contains(out+errOut, "s3cret") {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant %q, no password", code, out, errOut, tt.want)
			}
		})
	}
}
