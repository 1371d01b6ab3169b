package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"markd/mark"
)

// Collector questions: the collector re-judges this counter's REJECTs
// and questions those whose signed mark it would have accepted; sync
// pulls them (and the region's review of them) from the collector's feed
// and keeps them here (migration 070), apart from the scans: a stored
// verdict is never changed by them. The supervisor sees them on the
// rejected-marks page and decides with the override flow. Since
// migration 071 a question keeps the region's reviewer's name and note of
// its last change too (ReviewBy, ReviewNote).

// StateQuestionedAfter is the sync_state key of the last feed position
// of the collector's questions stored here.
const StateQuestionedAfter = "questioned_after"

// StateQuestionNotes is the sync_state key set once the collector's feed
// said it carries the reviewer's notes (RereadQuestions).
const StateQuestionNotes = "questioned_notes"

// Collector question states, as the collector's feed names them.
const (
	QuestionOpen     = "open"
	QuestionReviewed = "reviewed"
)

// CollectorQuestion is the collector's question on one of this counter's
// rejections.
type CollectorQuestion struct {
	RecordID string
	Reasons  []mark.Reason // the counter's reasons the collector finds do not hold
	Why      string        // why, in the collector's words
	State    string        // QuestionOpen or QuestionReviewed
	// ReviewedAt is when the region's reviewer closed it (collector
	// clock); zero while open.
	ReviewedAt time.Time
	Seq        int64     // the collector's feed position of its last change
	ReceivedAt time.Time // counter clock, when it was last stored
	// ReviewBy and ReviewNote are the region's reviewer's name and note
	// of the last change (the closing, or a reopening); "" before any, or
	// from a collector that does not send them. At most MaxQuestionBy and
	// MaxQuestionNote bytes, valid UTF-8 (sync neutralises what a page
	// could act on: hub.PlainNote).
	ReviewBy   string
	ReviewNote string
}

// Open reports whether the collector's reviewer has not closed it.
func (q CollectorQuestion) Open() bool { return q.State == QuestionOpen }

// QuestionsCursor is the last feed position stored (0: none yet).
func (d *DB) QuestionsCursor(ctx context.Context) (int64, error) {
	var v string
	err := d.db.QueryRowContext(ctx, `SELECT value FROM sync_state WHERE key = ?`, StateQuestionedAfter).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr("read questions cursor", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sync_state %s: %q is not a feed position: %w", StateQuestionedAfter, v, mark.ErrInvalid)
	}
	return n, nil
}

