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
		{"key without bundle dir", func(s *SyncConfig) { s.DistributionKey, s.BundleDir = key, "" }, "sync.bundle_dir"},
		{"zero interval", func(s *SyncConfig) { s.Interval = 0 }, "sync.interval"},
		{"zero max backoff", func(s *SyncConfig) { s.MaxBackoff = 0 }, "sync.max_backoff"},
		{"batch too big", func(s *SyncConfig) { s.BatchSize = 10001 }, "sync.batch_size"},
		// the config audit: the port failed at every upload; freshness_hard was named freshness_warn
		{"url port out of range", func(s *SyncConfig) { s.URL, s.Token = "https://hub.example:99999", "t" }, "sync.url"},
		{"url port 0", func(s *SyncConfig) { s.URL, s.Token = "https://hub.example:0", "t" }, "sync.url"},
		{"url with a port", func(s *SyncConfig) { s.URL, s.Token = "https://hub.example:8443", "t" }, ""},
		{"negative freshness_hard", func(s *SyncConfig) { s.FreshnessHard = -time.Hour }, "sync.freshness_hard"},
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
