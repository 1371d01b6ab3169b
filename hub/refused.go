package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"markd/internal/httperr"
)

// MaxRefusedPerTerminal is how many refusals the collector keeps per
// terminal (its newest); a repeat of one counts on its row.
const MaxRefusedPerTerminal = 100

// maxRefusedWhy bounds the stored reason text.
const maxRefusedWhy = 1000

// Refusal is an upload the collector refused (400, 403 or 409) after the
// terminal authenticated: what was wrong, with the record it named.
type Refusal struct {
	ID       int64
	Terminal string
	Office   uint32 // the terminal's, when listed
	Status   int
	Field    string // the request field at fault, e.g. records[3].office; "" = the whole request
	Why      string
	RecordID string    // the record the field names; "" = none
	RecordAt time.Time // its scan time; zero = none
	Serial   uint64    // its mark's serial; 0 = none
	// First and Last are when the refusal was first and last made, Times
	// how often (a counter retries what is not a record's fault).
	First, Last time.Time
	Times       int64
}

// Digest tells a repeat of a refusal from another one.
func (r *Refusal) Digest() string {
	h := sha256.Sum256([]byte(strconv.Itoa(r.Status) + "\x00" + r.Field + "\x00" + r.Why + "\x00" + r.RecordID))
	return hex.EncodeToString(h[:])
}

// Refusals keeps what the collector refused, for the regional pages.
// Both backends implement it.
type Refusals interface {
	// NoteRefusal stores r (First = Last = r.Last) or, when the terminal
	// had the same refusal before, moves its Last and counts it; the
	// terminal keeps its newest MaxRefusedPerTerminal.
	NoteRefusal(ctx context.Context, r Refusal) error
	// Refused lists the refusals of every terminal, the most recent first,
	// at most limit.
	Refused(ctx context.Context, limit int) ([]Refusal, error)
}

// refusal describes err, the answer to q from terminal, when it refuses
// the upload as the terminal's fault: 400, 403 or 409 (not 401: no
// terminal; not 413: the counter halves its batch; not 5xx).
func refusal(terminal string, q *UploadRequest, err error, now time.Time) (Refusal, bool) {
	r := Refusal{Terminal: terminal, Status: httperr.Status(err), Why: err.Error(), Last: now}
	switch r.Status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusConflict:
	default:
		return r, false
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		r.Field, r.Why = fe.Field, fe.Why
	}
	r.Why, r.Field = clip(r.Why, maxRefusedWhy), clip(r.Field, maxFieldLen)
	if kind, rest, ok := strings.Cut(r.Field, "["); ok && kind == "records" && q != nil {
		if i, err := strconv.Atoi(rest[:strings.IndexByte(rest+"]", ']')]); err == nil && i >= 0 && i < len(q.Records) {
			rec := &q.Records[i]
			r.RecordID, r.RecordAt = clip(rec.ID, maxIDLen), rec.At // a refused id may be longer (red-team pass: 1 MiB was kept)
			if rec.Mark != nil {
				r.Serial = rec.Mark.Serial
			}
		}
	}
	return r, true
}

// noteRefusal keeps a refused upload for the regional pages (when the
// store keeps refusals); a failure to keep it is logged, the answer to
// the counter stays the refusal.
func (s *Server) noteRefusal(r *http.Request, q *UploadRequest, err error) {
	rs, ok := s.store.(Refusals)
	if !ok || r.Context().Err() != nil { // a client that left is not refused
		return
	}
	ref, ok := refusal(TerminalFrom(r.Context()), q, err, s.now())
	if !ok {
		return
	}
	// The id of a record refused for its NUL is kept readable (the why
	// quotes it escaped): PostgreSQL cannot hold NUL.
	ref.RecordID, ref.Why = scrubNUL(ref.RecordID), scrubNUL(ref.Why)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.timeouts.Check)
	defer cancel()
	if err := rs.NoteRefusal(ctx, ref); err != nil {
		s.log.Warn("refused upload not kept for the regional page", "terminal", ref.Terminal, "err", err)
	}
}

// String is a one-line form for logs and tests.
func (r Refusal) String() string {
	return fmt.Sprintf("%s %d %s: %s (record %q, %d times)", r.Terminal, r.Status, r.Field, r.Why, r.RecordID, r.Times)
}

// maxFieldLen bounds a refusal's field, answered and kept: the paths
// markhub names are short, and one built from the body (a key) is cut.
const maxFieldLen = 200

// clip cuts s to at most n bytes at a character boundary, marking the cut
// with "…": text from a request kept or answered (a refusal's why, field
// and record id) whose length the request chose.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
