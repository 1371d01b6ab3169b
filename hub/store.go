package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"markd/mark"
)

// Store is the collector's storage. Both backends keep the same schema and
// behave the same; hubtest.RunStoreSuite holds them to it.
type Store interface {
	// AddTerminal registers a terminal; a name taken is mark.ErrConflict.
	AddTerminal(ctx context.Context, t Terminal) error
	// Terminal finds a terminal by name (for mTLS), or mark.ErrNotFound.
	Terminal(ctx context.Context, name string) (Terminal, error)
	// TerminalByTokenHash finds a terminal by the hash of its token, or mark.ErrNotFound.
	TerminalByTokenHash(ctx context.Context, hash string) (Terminal, error)
	// SetOffice sets the office a terminal uploads for, or mark.ErrNotFound.
	SetOffice(ctx context.Context, name string, office uint32) error
	// SetToken replaces the hash of a terminal's bearer token (a new
	// token: the old one authenticates no more) and admits a revoked
	// terminal again, or mark.ErrNotFound.
	SetToken(ctx context.Context, name, tokenHash string) error
	// Revoke refuses the terminal's token and certificate from now on
	// (SetToken gives it a new token and admits it again), or
	// mark.ErrNotFound.
	Revoke(ctx context.Context, name string, at time.Time) error
	// ReadmitCert admits a revoked certificate terminal again with the
	// one client certificate whose DER has the hex SHA-256 certSHA256
	// (markhub terminal readmit NAME --cert FILE): its other certificates,
	// the revoked one among them, stay refused; or mark.ErrNotFound.
	ReadmitCert(ctx context.Context, name, certSHA256 string) error
	// Terminals lists every terminal by name.
	Terminals(ctx context.Context) ([]Terminal, error)
	// Ingest stores one validated and checked upload of terminal in one
	// transaction: records and events idempotently by (terminal, id), serial
	// uses of records that Count with reuse alerts to both sides,
	// acknowledgements, and the reported backlog (q.Waiting) on the
	// terminal; it returns the terminal's unacknowledged alerts. An
	// event about a record the terminal did not upload is mark.ErrInvalid, a
	// record id the terminal used before for a different record (another
	// Digest) is mark.ErrConflict (SameRecordError).
	Ingest(ctx context.Context, terminal string, q *UploadRequest, now time.Time) (UploadResponse, error)
	// PutBundle stores a signed bundle; a version not above the latest is mark.ErrConflict.
	PutBundle(ctx context.Context, version uint64, data []byte, created time.Time) error
	// LatestBundle returns the newest bundle, or mark.ErrNotFound.
	LatestBundle(ctx context.Context) (version uint64, data []byte, err error)
	// OfficeSerials returns up to limit serials that office accepted (holds
	// in used_serials, or used after another office: an alert), above
	// after, in serial order, one row per serial (the office's own use).
	OfficeSerials(ctx context.Context, office uint32, after uint64, limit int) ([]UsedSerial, error)
	// LastEventID returns the highest review event id terminal sent (0:
	// none): a counter set up anew numbers its events above it.
	LastEventID(ctx context.Context, terminal string) (int64, error)
	// LastRecord returns the id and scan time of terminal's newest record
	// by scan time ("" when it has none): a counter whose store lacks it
	// was put back from an older copy.
	LastRecord(ctx context.Context, terminal string) (id string, at time.Time, err error)
	// Bundles returns the bundles of version above after, oldest first.
	Bundles(ctx context.Context, after uint64) ([]StoredBundle, error)
	// Record returns the record id that terminal uploaded, or mark.ErrNotFound.
	Record(ctx context.Context, terminal, id string) (StoredRecord, error)
	// Check is the cheap health query: one round trip that also names the
	// newest bundle. Callers give it a short deadline.
	Check(ctx context.Context) (StoreCheck, error)
	// NoteClock keeps the measured skew of a terminal's clock and when it
	// was measured (the fleet view: markhub terminal list).
	NoteClock(ctx context.Context, terminal string, skew time.Duration, at time.Time) error
	// NoteZone keeps the terminal's latest zone agreement (Terminal.Zone):
	// whether the offset its counter judged dates by is its office zone's
	// (zoneagree.go).
	NoteZone(ctx context.Context, terminal string, n ZoneNote) error
	// Stats counts what is stored.
	Stats(ctx context.Context) (Stats, error)
	// ContractDays sums the closed batches of a contract per day (UTC, of
	// closing) and office, closed in [from, to), by day then office.
	ContractDays(ctx context.Context, contract uint32, from, to time.Time) ([]ContractDay, error)
	Close() error
}

