package config

import (
	"time"
)

// WebConfig configures the operator and supervisor pages.
type WebConfig struct {
	SessionTTL      time.Duration `mapstructure:"session_ttl"`      // idle session lifetime
	SessionLifetime time.Duration `mapstructure:"session_lifetime"` // longest a login lasts, however much it is used
	LoginLimit      int           `mapstructure:"login_limit"`      // failed logins per minute per address and user
	// LoginAccountLimit is the failed logins per minute of one user name
	// over all addresses from browsers without its device cookie (a
	// guesser spread over many hosts); a browser that logged in as the
	// user before is not held by it.
	LoginAccountLimit int    `mapstructure:"login_account_limit"`
	SnapshotsDir      string `mapstructure:"snapshots_dir" path:"file"` // camera JPEGs of rejected marks ("" = in the store)
}

func defaultWeb() WebConfig {
	return WebConfig{SessionTTL: 12 * time.Hour, SessionLifetime: 12 * time.Hour, LoginLimit: 5, LoginAccountLimit: 10}
}

// Validate checks the web keys.
func (w WebConfig) Validate() error {
	if w.SessionTTL <= 0 {
		return invalid("web.session_ttl", w.SessionTTL, "must be positive")
	}
	if w.SessionLifetime <= 0 {
		return invalid("web.session_lifetime", w.SessionLifetime, "must be positive, such as 12h")
	}
	if w.LoginLimit <= 0 {
		return invalid("web.login_limit", w.LoginLimit, "must be positive")
	}
	if w.LoginAccountLimit <= 0 {
		return invalid("web.login_account_limit", w.LoginAccountLimit, "must be positive, such as 10")
	}
	return nil
}

// APIConfig limits the local API's programs and logins.
type APIConfig struct {
	// WriteLimit is the batch writes (open, list, close, cancel) a minute
	// of one API token or logged-in user after WriteBurst of them at once;
	// past it 429 with Retry-After. Scans are not limited. 0: no limit.
	WriteLimit int `mapstructure:"write_limit"`
	WriteBurst int `mapstructure:"write_burst"`
}

// DefaultWriteLimit and DefaultWriteBurst are api.write_limit and
// api.write_burst. A customer's batch is three writes (open, list,
// close; a corrected list or a retry one or two more): 30 at once is ten
// customers back to back, and 3 a minute 60 customers an hour after
// them, above what one counter serves. A program looping open, a list
// of 100 000 items and cancel (each cancelled batch keeps its list)
// stores at most one list a minute after its first ten.
const (
	DefaultWriteLimit = 3
	DefaultWriteBurst = 30
)

// Validate checks the api keys.
func (a APIConfig) Validate() error {
	if a.WriteLimit < 0 || a.WriteLimit > 1e6 {
		return invalid("api.write_limit", a.WriteLimit, "must be 0 (no limit) or batch writes a minute per token or user up to 1000000, such as 3")
	}
	if a.WriteBurst < 1 || a.WriteBurst > 1e6 {
		return invalid("api.write_burst", a.WriteBurst, "must be 1..1000000 batch writes of a token or user at once, such as 30")
	}
	return nil
}
