package config

import (
	"encoding/base64"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"markd/internal/edpoint"
	"markd/internal/proxyurl"
)

// SyncConfig configures the upload of records to the central collector
// and the download of signed keyring, tariff and revocation bundles.
type SyncConfig struct {
	URL             string        `mapstructure:"url"`                     // collector base URL; "" = offline only
	Token           string        `mapstructure:"token"`                   // per-terminal bearer token
	TokenFile       string        `mapstructure:"token_file" path:"file"`  // or read it from this file
	ClientCert      string        `mapstructure:"client_cert" path:"file"` // mTLS instead of a token
	ClientKey       string        `mapstructure:"client_key" path:"file"`
	CA              string        `mapstructure:"ca" path:"file"` // CA bundle for the collector's certificate
	BatchSize       int           `mapstructure:"batch_size"`     // records per POST
	BatchAge        time.Duration `mapstructure:"batch_age"`      // send a smaller batch when its oldest record is this old
	Interval        time.Duration `mapstructure:"interval"`       // how often to poll for bundles
	MaxBackoff      time.Duration `mapstructure:"max_backoff"`
	DistributionKey string        `mapstructure:"distribution_key"`       // pinned public key of bundle signatures (base64 Ed25519)
	BundleDir       string        `mapstructure:"bundle_dir" path:"file"` // where the last good bundles are kept
	FreshnessWarn   time.Duration `mapstructure:"freshness_warn"`         // lists older than this: operator screen amber
	FreshnessHard   time.Duration `mapstructure:"freshness_hard"`         // older than this: refuse to accept (0 = off)
	ClockLimit      time.Duration `mapstructure:"clock_limit"`            // skew against the collector above which date-dependent verdicts are ERROR (0 = off)
	// Proxy is the forward proxy to the collector: http(s)://[user:password@]host[:port];
	// "" = HTTPS_PROXY/HTTP_PROXY/NO_PROXY of the environment, on Windows then the machine's WinHTTP proxy; ProxyNone = none, whatever the environment says.
	Proxy string `mapstructure:"proxy"`
}

// ProxyNone is the sync.proxy that sends straight to the collector.
const ProxyNone = proxyurl.None

func defaultSync() SyncConfig {
	return SyncConfig{
		BatchSize:     2000, // 500 cost 20–40 % more CPU per record on both sides (issue 12)
		BatchAge:      5 * time.Second,
		Interval:      time.Minute,
		MaxBackoff:    5 * time.Minute,
		FreshnessWarn: 72 * time.Hour,
		ClockLimit:    5 * time.Minute,
		BundleDir:     join(dataDir(), "bundles"),
	}
}

// Validate checks the sync keys.
func (s SyncConfig) Validate() error {
	bad := func(key string, val any, why string) error { return invalid("sync."+key, val, why) }
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || u.Host == "" {
			return bad("url", s.URL, "not an http(s) URL")
		}
		switch u.Scheme {
		case "https":
		case "http":
			if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return bad("url", s.URL, "plain http is allowed only for loopback; use https")
			}
		default:
			return bad("url", s.URL, "scheme must be https (or http on loopback)")
		}
		// url.Parse takes any digits: a port out of range failed at
		// every upload ("invalid port"), the outbox growing for ever
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return bad("url", s.URL, "the port must be 1..65535")
			}
		}
	}
	if why := proxyurl.Why(s.Proxy); why != "" {
		return bad("proxy", proxyurl.Redact(s.Proxy), why)
	}
	if s.BatchSize <= 0 || s.BatchSize > 10000 {
		return bad("batch_size", s.BatchSize, "must be 1..10000")
	}
	if s.BatchAge <= 0 {
		return bad("batch_age", s.BatchAge, "must be positive")
	}
	if s.FreshnessWarn < 0 {
		return bad("freshness_warn", s.FreshnessWarn, "must not be negative")
	}
	if s.FreshnessHard < 0 { // was named freshness_warn, with freshness_warn's value
		return bad("freshness_hard", s.FreshnessHard, "must not be negative (0 = never)")
	}
	if s.ClockLimit < 0 {
		return bad("clock_limit", s.ClockLimit, "must not be negative (0 = no check)")
	}
	if s.Interval <= 0 {
		return bad("interval", s.Interval, "must be positive")
	}
	if s.MaxBackoff <= 0 {
		return bad("max_backoff", s.MaxBackoff, "must be positive")
	}
	if s.DistributionKey != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s.DistributionKey))
		if err != nil || len(b) != 32 {
			return bad("distribution_key", s.DistributionKey, "must be the base64 Ed25519 public key printed by markhub keys new")
		}
		if err := edpoint.Check(b); err != nil { // anyone could sign bundles for a weak key
			return bad("distribution_key", s.DistributionKey, err.Error()+"; use the public key printed by markhub keys new")
		}
		if s.BundleDir == "" {
			return bad("bundle_dir", s.BundleDir, "required with a distribution key: the last good bundles are kept there")
		}
	}
	if s.URL != "" && s.Token == "" && s.TokenFile == "" && s.ClientCert == "" {
		return bad("token", "", "a collector needs sync.token, sync.token_file or sync.client_cert/client_key")
	}
	if (s.ClientCert == "") != (s.ClientKey == "") {
		return bad("client_cert", s.ClientCert, "sync.client_cert and sync.client_key go together")
	}
	return nil
}
