package sqlrow

import (
	"database/sql"
	"fmt"
	"time"

	"markd/hub"
)

// TerminalColumns are the columns of terminals Terminal reads, in its
// order; RevokedColumns those of Revoked.
const (
	TerminalColumns = `name, office, token_hash, created_at, clock_skew_ms, seen_at, waiting_records, waiting_at, zone_note`
	RevokedColumns  = TerminalColumns + `, revoked_at, cert_sha256`
)

// Terminal reads a terminal's row (TerminalColumns). A zone note that
// does not decode is an error naming the terminal.
func Terminal(row Scanner) (hub.Terminal, error) {
	var t hub.Terminal
	var hash, zone sql.NullString
	var office, skew, waiting sql.NullInt64
	var seen, waitingAt Time
	if err := row.Scan(&t.Name, &office, &hash, At(&t.Created), &skew, &seen, &waiting, &waitingAt, &zone); err != nil {
		return t, err
	}
	var err error
	if t.Zone, err = hub.DecodeZoneNote(zone.String); err != nil {
		return t, fmt.Errorf("terminal %s: %w", t.Name, err)
	}
	if waiting.Valid && waitingAt.Valid {
		t.Waiting, t.WaitingAt = waiting.Int64, waitingAt.Time
	}
	if skew.Valid && seen.Valid {
		t.ClockSkew, t.SeenAt = time.Duration(skew.Int64)*time.Millisecond, seen.Time
	}
	t.Office, t.TokenHash = uint32(office.Int64), hash.String
	return t, nil
}

// Revoked is Terminal of a row with revoked_at and cert_sha256 after the
// terminal's columns (RevokedColumns).
func Revoked(row Scanner) (hub.Terminal, error) {
	var cert sql.NullString
	var revoked time.Time
	t, err := Terminal(Then(row, At(&revoked), &cert))
	t.Revoked, t.CertSHA256 = revoked, cert.String
	return t, err
}

// FleetRow reads a fleet row: the terminal's columns (TerminalColumns),
// then the at and list versions of its newest record (NULL when it has
// none).
func FleetRow(row Scanner) (hub.FleetRow, error) {
	var f hub.FleetRow
	var kv, tv, rv sql.NullString
	var err error
	f.Terminal, err = Terminal(Then(row, At(&f.LastRecord), &kv, &tv, &rv))
	f.Versions.Keyring, f.Versions.Tariffs, f.Versions.Revocations = kv.String, tv.String, rv.String
	return f, err
}

// Device reads a browser of an account: id, user_name, issued_at,
// last_used, agent.
func Device(row Scanner) (hub.WebDevice, error) {
	var v hub.WebDevice
	err := row.Scan(&v.ID, &v.User, At(&v.Issued), At(&v.LastUsed), &v.Agent)
	return v, err
}

// UsedSerial reads a use of a serial: serial, record_id, terminal,
// counter, at.
func UsedSerial(row Scanner) (hub.UsedSerial, error) {
	var u hub.UsedSerial
	var serial int64
	err := row.Scan(&serial, &u.RecordID, &u.Terminal, &u.Counter, At(&u.At))
	u.Serial = uint64(serial)
	return u, err
}

// Refusal reads a refused upload's row: id, terminal, office, status,
// field, why, record_id, record_at (NULL: none), serial (0: none),
// first_at, last_at, times.
func Refusal(row Scanner) (hub.Refusal, error) {
	var r hub.Refusal
	var serial int64
	err := row.Scan(&r.ID, &r.Terminal, &r.Office, &r.Status, &r.Field, &r.Why, &r.RecordID, At(&r.RecordAt), &serial,
		At(&r.First), At(&r.Last), &r.Times)
	r.Serial = uint64(serial)
	return r, err
}

// Bundle reads a stored bundle: version, data.
func Bundle(row Scanner) (hub.StoredBundle, error) {
	var b hub.StoredBundle
	var v int64
	err := row.Scan(&v, &b.Data)
	b.Version = uint64(v)
	return b, err
}

// QuestionedCount reads a terminal's questioned rejections: office,
// terminal, open, reviewed.
func QuestionedCount(row Scanner) (hub.QuestionedCount, error) {
	var c hub.QuestionedCount
	err := row.Scan(&c.Office, &c.Terminal, &c.Open, &c.Reviewed)
	return c, err
}

// ContractDay reads a contract's day at an office: day, office, batches,
// accepted, paid, then hub.ContractDaySums (a receipt count NULL when
// unknown).
func ContractDay(row Scanner) (hub.ContractDay, error) {
	var c hub.ContractDay
	err := row.Scan(&c.Day, &c.Office, &c.Batches, &c.Accepted, &c.PaidKop, &c.Rejected,
		&c.HandedBack, &c.PresentedAgain, &c.RefusedAgain)
	return c, err
}