// Terminal is one counter allowed to upload. It authenticates with a bearer
// token (only its SHA-256 is stored) or a client certificate whose common
// name is the terminal name.
type Terminal struct {
	Name string
	// Office is the postal index the terminal uploads records for; 0 = not
	// set yet (a terminal migrated without records): it may not upload.
	Office    uint32
	TokenHash string // hex SHA-256 of the token; "" = certificate only
	Created   time.Time
	// ClockSkew is the terminal's clock minus the collector's as last
	// measured (the Date header of its requests, ±1 s), at SeenAt
	// (collector clock; zero = never measured).
	ClockSkew time.Duration
	SeenAt    time.Time
	// Waiting is the counter's outbox backlog as it last reported it with
	// an upload (X-Outbox-Records); WaitingAt zero = never reported (an
	// older counter): unknown, not 0.
	Waiting   int64
	WaitingAt time.Time
	// Zone is the terminal's latest zone agreement (NoteZone): from its
	// newest record, at Zone.At, that said the offset it judged by in an
	// office of known zone; zero = none yet.
	Zone ZoneNote
	// Revoked is when markhub terminal revoke took the terminal's token
	// and certificate back (zero = not revoked): both are refused (403).
	// Read by Terminal, TerminalByTokenHash and Terminals only.
	Revoked time.Time
	// CertSHA256 is the hex SHA-256 of the DER of the one client
	// certificate admitted by markhub terminal readmit ("" = any the
	// client CA signed with the terminal's name as CN): another one is
	// refused (403), the revoked one among them.
	CertSHA256 string
}

// StoredBundle is one published bundle as stored (signed envelope).
type StoredBundle struct {
	Version uint64
	Data    []byte
}

// StoredRecord is a record as the collector keeps it, with what the
// collector's check of its mark found (Record.Verification and Why).
type StoredRecord struct {
	Record
	Terminal   string
	ReceivedAt time.Time
	// DisputeReview is the regional review of a disputed record (read by
	// Record and Regional.Disputed; zero when not disputed or open).
	DisputeReview DisputeReview
}

// Stats counts stored rows.
type Stats struct {
	Records     int64
	Events      int64
	UsedSerials int64
	Alerts      int64
	Unverified  int64 // records whose mark did not verify at the collector
	// DisputedOpen and DisputedReviewed count the disputed acceptances
	// (Checker.Judge) not reviewed yet and reviewed by a supervisor.
	DisputedOpen     int64
	DisputedReviewed int64
	// QuestionedOpen and QuestionedReviewed count the questioned
	// rejections (questionRecord) not reviewed yet and reviewed.
	QuestionedOpen     int64
	QuestionedReviewed int64
}

