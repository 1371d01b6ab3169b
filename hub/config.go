package hub

import (
	"fmt"
	"net"
	"time"

	"markd/internal/cli"
	"markd/internal/zones"
)

// Config is the configuration of markhub (configs/markhub.yaml; loaded by
// cmd/markhub with defaults → file → MARKHUB_* env → flags → Validate).
type Config struct {
	Listen          string        `mapstructure:"listen"`                       // host:port of the API
	TLSCert         string        `mapstructure:"tls_cert" path:"file"`         // PEM; required off loopback
	TLSKey          string        `mapstructure:"tls_key" path:"file"`          //
	ClientCA        string        `mapstructure:"client_ca" path:"file"`        // PEM CA of terminal client certificates ("" = tokens only)
	DBDriver        string        `mapstructure:"db_driver"`                    // sqlite or postgres
	DB              string        `mapstructure:"db" path:"file"`               // SQLite file, or PostgreSQL URL
	DistributionKey string        `mapstructure:"distribution_key" path:"file"` // private key file (PEM) for bundle publish
	DBTimeout       time.Duration `mapstructure:"db_timeout"`                   // deadline of one upload transaction or bundle read
	DBCheckTimeout  time.Duration `mapstructure:"db_check_timeout"`             // deadline of the terminal lookup and the health query
	DBMaxConns      int           `mapstructure:"db_max_conns"`                 // PostgreSQL pool size
	RetryAfter      time.Duration `mapstructure:"retry_after"`                  // what a 503 tells clients to wait
	// RetentionMonths keeps the records of this many whole months before
	// the current one and drops older ones daily (PostgreSQL: whole
	// monthly partitions); 0 keeps everything.
	RetentionMonths int `mapstructure:"retention_months"`
	// Plausible scan times of uploaded records (hub.Plausibility).
	AtAhead              time.Duration `mapstructure:"at_ahead"`               // how far after the collector's clock
	AtBeforeRegistration time.Duration `mapstructure:"at_before_registration"` // how long before the terminal's registration (0 = no check)
	// DisputeSkew: an ACCEPT stamped more than this after the collector
	// received it is stored disputed (SCANNED_AFTER_RECEIPT; 0 = no check).
	DisputeSkew time.Duration `mapstructure:"dispute_skew"`
	// OfficeZone is the time zone the offices keep their day in (an IANA
	// name; "" = unknown), and OfficeZones the offices in other zones by
	// postal index prefix: where an office's zone is known, the dates of
	// its ACCEPTs are judged in it (Checker.Judge), else in every zone.
	OfficeZone  string             `mapstructure:"office_zone"`
	OfficeZones []OfficeZoneConfig `mapstructure:"office_zones"`
	// ZoneData is the zone data the zones are loaded from: embedded (the
	// copy inside the binary, as every counter's by default) or system
	// (the machine's zone files; internal/zones).
	ZoneData        string        `mapstructure:"zone_data"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// SessionLifetime is the longest a login of the regional pages
	// lasts, however much it is used.
	SessionLifetime time.Duration `mapstructure:"session_lifetime"`
	// SessionTTL ends a login of the regional pages unused this long
	// (the counter's web.session_ttl).
	SessionTTL time.Duration `mapstructure:"session_ttl"`
	// LoginAccountLimit is the failed logins a minute of one account of
	// the regional pages over all addresses from browsers it never
	// logged in from (no device cookie).
	LoginAccountLimit int `mapstructure:"login_account_limit"`
	// UploadRate and UploadBurst limit one terminal's uploads over time:
	// a token bucket of UploadBurst refilled at UploadRate a second, per
	// instance; past it 429 with Retry-After (ratelimit.go). UploadRate 0:
	// no limit.
	UploadRate  float64 `mapstructure:"upload_rate"`
	UploadBurst int     `mapstructure:"upload_burst"`
	// ReadRate and ReadBurst limit one terminal's reads (GET /v1/bundle,
	// /v1/serials, /v1/questioned together) the same way (readlimit.go).
	// ReadRate 0: no limit.
	ReadRate  float64 `mapstructure:"read_rate"`
	ReadBurst int     `mapstructure:"read_burst"`
	// MaxConnsPerAddr caps the open connections of one remote address
	// (connlimit.go); 0: no cap (behind a proxy).
	MaxConnsPerAddr int `mapstructure:"max_conns_per_addr"`
	// AuthFailuresPerAddr is the failed token authentications a minute
	// of one remote address before it is answered 429 without a store
	// lookup (authguard.go); 0: no limit (behind a proxy).
	AuthFailuresPerAddr int `mapstructure:"auth_failures_per_addr"`
	// MinBodyRate is the slowest a request body may arrive, in bytes a
	// second, after its first 10 s (bodyrate.go); 0: only the 2-minute
	// read timeout.
	MinBodyRate int       `mapstructure:"min_body_rate"`
	Log         LogConfig `mapstructure:"log"`
}

// Zones are the offices' time zones of office_zone and office_zones, by
// the zone data of zone_data.
func (c Config) Zones() (*OfficeZones, error) {
	data, err := zones.Named(c.ZoneData)
	if err != nil {
		return nil, &cli.KeyError{Key: "zone_data", Value: c.ZoneData, Why: "must be embedded (the zone data inside markhub, the default) or system (the machine's zone files)"}
	}
	return NewOfficeZonesIn(data, c.OfficeZone, c.OfficeZones)
}

// LogConfig selects the slog handler.
type LogConfig struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// DefaultSessionLifetime is how long a login of the regional pages lasts
// at most, however much it is used (session_lifetime).
const DefaultSessionLifetime = 12 * time.Hour

// DefaultSessionTTL is how long a login of the regional pages lasts
// unused (session_ttl).
const DefaultSessionTTL = 8 * time.Hour

// DefaultLoginAccountLimit is how many failed logins a minute one account
// of the regional pages takes over all addresses from browsers without
// its device cookie (login_account_limit): twice what one address may
// fail at one name, so one address alone never holds the others back.
const DefaultLoginAccountLimit = 20

// DefaultConfig is the built-in configuration: SQLite, loopback, no TLS.
func DefaultConfig() Config {
	return Config{
		Listen:               "127.0.0.1:8090",
		DBDriver:             "sqlite",
		DB:                   "/var/lib/markhub/markhub.db",
		DistributionKey:      "/etc/markhub/distribution.key",
		ShutdownTimeout:      10 * time.Second,
		SessionLifetime:      DefaultSessionLifetime,
		SessionTTL:           DefaultSessionTTL,
		LoginAccountLimit:    DefaultLoginAccountLimit,
		UploadRate:           DefaultUploadRate,
		UploadBurst:          DefaultUploadBurst,
		ReadRate:             DefaultReadRate,
		ReadBurst:            DefaultReadBurst,
		MaxConnsPerAddr:      DefaultMaxConnsPerAddr,
		AuthFailuresPerAddr:  DefaultAuthFailuresPerAddr,
		MinBodyRate:          DefaultMinBodyRate,
		DBTimeout:            10 * time.Second,
		DBCheckTimeout:       time.Second,
		DBMaxConns:           16,
		RetryAfter:           5 * time.Second,
		AtAhead:              DefaultPlausibility().Ahead,
		AtBeforeRegistration: DefaultPlausibility().BeforeRegistration,
		DisputeSkew:          DefaultPlausibility().ReceiptSkew,
		OfficeZones:          []OfficeZoneConfig{},
		ZoneData:             zones.Embedded,
		Log:                  LogConfig{Level: "info", Format: "text"},
	}
}

// Validate names the first bad key.
func (c Config) Validate() error {
	bad := func(key string, val any, why string) error { // the loader adds where val came from
		return &cli.KeyError{Key: key, Value: val, Why: why}
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return bad("listen", c.Listen, "must be host:port")
	}
	if why := cli.ListenPortWhy(c.Listen); why != "" {
		return bad("listen", c.Listen, why)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return bad("tls_cert", c.TLSCert, "tls_cert and tls_key go together")
	}
	if ip := net.ParseIP(host); c.TLSCert == "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return bad("listen", c.Listen, "plain http is allowed only on loopback; set tls_cert and tls_key")
	}
	if c.ClientCA != "" && c.TLSCert == "" {
		return bad("client_ca", c.ClientCA, "client certificates need TLS: set tls_cert and tls_key")
	}
	switch c.DBDriver {
	case "sqlite", "postgres":
	default:
		return bad("db_driver", c.DBDriver, "must be sqlite or postgres")
	}
	if c.DB == "" {
		return bad("db", c.DB, "required")
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"db_timeout", c.DBTimeout}, {"db_check_timeout", c.DBCheckTimeout}, {"retry_after", c.RetryAfter}, {"session_lifetime", c.SessionLifetime},
		// 0 or less ended serve's Shutdown at once, cutting the uploads in flight
		{"shutdown_timeout", c.ShutdownTimeout}} {
		if d.v <= 0 {
			return bad(d.key, d.v, "must be a positive duration such as 2s")
		}
	}
	if c.SessionTTL <= 0 || c.SessionTTL > c.SessionLifetime {
		return bad("session_ttl", c.SessionTTL, "must be a positive duration no longer than session_lifetime ("+c.SessionLifetime.String()+")")
	}
	if c.LoginAccountLimit < 1 {
		return bad("login_account_limit", c.LoginAccountLimit, "must be a positive number of failed logins a minute, such as 20")
	}
	if c.UploadRate < 0 || c.UploadRate > 1e6 || c.UploadRate != c.UploadRate {
		return bad("upload_rate", c.UploadRate, "must be 0 (no limit) or uploads a second per terminal up to 1000000, such as 20 or 0.5")
	}
	if c.UploadBurst < 1 || c.UploadBurst > 1e6 {
		return bad("upload_burst", c.UploadBurst, "must be 1..1000000 uploads of one terminal over the rate, such as 200")
	}
	if c.ReadRate < 0 || c.ReadRate > 1e6 || c.ReadRate != c.ReadRate {
		return bad("read_rate", c.ReadRate, "must be 0 (no limit) or reads a second per terminal up to 1000000, such as 5 or 0.5")
	}
	if c.ReadBurst < 1 || c.ReadBurst > 1e6 {
		return bad("read_burst", c.ReadBurst, "must be 1..1000000 reads of one terminal over the rate, such as 600")
	}
	if c.MaxConnsPerAddr < 0 || c.MaxConnsPerAddr > 1e6 {
		return bad("max_conns_per_addr", c.MaxConnsPerAddr, "must be 0 (no cap: behind a proxy) or open connections per address up to 1000000, such as 64")
	}
	if c.AuthFailuresPerAddr < 0 || c.AuthFailuresPerAddr > 1e6 {
		return bad("auth_failures_per_addr", c.AuthFailuresPerAddr, "must be 0 (no limit: behind a proxy) or failed token authentications a minute per address up to 1000000, such as 60")
	}
	if c.MinBodyRate < 0 || c.MinBodyRate > MaxBody {
		return bad("min_body_rate", c.MinBodyRate, fmt.Sprintf("must be 0 (off) or bytes a second up to %d, such as 2048", MaxBody))
	}
	if c.RetentionMonths < 0 || c.RetentionMonths > 1200 {
		return bad("retention_months", c.RetentionMonths, "must be 0 (keep all) or a number of months up to 1200")
	}
	if c.AtAhead <= 0 {
		return bad("at_ahead", c.AtAhead, "must be a positive duration such as 10m")
	}
	if c.AtBeforeRegistration < 0 {
		return bad("at_before_registration", c.AtBeforeRegistration, "must not be negative (0 = no check)")
	}
	if c.DisputeSkew < 0 {
		return bad("dispute_skew", c.DisputeSkew, "must not be negative (0 = no check)")
	}
	if _, err := c.Zones(); err != nil {
		return err
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
		return bad("db_max_conns", c.DBMaxConns, "must be 1..1000")
	}
	if err := cli.CheckLog(c.Log.Level, c.Log.Format); err != nil {
		return err
	}
	return nil
}
