package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"markd/mark"
)

// UploadStatus is the state of the upload for /healthz.
type UploadStatus struct {
	OK                      bool       `json:"ok"` // the last attempt succeeded (or none failed yet)
	BacklogRecords          int        `json:"backlog_records"`
	BacklogEvents           int        `json:"backlog_events"`
	Refused                 int        `json:"refused_records"`
	OldestPendingAgeSeconds float64    `json:"oldest_pending_age_seconds"`
	LastSuccess             *time.Time `json:"last_success"`
	LastError               string     `json:"last_error,omitempty"`
	LastHint                string     `json:"last_hint,omitempty"`      // what to do about it, when known
	FailingReason           string     `json:"failing_reason,omitempty"` // markd_sync_upload_failing's reason
	CertNotAfter            *time.Time `json:"client_cert_not_after,omitempty"`
	CertExpired             bool       `json:"client_cert_expired,omitempty"`
	StoreError              string     `json:"store_error,omitempty"` // the backlog could not be counted
	// DisputedRecords counts the accepted records the collector stored
	// disputed since the start (markd_sync_disputed_records_total);
	// LastDisputed is the last answer that named any (nil: none).
	DisputedRecords int             `json:"disputed_records"`
	LastDisputed    *DisputedAnswer `json:"last_disputed,omitempty"`
	// QuestionedOpen counts the collector's open questions on this
	// counter's rejections (questions.go), at most QuestionedOpenCap;
	// QuestionedOpenMore says there are more.
	QuestionedOpen     int  `json:"questioned_open"`
	QuestionedOpenMore bool `json:"questioned_open_more,omitempty"`
}

// QuestionedOpenCap bounds the count of open questions /healthz makes.
const QuestionedOpenCap = 1000

// Status counts the backlog (with a short deadline) and reports the last
// attempt.
func (u *Uploader) Status(ctx context.Context) UploadStatus {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var st UploadStatus
	if o, err := u.db.OutboxStats(ctx); err != nil {
		st.StoreError = err.Error()
	} else {
		st.BacklogRecords, st.BacklogEvents, st.Refused = o.Records, o.Events, o.Refused
		if !o.Oldest.IsZero() {
			st.OldestPendingAgeSeconds = max(0, u.now().Sub(o.Oldest).Seconds())
		}
	}
	if n, err := u.db.QuestionsOpen(ctx, QuestionedOpenCap+1); err != nil {
		st.StoreError = err.Error()
	} else {
		st.QuestionedOpen, st.QuestionedOpenMore = min(n, QuestionedOpenCap), n > QuestionedOpenCap
	}
	u.stateMu.Lock()
	lastErr, lastOK := u.lastErr, u.lastOK
	st.DisputedRecords = u.progress.Disputed
	if d := u.lastDisputed; d != nil {
		c := *d
		st.LastDisputed = &c
	}
	u.stateMu.Unlock()
	st.OK = lastErr == nil
	if lastErr != nil {
		st.LastError, st.LastHint, st.FailingReason = lastErr.Error(), mark.Hint(lastErr), failReason(lastErr)
	}
	if !lastOK.IsZero() {
		st.LastSuccess = &lastOK
	}
	if na, expired := u.client.CertExpired(); !na.IsZero() {
		st.CertNotAfter, st.CertExpired = &na, expired
	}
	return st
}

// Health is the upload as a light of the operator screen: down while
// uploads fail, and named after the fix when the client certificate
// expired.
func (u *Uploader) Health() mark.SourceHealth {
	u.stateMu.Lock()
	lastErr, lastOK, lastFail := u.lastErr, u.lastOK, u.lastFail
	u.stateMu.Unlock()
	h := mark.SourceHealth{Name: "collector", Kind: "sync", Up: lastErr == nil, Since: lastOK}
	if lastErr == nil {
		h.Detail = "uploads work"
		return h
	}
	h.Since = lastFail
	h.Detail = "uploads fail, retrying: " + lastErr.Error()
	var ce *CertExpiredError
	var ue *UntrustedCollectorError
	var pe *ProxyError
	if errors.As(lastErr, &pe) {
		h.Name = "proxy " + pe.Host + " in the way"
		h.Detail = "uploads fail at the proxy between this counter and the collector, retrying: " + lastErr.Error()
	}
	if errors.As(lastErr, &ue) {
		h.Name = "collector's certificate not trusted"
		h.Detail = "the collector's TLS certificate is not the one this counter trusts (sync.ca); nothing is uploaded: ask the engineer. " + lastErr.Error()
	}
	if errors.As(lastErr, &ce) {
		h.Name = fmt.Sprintf("certificate expired on %s, renew it", ce.NotAfter.UTC().Format(time.DateOnly))
		h.Detail = "the collector refuses this counter's client certificate: it expired on " +
			ce.NotAfter.UTC().Format("2006-01-02 15:04 MST") + "; ask the engineer to renew it"
	}
	return h
}