// validTerminalName reports whether name is 1–128 bytes, a letter or
// digit first, then letters, digits, '.', '_' or '-' (ASCII). Written out:
// as the regexp ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ it was compiled at every
// start of every markd and markhub command, 1 700 allocations and ~2 ms,
// the largest package init of markd (FuzzValidTerminalName holds the two
// equal).
func validTerminalName(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// NameRule says what a terminal or regional account name may hold.
const NameRule = "use 1-128 Latin letters (A-Z, a-z), digits, '.', '_' or '-', a letter or digit first"

// ValidTerminalName checks a terminal name (it is also a certificate CN).
func ValidTerminalName(name string) error {
	if !validTerminalName(name) {
		return fmt.Errorf("terminal name %q: %s: %w", name, NameRule, mark.ErrInvalid)
	}
	return nil
}

// NewToken makes a terminal token and its hash. The token is shown once;
// only the hash is stored.
func NewToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	token = "mkt_" + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Unavailable is the error of a backend whose database failed while doing op.
func Unavailable(op string, err error) error {
	return fmt.Errorf("hub store %s: %w: %w", op, mark.ErrUnavailable, err)
}

// CheckBundleVersion refuses a bundle whose version is not above the latest
// stored one: versions only go up.
func CheckBundleVersion(version uint64, latest int64) error {
	if int64(version) <= latest {
		return fmt.Errorf("bundle version %d is not above the latest %d: %w", version, latest, mark.ErrConflict)
	}
	return nil
}

// ForeignRecordError is the error for events[i] about a record the
// uploading terminal did not upload (or nobody did).
func ForeignRecordError(i int, recordID string) error {
	return &FieldError{Field: fmt.Sprintf("events[%d].record_id", i),
		Why: fmt.Sprintf("record %q was not uploaded by this terminal: %v", recordID, mark.ErrConflict)}
}

// ValidOffice checks a terminal's office: a 6-digit postal index.
func ValidOffice(office uint32) error {
	if !mark.IsPostalIndex(office) {
		return fmt.Errorf("office %d: use the 6-digit postal index of the terminal's office: %w", office, mark.ErrInvalid)
	}
	return nil
}

// EncodeJSONColumns returns the JSON-encoded columns of r and its serial, as
// both backends store them; nil stands for NULL. DecodeJSONColumns reads
// them back.
func EncodeJSONColumns(r *Record) (reasons string, serial *int64, fields, first *string) {
	reasons = reasonsJSON(r.Reasons)
	if r.Mark != nil {
		s := int64(r.Mark.Serial)
		serial = &s
		f := string(r.Mark.AppendJSON(make([]byte, 0, 256))) // json.Marshal's bytes
		fields = &f
	}
	if r.FirstAccepted != nil {
		b, _ := json.Marshal(r.FirstAccepted)
		f := string(b)
		first = &f
	}
	return reasons, serial, fields, first
}

// reasonsJSON is json.Marshal(reasons), without reflection for the
// plain reason codes every record carries.
func reasonsJSON(reasons []mark.Reason) string {
	switch {
	case reasons == nil:
		return "null"
	case len(reasons) == 0:
		return "[]"
	}
	b := make([]byte, 0, 2+24*len(reasons))
	b = append(b, '[')
	for i, x := range reasons {
		if !plainJSON(string(x)) {
			j, _ := json.Marshal(reasons)
			return string(j)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), x...), '"')
	}
	return string(append(b, ']'))
}

// DisputedColumn is the stored form of r.Disputed, as both backends
// keep it: a JSON array of reason codes, nil (NULL) when not disputed.
func DisputedColumn(r *Record) *string {
	if len(r.Disputed) == 0 {
		return nil
	}
	s := reasonsJSON(r.Disputed)
	return &s
}

// DecodeDisputed fills r.Disputed from its stored column ("" = NULL).
func DecodeDisputed(r *Record, col string) error {
	if col == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(col), &r.Disputed); err != nil {
		return fmt.Errorf("record %s: column disputed: %w: %v", r.ID, mark.ErrInvalid, err)
	}
	return nil
}

// MarkColumns returns the tracking and contract columns of r, which both
// backends keep beside mark_fields for the lookups (nil stands for NULL):
// no tracking for a record without a mark, a mark without one (0), or one
// above the int64 range that LookupValue takes; no contract without a mark.
func MarkColumns(r *Record) (tracking, contract *int64) {
	if r.Mark == nil {
		return nil, nil
	}
	c := int64(r.Mark.Contract)
	if t := r.Mark.Tracking; t > 0 && t <= math.MaxInt64 {
		n := int64(t)
		return &n, &c
	}
	return nil, &c
}

// DecodeJSONColumns fills the JSON-encoded columns of a stored record
// (shared by the backends, which store them alike).
func DecodeJSONColumns(r *Record, reasons, fields, first string) error {
	bad := func(col string, err error) error {
		return fmt.Errorf("record %s: column %s: %w: %v", r.ID, col, mark.ErrInvalid, err)
	}
	if err := json.Unmarshal([]byte(reasons), &r.Reasons); err != nil {
		return bad("reasons", err)
	}
	if fields != "" {
		r.Mark = new(mark.Fields)
		if err := json.Unmarshal([]byte(fields), r.Mark); err != nil {
			return bad("mark_fields", err)
		}
	}
	if first != "" {
		r.FirstAccepted = new(mark.Acceptance)
		if err := json.Unmarshal([]byte(first), r.FirstAccepted); err != nil {
			return bad("first_accepted", err)
		}
	}
	return nil
}
