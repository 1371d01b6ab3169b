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
