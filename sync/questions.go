package sync

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"markd/hub"
	"markd/mark"
	"markd/store"
)

// The collector's questions on this counter's rejections: the collector
// re-judges every REJECT it can check and questions one whose signed mark
// it would have accepted (a customer may have been turned away wrongly).
// The counter sits behind NAT, so it pulls them: after a confirmed upload
// whose answer named hub.TakesQuestions (an older collector never does,
// and is never asked), one page of GET /v1/questioned after the last feed
// position stored, at most once an Interval unless the last page said
// there is more. A page is stored with the cursor in one transaction
// (store.ApplyQuestions), so a counter offline for days catches up a page
// an upload round, and a failed pull is tried again at the next round
// without holding the upload up. The verdicts stay as stored: the
// supervisor sees the questions on the rejected-marks page and decides,
// with the region's reviewer's name and note of the question's last
// change: a page of a collector that carries them says so (Notes); the
// first such page makes a store that pulled before read the feed once more
// from its start (store.RereadQuestions), so the questions stored without
// them get them.

// questionsPull is the uploader's state of the pull.
type questionsPull struct {
	takes bool      // the last upload answer named hub.TakesQuestions
	more  bool      // the last page was full: the next round pulls again
	last  time.Time // counter clock of the last pull (zero: none this run)
	page  int       // items asked for a page; 0 = the collector's page
	notes bool      // the store read the feed for the notes (store.StateQuestionNotes)
	// notBefore: a 429's or 503's Retry-After ends then (counter clock);
	// no pull before it.
	notBefore time.Time
}

// pullQuestions pulls and stores one page of the collector's questions
// when the collector serves them and a pull is due; it reports whether
// more pages wait. A failure is logged, not returned: the upload it
// follows was confirmed.
func (u *Uploader) pullQuestions(ctx context.Context, now time.Time) bool {
	q := &u.questions
	if !q.takes {
		q.more = false
		return false
	}
	if !q.more && !q.last.IsZero() && now.Sub(q.last) < u.o.Interval && !now.Before(q.last) {
		return false
	}
	if now.Before(q.notBefore) && !q.notBefore.After(now.Add(time.Hour)) { // a clock set back does not hold it for long
		return false
	}
	q.last = now
	q.more = false
	after, err := u.db.QuestionsCursor(ctx)
	if err != nil {
		u.log.Warn("the collector's questions on this counter's rejections were not pulled: the store's cursor did not read", "err", err)
		return false
	}
	page, err := u.client.Questioned(ctx, after, q.page)
	if err != nil {
		q.notBefore = now.Add(min(retryAfter(err), time.Hour))
		u.log.Warn("the collector's questions on this counter's rejections were not pulled; tried again at the next upload",
			"after", after, "err", err, "hint", mark.Hint(err))
		return false
	}
	if page.Notes && !q.notes {
		reread, err := u.rereadForNotes(ctx)
		if err != nil {
			u.log.Warn("the collector's questions on this counter's rejections were not stored; tried again at the next upload",
				"after", after, "err", err)
			return false
		}
		if reread {
			q.more = true
			return true
		}
	}
	qs, err := questionsOf(page, after)
	if err == nil {
		err = u.db.ApplyQuestions(ctx, qs, page.Next)
	}
	if err != nil {
		u.log.Warn("the collector's questions on this counter's rejections were not stored; tried again at the next upload",
			"after", after, "err", err)
		return false
	}
	opened := 0
	for _, x := range qs {
		if x.Open() {
			opened++
		}
	}
	if len(qs) > 0 {
		u.log.Info("the collector questions rejections of this counter: it would have accepted their marks; a supervisor reviews them on the rejected-marks page",
			"items", len(qs), "open", opened, "next", page.Next)
	}
	q.more = !page.Done && len(page.Items) > 0
	return q.more
}

// rereadForNotes is told that the collector's feed carries the
// reviewer's notes: a store that pulled the feed without them moves its
// cursor back to the start (once), and reports true: the page read is
// left, the next pull asks from the start.
func (u *Uploader) rereadForNotes(ctx context.Context) (bool, error) {
	read, err := u.db.QuestionNotesRead(ctx)
	if err != nil || read {
		u.questions.notes = read
		return false, err
	}
	moved, err := u.db.RereadQuestions(ctx)
	if err != nil {
		return false, err
	}
	u.questions.notes = true
	if moved {
		u.log.Info("the collector's questions now carry the region's reviewer's notes: reading its feed once more from the start to fill them in")
	}
	return moved, nil
}

// questionsOf checks a page against the cursor it was asked after and
// turns it into the store's form: every item after the cursor and not
// past the page's Next, which does not go back. The reviewer's name and
// note are refused past what markhub sends (hub.MaxReviewerName,
// hub.MaxDisputeNote) and neutralised as markhub does (hub.PlainName,
// hub.PlainNote): whatever answers in its place, a page shows them as
// text and cannot be turned around by them.
func questionsOf(page *hub.QuestionedPage, after int64) ([]store.CollectorQuestion, error) {
	if page.Next < after {
		return nil, fmt.Errorf("collector questions: next %d is before the cursor %d asked after: %w", page.Next, after, mark.ErrInvalid)
	}
	out := make([]store.CollectorQuestion, len(page.Items))
	for i, it := range page.Items {
		if it.Seq <= after || it.Seq > page.Next {
			return nil, fmt.Errorf("collector questions: items[%d] (record %q) at %d, outside (%d, %d]: %w",
				i, it.RecordID, it.Seq, after, page.Next, mark.ErrInvalid)
		}
		for _, f := range []struct {
			name, v string
			max     int
		}{{"review_by", it.ReviewBy, hub.MaxReviewerName}, {"review_note", it.ReviewNote, hub.MaxDisputeNote}} {
			if len(f.v) > f.max {
				return nil, fmt.Errorf("collector questions: items[%d].%s (record %q): %d bytes, at most %d: %w",
					i, f.name, it.RecordID, len(f.v), f.max, mark.ErrInvalid)
			}
		}
		out[i] = store.CollectorQuestion{RecordID: it.RecordID, Reasons: it.Reasons, Why: it.Why, State: string(it.State), Seq: it.Seq,
			ReviewBy: hub.PlainName(it.ReviewBy), ReviewNote: hub.PlainNote(it.ReviewNote)}
		if it.ReviewedAt != nil {
			out[i].ReviewedAt = *it.ReviewedAt
		}
	}
	return out, nil
}

// Questioned fetches one page of the collector's questions on this
// terminal's rejections after the feed position (GET /v1/questioned);
// limit 0 asks for the collector's page.
func (c *Client) Questioned(ctx context.Context, after int64, limit int) (*hub.QuestionedPage, error) {
	path := "/v1/questioned?after=" + strconv.FormatInt(after, 10)
	if limit > 0 {
		path += "&limit=" + strconv.Itoa(limit)
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return questionedAnswer(resp.Body)
}

// questionedAnswer reads the body of a 2xx answer to GET /v1/questioned
// (questionsOf checks the page against the cursor).
func questionedAnswer(body io.Reader) (*hub.QuestionedPage, error) {
	var page hub.QuestionedPage
	if err := decodeAnswer(body, "collector questions", "GET /v1/questioned", &page); err != nil {
		return nil, err
	}
	return &page, nil
}
