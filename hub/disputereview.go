package hub

import (
	"fmt"
	"time"

	"markd/mark"
)

// DisputeState is where a disputed acceptance (Checker.Judge) is in the
// regional review: open until a supervisor has looked at it and said what
// was found (reviewed, with a note); a reviewed one may be opened again.
type DisputeState string

// The states of a disputed acceptance's review.
const (
	DisputeOpen     DisputeState = "open"
	DisputeReviewed DisputeState = "reviewed"
	// DisputeAny lists every disputed acceptance (Regional.Disputed).
	DisputeAny DisputeState = ""
)

// ParseDisputeState checks a state from a form.
func ParseDisputeState(s string) (DisputeState, error) {
	switch st := DisputeState(s); st {
	case DisputeOpen, DisputeReviewed:
		return st, nil
	}
	return "", fmt.Errorf("dispute state %q: use open or reviewed: %w", s, mark.ErrInvalid)
}

// DisputeReview is the review of a disputed acceptance as stored on its
// record: At zero = open (never reviewed, or opened again); By and Note
// are of the last change (a reopening's too).
type DisputeReview struct {
	At   time.Time
	By   string
	Note string
}

// State is the review's state.
func (r DisputeReview) State() DisputeState {
	if r.At.IsZero() {
		return DisputeOpen
	}
	return DisputeReviewed
}

// DisputeChange is one audited step of a disputed acceptance's review.
type DisputeChange struct {
	Actor string
	State DisputeState
	Note  string
	At    time.Time
}

// ErrNotDisputed is SetDisputeState's answer for a record the collector
// holds that is neither disputed nor questioned; a mark.ErrNotFound too
// (no disputed acceptance or questioned rejection of that id).
var ErrNotDisputed = fmt.Errorf("record not disputed: %w", mark.ErrNotFound)

// MaxDisputeNote bounds a review note, in bytes.
const MaxDisputeNote = 2000
