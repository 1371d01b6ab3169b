package hub

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"markd/mark"
)

// Regional is what the regional web pages of markhub read and write
// beside the upload path: the fleet, reuse alerts with their workflow,
// lookups, and the accounts and sessions of the people using the pages.
// Sessions live in the database, so any markhub instance serves any
// browser. Both backends implement it.
type Regional interface {
	OfficeDays
	Refusals
	FleetPager
	RejectRanker
	Questions
	DeviceBook
	// Fleet lists every terminal with its last contact and newest record.
	Fleet(ctx context.Context) ([]FleetRow, error)
	// ReuseAlerts lists cross-office reuses, one row per pair of records
	// (the side whose terminal sorts first), newest first, at most limit;
	// open only: those not resolved.
	ReuseAlerts(ctx context.Context, open bool, limit int) ([]RegionalAlert, error)
	// SetAlertState moves both sides of alert id to state with a note and
	// writes the change to alert_audit; an unknown id is mark.ErrNotFound.
	SetAlertState(ctx context.Context, id int64, state AlertState, actor, note string, at time.Time) error
	// AlertAudit lists the workflow changes of alert id, oldest first.
	AlertAudit(ctx context.Context, id int64) ([]AlertChange, error)
	// Lookup lists every record of serial (or tracking number or contract,
	// by kind) anywhere, in scan-time order, at most limit.
	Lookup(ctx context.Context, kind LookupKind, value string, limit int) ([]StoredRecord, error)
	// Unverified lists the records whose mark did not verify at the
	// collector (kept, claiming no serial), newest scan first, at most limit.
	Unverified(ctx context.Context, limit int) ([]StoredRecord, error)
	// Disputed lists the verified ACCEPT records the collector's own
	// judgment contradicts (Checker.Judge; they claim their serial), at
	// most limit: in state DisputeOpen newest scan first, DisputeReviewed
	// the last reviewed first, DisputeAny (every one) newest scan first.
	Disputed(ctx context.Context, state DisputeState, limit int) ([]StoredRecord, error)
	// SetDisputeState reviews the disputed acceptance id of terminal
	// (DisputeReviewed) or opens it again (DisputeOpen), by actor with a
	// note at at, and writes the change to dispute_audit, in one
	// transaction; a record the collector does not hold is
	// mark.ErrNotFound, one not disputed ErrNotDisputed. A questioned
	// rejection (Questions) is reviewed by it alike.
	SetDisputeState(ctx context.Context, terminal, id string, state DisputeState, actor, note string, at time.Time) error
	// DisputeAudit lists the review changes of the record id of
	// terminal, oldest first (kept when retention drops the record).
	DisputeAudit(ctx context.Context, terminal, id string) ([]DisputeChange, error)
	// AddUser stores an account; a name taken is mark.ErrConflict.
	AddUser(ctx context.Context, name, passwordHash string, created time.Time) error
	// PasswordHash returns the bcrypt hash of name, or mark.ErrNotFound;
	// of a disabled account the hash with ErrUserDisabled.
	PasswordHash(ctx context.Context, name string) (string, error)
	// RemoveUser deletes the account name and every session of it, in one
	// transaction, and returns how many sessions ended; an unknown name
	// is mark.ErrNotFound.
	RemoveUser(ctx context.Context, name string) (sessions int, err error)
	// SetPassword gives the account name a new password hash and ends
	// every session of it, in one transaction, and returns how many
	// sessions ended; an unknown name is mark.ErrNotFound.
	SetPassword(ctx context.Context, name, passwordHash string) (sessions int, err error)
	// DeviceSecret returns what the device cookies of the account name
	// are signed with: its password hash and its epoch, a number that
	// SetPassword and disabling move on (enabling does not), so a new
	// password or a disable voids every device cookie made before;
	// mark.ErrNotFound for an unknown name, ErrUserDisabled (and no
	// hash) for a disabled account.
	DeviceSecret(ctx context.Context, name string) (hash string, epoch int64, err error)
	// SetDisabled disables (ending every session of it, in one
	// transaction, and returning how many) or enables the account name;
	// an unknown name is mark.ErrNotFound.
	SetDisabled(ctx context.Context, name string, disabled bool) (sessions int, err error)
	// PutSession, GetSession and DropSession keep web sessions by the
	// SHA-256 of their token; GetSession of an expired or unknown one is
	// mark.ErrNotFound (ErrSessionIdle for one unused past its expiry), of
	// one started at or before startedBy (its lifetime over, however much
	// it was used) ErrSessionLifetime, and it
	// extends a live one to expires.
	PutSession(ctx context.Context, s WebSession) error
	GetSession(ctx context.Context, hash string, now, expires, startedBy time.Time) (WebSession, error)
	DropSession(ctx context.Context, hash string) error
}