// ApplyQuestions stores one page of the collector's feed in one
// transaction: each question replaces the one stored for its record
// unless that came from a later feed position (the same position again,
// read once more for the notes: RereadQuestions, replaces it), and the cursor moves to
// next (never backwards). A question with a state or reasons the counter
// does not know is refused whole (mark.ErrInvalid), nothing stored.
func (d *DB) ApplyQuestions(ctx context.Context, qs []CollectorQuestion, next int64) error {
	for i, q := range qs {
		if err := q.check(); err != nil {
			return fmt.Errorf("collector question %d (record %q): %w", i, q.RecordID, err)
		}
	}
	now := d.Now().UTC().Format(time.RFC3339Nano)
	return d.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range qs {
			reasons, _ := json.Marshal(q.Reasons) // []mark.Reason: cannot fail
			var reviewed any
			if !q.ReviewedAt.IsZero() {
				reviewed = q.ReviewedAt.UTC().Format(time.RFC3339Nano)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO collector_questions(record_id, reasons, why, state, reviewed_at, seq, received_at,
				review_by, review_note)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(record_id) DO UPDATE SET reasons = excluded.reasons, why = excluded.why,
				state = excluded.state, reviewed_at = excluded.reviewed_at, seq = excluded.seq, received_at = excluded.received_at,
				review_by = excluded.review_by, review_note = excluded.review_note
				WHERE collector_questions.seq <= excluded.seq`,
				q.RecordID, string(reasons), q.Why, q.State, reviewed, q.Seq, now, q.ReviewBy, q.ReviewNote); err != nil {
				return storeErr("store collector question", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value
			WHERE CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
			StateQuestionedAfter, strconv.FormatInt(next, 10)); err != nil {
			return storeErr("advance questions cursor", err)
		}
		return nil
	})
}

// maxQuestionText bounds what one question keeps of the collector's
// words (a record id, the why).
const (
	maxQuestionID  = 64
	maxQuestionWhy = 4096
	// MaxQuestionBy and MaxQuestionNote bound the reviewer's name and
	// note kept: what the collector sends at most (hub.MaxReviewerName,
	// hub.MaxDisputeNote).
	MaxQuestionBy   = 128
	MaxQuestionNote = 2000
)

func (q CollectorQuestion) check() error {
	switch {
	case q.RecordID == "" || len(q.RecordID) > maxQuestionID:
		return fmt.Errorf("record id of %d bytes, want 1 to %d: %w", len(q.RecordID), maxQuestionID, mark.ErrInvalid)
	case q.State != QuestionOpen && q.State != QuestionReviewed:
		return fmt.Errorf("state %q is not %s or %s: %w", q.State, QuestionOpen, QuestionReviewed, mark.ErrInvalid)
	case q.Seq <= 0:
		return fmt.Errorf("feed position %d is not positive: %w", q.Seq, mark.ErrInvalid)
	case len(q.Why) > maxQuestionWhy:
		return fmt.Errorf("why of %d bytes, at most %d: %w", len(q.Why), maxQuestionWhy, mark.ErrInvalid)
	case len(q.ReviewBy) > MaxQuestionBy || !utf8.ValidString(q.ReviewBy):
		return fmt.Errorf("reviewer's name of %d bytes: want at most %d, valid UTF-8: %w", len(q.ReviewBy), MaxQuestionBy, mark.ErrInvalid)
	case len(q.ReviewNote) > MaxQuestionNote || !utf8.ValidString(q.ReviewNote):
		return fmt.Errorf("reviewer's note of %d bytes: want at most %d, valid UTF-8: %w", len(q.ReviewNote), MaxQuestionNote, mark.ErrInvalid)
	case len(q.Reasons) == 0 || len(q.Reasons) > len(mark.AllReasons):
		return fmt.Errorf("%d reasons, want 1 to %d: %w", len(q.Reasons), len(mark.AllReasons), mark.ErrInvalid)
	}
	for _, r := range q.Reasons {
		if !knownReason(r) {
			return fmt.Errorf("reason %q is not a MARK-FORMAT reason: %w", r, mark.ErrInvalid)
		}
	}
	return nil
}

func knownReason(r mark.Reason) bool {
	for _, x := range mark.AllReasons {
		if x == r {
			return true
		}
	}
	return false
}

// QuestionsFor returns the collector's questions on the records ids, by
// record id (a record without one is not in the map).
func (d *DB) QuestionsFor(ctx context.Context, ids []string) (map[string]CollectorQuestion, error) {
	out := map[string]CollectorQuestion{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := d.db.QueryContext(ctx, `SELECT record_id, reasons, why, state, coalesce(reviewed_at, ''), seq, received_at,
			review_by, review_note FROM collector_questions WHERE record_id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, storeErr("read collector questions", err)
		}
		for rows.Next() {
			var q CollectorQuestion
			var reasons, reviewed, received string
			if err := rows.Scan(&q.RecordID, &reasons, &q.Why, &q.State, &reviewed, &q.Seq, &received, &q.ReviewBy, &q.ReviewNote); err != nil {
				rows.Close()
				return nil, storeErr("read collector questions", err)
			}
			if err := json.Unmarshal([]byte(reasons), &q.Reasons); err != nil {
				rows.Close()
				return nil, fmt.Errorf("collector question on %s: reasons %q: %w", q.RecordID, reasons, mark.ErrInvalid)
			}
			if reviewed != "" {
				q.ReviewedAt, _ = time.Parse(time.RFC3339Nano, reviewed)
			}
			q.ReceivedAt, _ = time.Parse(time.RFC3339Nano, received)
			out[q.RecordID] = q
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, storeErr("read collector questions", err)
		}
	}
	return out, nil
}

// QuestionsOpen counts the collector's open questions stored, at most
// limit (the count of /healthz; limit = that many or more).
func (d *DB) QuestionsOpen(ctx context.Context, limit int) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM collector_questions INDEXED BY collector_questions_open
		WHERE state = 'open' LIMIT ?)`, limit).Scan(&n); err != nil {
		return 0, storeErr("count collector questions", err)
	}
	return n, nil
}

// QuestionNotesRead reports whether the store read the collector's feed
// for the reviewer's notes (StateQuestionNotes set by RereadQuestions).
func (d *DB) QuestionNotesRead(ctx context.Context) (bool, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM sync_state WHERE key = ?`, StateQuestionNotes).Scan(&n); err != nil {
		return false, storeErr("read questions notes state", err)
	}
	return n > 0, nil
}

// RereadQuestions is told that the collector's feed carries the reviewer's
// names and notes: in one transaction it sets StateQuestionNotes and, when
// questions were pulled before (the cursor above 0, perhaps from a
// collector or a markd that did not carry them), moves the cursor back to
// 0, so the next pull reads the feed once more from its start and fills
// the notes in (ApplyQuestions replaces a question of the same feed
// position). It reports whether it moved the cursor back; once set, it
// does nothing.
func (d *DB) RereadQuestions(ctx context.Context) (bool, error) {
	moved := false
	err := d.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, '1') ON CONFLICT(key) DO NOTHING`, StateQuestionNotes)
		if err != nil {
			return storeErr("note questions notes state", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // set before: nothing to read again
		}
		res, err = tx.ExecContext(ctx, `UPDATE sync_state SET value = '0' WHERE key = ? AND value <> '0'`, StateQuestionedAfter)
		if err != nil {
			return storeErr("move questions cursor back", err)
		}
		n, err := res.RowsAffected()
		moved = n > 0
		return err
	})
	return moved, err
}
