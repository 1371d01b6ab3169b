package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

func TestSyncValidate(t *testing.T) {
	key := "I8e3RcufZKkxu9uU4pi/ncKu8QwV2D0eSb2rn2HLFKM="
	tests := []struct {
		name string
		mod  func(s *SyncConfig)
		key  string // "" = valid
	}{
		{"defaults (offline)", func(s *SyncConfig) {}, ""},
		{"loopback http with token", func(s *SyncConfig) { s.URL, s.Token = "http://127.0.0.1:8090", "t" }, ""},
		{"https with client cert", func(s *SyncConfig) { s.URL, s.ClientCert, s.ClientKey = "https://hub.example", "c", "k" }, ""},
		{"no credentials", func(s *SyncConfig) { s.URL = "https://hub.example" }, "sync.token"},
		{"cert without key", func(s *SyncConfig) { s.URL, s.ClientCert = "https://hub.example", "c" }, "sync.client_cert"},
		{"ftp", func(s *SyncConfig) { s.URL, s.Token = "ftp://hub.example", "t" }, "sync.url"},
		{"distribution key", func(s *SyncConfig) { s.DistributionKey = key }, ""},
		{"bad distribution key", func(s *SyncConfig) { s.DistributionKey = "AAAA" }, "sync.distribution_key"},
		// spec-audit.md item 10: anyone can sign for a key of small order
		{"distribution key of small order", func(s *SyncConfig) { s.DistributionKey = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, "sync.distribution_key"},
		{"distribution key off the curve", func(s *SyncConfig) { s.DistributionKey = "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, "sync.distribution_key"},
		{"key without bundle dir", func(s *SyncConfig) { s.DistributionKey, s.BundleDir = key, "" }, "sync.bundle_dir"},
		{"zero interval", func(s *SyncConfig) { s.Interval = 0 }, "sync.interval"},
		{"zero max backoff", func(s *SyncConfig) { s.MaxBackoff = 0 }, "sync.max_backoff"},
		{"batch too big", func(s *SyncConfig) { s.BatchSize = 10001 }, "sync.batch_size"},
		// the config audit: the port failed at every upload; freshness_hard was named freshness_warn
		{"url port out of range", func(s *SyncConfig) { s.URL, s.Token = "https://hub.example:99999", "t" }, "sync.url"},
		{"url port 0", func(s *SyncConfig) { s.URL, s.Token = "https://hub.example:0", "t" }, "sync.url"},
		{"url with a port", func(s *SyncConfig) { s.URL, s.Token = "https://hub.example:8443", "t" }, ""},
		{"negative freshness_hard", func(s *SyncConfig) { s.FreshnessHard = -time.Hour }, "sync.freshness_hard"},
		// a forward proxy to the collector: sync.proxy (unset: the environment)
		{"proxy", func(s *SyncConfig) { s.Proxy = "http://proxy.example:3128" }, ""},
		{"proxy https with user", func(s *SyncConfig) { s.Proxy = "https://u:p@proxy.example" }, ""},
		{"proxy none", func(s *SyncConfig) { s.Proxy = "none" }, ""},
		{"proxy socks", func(s *SyncConfig) { s.Proxy = "socks5://proxy.example:1080" }, "sync.proxy"},
		{"proxy without scheme", func(s *SyncConfig) { s.Proxy = "proxy.example:3128" }, "sync.proxy"},
		{"proxy with a path", func(s *SyncConfig) { s.Proxy = "http://proxy.example/pac" }, "sync.proxy"},
		{"proxy port", func(s *SyncConfig) { s.Proxy = "http://proxy.example:70000" }, "sync.proxy"},
		{"proxy off", func(s *SyncConfig) { s.Proxy = "off" }, "sync.proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := defaultSync()
			tt.mod(&s)
			err := s.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), "config "+tt.key+" ") {
				t.Fatalf("err = %v, want one naming %s", err, tt.key)
			}
		})
	}
}

// TestSyncProxyLoad: a bad sync.proxy is refused at load naming the file
// and line, the key and the value, with the proxy's password replaced:
// the error is logged and shown by markd config check.
func TestSyncProxyLoad(t *testing.T) {
	tests := []struct{ value, want string }{
		{"ftp://ivan:s3cret@proxy.example:21", `"ftp://ivan:xxxxx@proxy.example:21"`},
		{"http://ivan:s3cret@proxy.example/x", `"http://ivan:xxxxx@proxy.example/x"`},
		{"http://ivan:s3cret@proxy.example:99999", `"http://ivan:xxxxx@proxy.example:99999"`},
		{"http://ivan:s3cret@proxy example", `xxxxx@proxy example`},
		{"ivan:s3cret@proxy.example:3128", `"xxxxx@proxy.example:3128"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			file := writeFile(t, "office: 426000\nsync:\n  proxy: \""+tt.value+"\"\n")
			_, err := Load(file, nil)
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("Load: %v, want ErrInvalid", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, ":3: sync.proxy = ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "s3cret") {
				t.Fatalf("error %q: want file:3, sync.proxy, %s and no password", msg, tt.want)
			}
		})
	}
	c, err := Load(writeFile(t, "sync:\n  proxy: none\n"), nil)
	if err != nil || c.Sync.Proxy != ProxyNone {
		t.Fatalf("Load none: %v, %q", err, c.Sync.Proxy)
	}
}