// FleetRow is one terminal on the fleet page.
type FleetRow struct {
	Terminal
	LastRecord time.Time // scan time of its newest record; zero = none
	Records    int64
	Versions   mark.Versions // lists in force at its newest record
}

// AlertState is where a reuse alert is in the regional workflow.
type AlertState string

// The states of a reuse alert.
const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertResolved     AlertState = "resolved"
)

// ParseAlertState checks a state from a form.
func ParseAlertState(s string) (AlertState, error) {
	switch st := AlertState(s); st {
	case AlertOpen, AlertAcknowledged, AlertResolved:
		return st, nil
	}
	return "", fmt.Errorf("alert state %q: use open, acknowledged or resolved: %w", s, mark.ErrInvalid)
}

// RegionalAlert is one cross-office reuse as the region sees it.
type RegionalAlert struct {
	ID                         int64
	Serial                     uint64
	Terminal, RecordID         string
	Office                     uint32
	At                         time.Time
	OtherTerminal, OtherRecord string
	OtherOffice                uint32
	OtherAt                    time.Time
	Detected                   time.Time
	State                      AlertState
	Note, By                   string
}

// AlertChange is one audited step of the alert workflow.
type AlertChange struct {
	Actor string
	State AlertState
	Note  string
	At    time.Time
}

// LookupKind says what Lookup searches by.
type LookupKind string

// The lookup kinds.
const (
	BySerial   LookupKind = "serial"
	ByTracking LookupKind = "tracking"
	ByContract LookupKind = "contract"
)

// WebSession is a logged-in browser of the regional pages.
type WebSession struct {
	Hash    string // SHA-256 of the cookie token
	User    string
	CSRF    string
	Expires time.Time // idle expiry, moved on by each request
	Started time.Time // the login; the session lasts its lifetime after it
}

// SessionSweepTime is the time PutSession of s drops the sessions
// expired before: its login on the pages' clock (a test's clock too),
// the wall clock for a session without one.
func SessionSweepTime(s WebSession) time.Time {
	if s.Started.IsZero() {
		return time.Now()
	}
	return s.Started
}

// ErrUserDisabled is PasswordHash's answer for a disabled account
// (markhub user disable), with its hash.
var ErrUserDisabled = fmt.Errorf("account disabled: %w", mark.ErrForbidden)

// ErrSessionLifetime is GetSession's answer for a session whose lifetime
// since its login is over; it is a mark.ErrNotFound too.
var ErrSessionLifetime = fmt.Errorf("session past its lifetime: %w", mark.ErrNotFound)

// ErrSessionIdle is GetSession's answer for a session left unused past
// its expiry (session_ttl after its last use); a mark.ErrNotFound too.
var ErrSessionIdle = fmt.Errorf("session unused past its idle limit: %w", mark.ErrNotFound)

// LookupValue checks the value of a lookup: a positive decimal number.
func LookupValue(kind LookupKind, value string) (int64, error) {
	switch kind {
	case BySerial, ByTracking, ByContract:
	default:
		return 0, fmt.Errorf("lookup by %q: use serial, tracking or contract: %w", kind, mark.ErrInvalid)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s %q: use a positive whole number: %w", kind, value, mark.ErrInvalid)
	}
	return n, nil
}

// Retainer is a store that can drop records scanned before a cutoff
// (retention_months). PostgreSQL drops whole monthly partitions; SQLite
// deletes rows. Serial uses and alerts are kept.
type Retainer interface {
	DropBefore(ctx context.Context, cutoff time.Time) (int, error)
}
