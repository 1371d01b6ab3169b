package hub

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"markd/mark"
)

// The questioned rejections' feed: a counter learns which of its own
// REJECTs the collector questions (question.go), and when the region's
// reviewer closes or reopens one, by pulling GET /v1/questioned?after=SEQ
// with its upload credentials (a counter sits behind NAT: the collector
// never calls it). Each store keeps one feed row per questioned record
// whose seq is renewed at every change (stored questioned, reviewed,
// reopened); a page holds the rows of the authenticated terminal above
// after, in seq order, with the record's state as it is at the pull.
// The counter keeps the last seq it stored and asks from there, so a
// counter offline for days catches up page by page, each pull bounded.
//
// An older counter never asks; an older collector answers 404, so a
// counter asks only once an upload answer named TakesQuestions in
// HeaderTakes, as for TakesAtOffset.
//
// Each item carries the region's reviewer's name and note of the last
// change (review_by, review_note: a closing's, or a reopening's), so the
// counter's supervisor deciding an override reads what the review found.
// The counter sends nothing new for them, so no HeaderTakes name is
// needed: a page says it carries them (QuestionedPage.Notes); an older
// collector's page lacks the flag and the fields, an older counter
// ignores both (unknown JSON fields).

// TakesQuestions is what an upload answer names in HeaderTakes when the
// collector serves GET /v1/questioned.
const TakesQuestions = "questioned-feed"

// MaxQuestionedPage bounds the items of one page of the feed.
const MaxQuestionedPage = 500

// QuestionedItem is one questioned rejection of the terminal as the feed
// sends it: the counter's reasons the collector finds do not hold, why in
// words, and the region's review state.
type QuestionedItem struct {
	// Seq orders the feed; the counter asks after the last it stored.
	Seq      int64         `json:"seq"`
	RecordID string        `json:"record_id"`
	Reasons  []mark.Reason `json:"reasons"`
	Why      string        `json:"why"`
	// State is DisputeOpen until the region's reviewer closes it
	// (DisputeReviewed), and again when it is reopened.
	State      DisputeState `json:"state"`
	ReviewedAt *time.Time   `json:"reviewed_at,omitempty"`
	// ReviewBy and ReviewNote are the region's reviewer's name and note
	// of the last change (the closing, or the reopening of a reopened
	// one); absent before any. PlainName and PlainNote make them: at most
	// MaxReviewerName and MaxDisputeNote bytes, no control or format
	// character a page or a spreadsheet would act on.
	ReviewBy   string `json:"review_by,omitempty"`
	ReviewNote string `json:"review_note,omitempty"`
}

// QuestionedPage is the answer of GET /v1/questioned.
type QuestionedPage struct {
	Items []QuestionedItem `json:"items"`
	// Next is the seq to ask after next: the last item's, else after.
	Next int64 `json:"next"`
	// Done: no item of the terminal above Next (at the time of the pull).
	Done bool `json:"done"`
	// Notes: this collector sends each item's ReviewBy and ReviewNote
	// (false from an older one, which has neither): a counter that
	// stored items without them reads the feed once more from its start.
	Notes bool `json:"notes"`
}

// MaxReviewerName bounds the reviewer's name a feed item carries, in bytes.
const MaxReviewerName = 128

// QuestionFeed is the feed as both backends implement it.
type QuestionFeed interface {
	// QuestionedFeed returns the feed items of terminal above after, in
	// seq order, at most limit: only that terminal's records.
	QuestionedFeed(ctx context.Context, terminal string, after int64, limit int) ([]QuestionedItem, error)
}

// FeedItem makes a feed item of a stored questioned record.
func FeedItem(seq int64, r *StoredRecord) QuestionedItem {
	it := QuestionedItem{Seq: seq, RecordID: r.ID, Reasons: r.Questioned, Why: r.Why, State: DisputeOpen}
	if it.Reasons == nil {
		it.Reasons = []mark.Reason{}
	}
	if !r.DisputeReview.At.IsZero() {
		at := r.DisputeReview.At.UTC()
		it.State, it.ReviewedAt = DisputeReviewed, &at
	}
	it.ReviewBy, it.ReviewNote = PlainName(r.DisputeReview.By), PlainNote(r.DisputeReview.Note)
	return it
}

// PlainNote is a review note as the feed carries it and a counter keeps
// it: a line break is kept (CR LF of a form made LF), a tab too; every
// other control character (C0, DEL, C1), format character (bidirectional
// overrides and isolates, zero width characters, the soft hyphen), line
// or paragraph separator and byte that is not UTF-8 is neutralised as the
// collector neutralises NUL in an upload's notes: made U+FFFD, so what was
// there shows and cannot turn the text around on a page. Cut to
// MaxDisputeNote bytes at a character's start.
func PlainNote(s string) string { return plain(s, true, MaxDisputeNote) }

// PlainName is a reviewer's name as the feed carries it: as PlainNote,
// one line (a line break or tab is neutralised too), at most
// MaxReviewerName bytes.
func PlainName(s string) string { return plain(s, false, MaxReviewerName) }

func plain(s string, lines bool, max int) string {
	if lines {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	s = strings.Map(func(c rune) rune {
		switch {
		case lines && (c == '\n' || c == '\t'):
			return c
		case unseen(c), unicode.In(c, unicode.Zl, unicode.Zp):
			return utf8.RuneError
		}
		return c
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// questioned answers GET /v1/questioned?after=SEQ&limit=N for the
// authenticated terminal.
func (s *Server) questioned(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	var after int64
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return s.fail(w, r, &FieldError{Field: "after", Why: fmt.Sprintf("%q is not a feed position (a whole number from 0)", a)})
		}
		after = n
	}
	limit := MaxQuestionedPage
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxQuestionedPage {
			return s.fail(w, r, &FieldError{Field: "limit", Why: fmt.Sprintf("%q is not a number from 1 to %d", l, MaxQuestionedPage)})
		}
		limit = n
	}
	feed, ok := s.store.(QuestionFeed)
	if !ok {
		return s.fail(w, r, fmt.Errorf("questioned feed: the store does not keep it: %w", mark.ErrNotFound))
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeouts.Write)
	defer cancel()
	items, err := feed.QuestionedFeed(ctx, terminalOf(r.Context()).Name, after, limit+1)
	if err != nil {
		return s.fail(w, r, err)
	}
	page := QuestionedPage{Items: items, Next: after, Done: len(items) <= limit, Notes: true}
	if !page.Done {
		page.Items = items[:limit]
	}
	if n := len(page.Items); n > 0 {
		page.Next = page.Items[n-1].Seq
	}
	if page.Items == nil {
		page.Items = []QuestionedItem{}
	}
	return s.writeJSON(w, http.StatusOK, page)
}
