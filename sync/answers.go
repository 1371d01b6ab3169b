package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"markd/hub"
	"markd/mark"
	"markd/store"
)

// What the uploader does with the collector's answers (uploader.go sends
// them): what it holds from this terminal, a confirmed upload, a refusal.

// CompareWith makes the first upload of the run ask what the collector
// holds from this terminal and hand it to r (Restorer.Behind), so a store
// put back from an older copy restores its reuse history again.
func (u *Uploader) CompareWith(r *Restorer) { u.history = r }

// checkBehind hands what the collector holds from this terminal to the
// history restorer, once a run.
func (u *Uploader) checkBehind(ctx context.Context, st *hub.TerminalState) error {
	if st == nil {
		u.log.Debug("the collector does not say what it holds from this terminal (an older markhub): the store is not compared")
		if err := u.history.NotCompared(ctx); err != nil {
			return fmt.Errorf("restore a backup copy's history: %w", err)
		}
		u.stateChecked = true
		return nil
	}
	if _, err := u.history.Behind(ctx, *st); err != nil {
		return fmt.Errorf("compare the store with the collector: %w", err)
	}
	u.stateChecked = true
	return nil
}

// UnconfirmedError is a 2xx answer to an upload that does not confirm
// every record sent: markhub answers each record as stored or already
// known (stored + duplicates = records sent), so an answer that counts
// fewer came from something else (a proxy that cut the body, a wrong
// sync.url that answers JSON) and nothing of the request is marked
// uploaded; it is sent again. It is ErrNotCollector: waiting alone does
// not mend what answers in the collector's place, so it is logged at
// error level (and retried with backoff; `markd sync --once` ends, exit 1).
type UnconfirmedError struct {
	Sent       int    // records in the request (-1: not known where the answer was read)
	Stored     int    // the answer's stored
	Duplicates int    // the answer's duplicates
	Missing    string // a key every markhub answer has, missing from this one
}

func (e *UnconfirmedError) Error() string {
	if e.Missing != "" {
		return fmt.Sprintf("collector's answer has no %q: not markhub's answer to this upload (a proxy in between, sync.url pointing elsewhere?); nothing marked uploaded, it goes again", e.Missing)
	}
	return fmt.Sprintf("collector's answer confirms %d of the %d records sent (stored %d, duplicates %d): not markhub's answer to this upload (a proxy in between, sync.url pointing elsewhere?); nothing marked uploaded, the records go again",
		e.Stored+e.Duplicates, e.Sent, e.Stored, e.Duplicates)
}

// Unwrap makes it ErrNotCollector.
func (e *UnconfirmedError) Unwrap() error { return ErrNotCollector }

// ErrNotCollector: what answered at sync.url is not the collector, or not
// as the collector answers (a redirect, a 2xx that confirms nothing, a
// page of used serials that is not markhub's). Not mark.ErrInvalid: the
// config was read, and `markd sync --once` exits 1, not 2.
var ErrNotCollector = errors.New("not the collector's answer")

// confirmed checks that the answer accounts for each of the sent records.
func confirmed(resp *hub.UploadResponse, sent int) error {
	if resp.Stored < 0 || resp.Duplicates < 0 || resp.Stored+resp.Duplicates != sent {
		return &UnconfirmedError{Sent: sent, Stored: resp.Stored, Duplicates: resp.Duplicates}
	}
	return nil
}

// recordSuccess updates the state and metrics after a confirmed upload.
// An alert comes again in every answer until a request acknowledges it
// (and in an answer to a request that raced the acknowledgement): it is
// logged and counted once. The ids seen are kept for the process's life:
// alerts are rare, a few bytes each.
func (u *Uploader) recordSuccess(records int, resp *hub.UploadResponse) {
	if u.failures > 0 {
		// Else the log, after the warnings, goes silent: as a counter
		// still failing would, or one that stopped logging.
		u.log.Info("upload works again", "failures", u.failures,
			"failed_for", u.now().Sub(u.failingFrom).Round(time.Second), "failing_since", u.failingFrom.UTC().Format(time.RFC3339))
	}
	u.failures = 0
	u.setState(nil)
	u.stateMu.Lock()
	u.progress.Uploaded += records
	u.progress.Unverified += resp.Unverified
	var fresh []mark.ReuseAlert
	for _, a := range resp.Alerts {
		if !u.alertIDs[a.ID] {
			if u.alertIDs == nil {
				u.alertIDs = map[int64]bool{}
			}
			u.alertIDs[a.ID] = true
			u.progress.Alerts++
			fresh = append(fresh, a)
		}
	}
	u.stateMu.Unlock()
	for _, a := range fresh {
		u.log.Warn("REUSE ALERT: serial accepted here was accepted elsewhere too", "serial", a.Serial, "record", a.RecordID,
			"other_terminal", a.OtherTerminal, "other_office", a.Other.Office, "other_counter", a.Other.Counter, "other_at", a.Other.At)
	}
	if resp.Unverified > 0 {
		u.log.Warn("the collector stored records unverified: their marks did not verify there and claim no serial",
			"records", resp.Unverified, "hint", "markhub's page of unverified records names them")
	}
	if resp.Disputed > 0 {
		u.noteDisputed(resp)
	}
	u.lastSuccess.Set(float64(u.now().UnixNano()) / 1e9)
	u.uploaded.Add(float64(records))
	u.alerts.Add(float64(len(resp.Alerts)))
}

// refused handles a 400 that names one record or review event of the
// request, or a 409 that names a record (its id was uploaded before with
// another content): the record is set aside (upload_state 'refused'), the
// event skipped, so one row the collector cannot take does not block the
// outbox. Both stay in the counter's store; the error is logged for the
// operator.
func (u *Uploader) refused(ctx context.Context, err error, ids []string, events []store.AuditEntry) bool {
	var se *StatusError
	if !errors.As(err, &se) || (se.Code != http.StatusBadRequest && se.Code != http.StatusConflict) {
		return false
	}
	kind, i, ok := fieldIndex(se.Body.Field)
	switch {
	case !ok:
		return false
	case kind == "records" && i < len(ids) && u.atOffset > 0 && u.o.Location != nil && !se.TakesAtOffset:
		// The records went with at_offset, which the collector named in an
		// earlier answer but not in this one: rolled back to a version
		// that refuses it. They go again without it (once: refused so
		// again, the record is set aside below).
		u.atOffset = -1
		u.log.Warn("collector no longer takes a record's at_offset (rolled back to an older markhub?); the records go again without it",
			"record", ids[i], "field", se.Body.Field, "err", se.Body.Error)
		return true
	case kind == "records" && i < len(ids) && u.sendsZoneData() && !se.TakesZoneData:
		// As above for at_zone_data: the collector takes at_offset still
		// but no longer the zone data's name.
		u.zoneData = -1
		u.log.Warn("collector no longer takes a record's at_zone_data (rolled back to an older markhub?); the records go again without it",
			"record", ids[i], "field", se.Body.Field, "err", se.Body.Error)
		return true
	case kind == "records" && i < len(ids):
		if e := u.db.RefuseUpload(ctx, ids[i], refusal(se)); e != nil {
			return false
		}
		u.log.Error("collector refused a record as invalid; it is set aside (upload_state refused)", "record", ids[i],
			"field", se.Body.Field, "err", se.Body.Error)
		u.stateMu.Lock()
		u.progress.SetAside++
		u.stateMu.Unlock()
	case kind == "events" && i == 0 && len(events) > 0 && se.Code == http.StatusConflict && u.history != nil && u.history.renumbered.Load():
		// A decision made on a store put back from an older copy before
		// the restore numbered its audit: its id is the collector's for
		// another decision. It goes again under a new id, above theirs.
		newID, e := u.db.ResendEvent(ctx, events[0].ID)
		if e != nil {
			return false
		}
		u.log.Warn("collector holds this review event's id for another decision (the store was put back from an older copy); sent again under a new id",
			"audit_id", events[0].ID, "new_audit_id", newID, "record", events[0].RecordID)
		return true
	case kind == "events" && i == 0 && len(events) > 0:
		if e := u.db.SkipEvent(ctx, events[0].ID, refusal(se)); e != nil {
			return false
		}
		u.log.Error("collector refused a review event as invalid; it is skipped", "audit_id", events[0].ID,
			"record", events[0].RecordID, "field", se.Body.Field, "err", se.Body.Error)
	case kind == "batches" && i < len(u.sentBatches) && u.receiptCounts > 0 && !se.TakesReceiptCounts:
		// The collector named the receipt counts in an earlier answer
		// but not in this one: rolled back to a version that refuses
		// them. The batch goes again without them (once: sent so and
		// refused again, it is set aside below).
		u.receiptCounts = -1
		u.log.Warn("collector no longer takes a batch's receipt counts (rolled back to an older markhub?); the batch goes again without them",
			"batch", u.sentBatches[i], "field", se.Body.Field, "err", se.Body.Error)
		return true
	case kind == "batches" && i < len(u.sentBatches):
		if e := u.db.RefuseBatch(ctx, u.sentBatches[i], refusal(se)); e != nil {
			return false
		}
		u.log.Error("collector refused a batch as invalid; it is set aside (upload_state refused)", "batch", u.sentBatches[i],
			"field", se.Body.Field, "err", se.Body.Error)
	case kind == "events" && i > 0 && i < len(events):
		u.eventLimit = i // send the good ones first; then the bad one is first
		return true
	default:
		return false
	}
	u.refusedN.Inc()
	return true
}

// refusal is what the page of set-aside records keeps of the answer.
func refusal(se *StatusError) store.Refusal {
	return store.Refusal{Status: se.Code, Field: se.Body.Field, Reason: se.Body.Error}
}

// fieldIndex splits "records[12].verdict" into ("records", 12).
func fieldIndex(field string) (kind string, i int, ok bool) {
	kind, rest, found := strings.Cut(field, "[")
	if !found {
		return "", 0, false
	}
	num, _, found := strings.Cut(rest, "]")
	if !found {
		return "", 0, false
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 {
		return "", 0, false
	}
	return kind, i, true
}

// DisputedAnswer is the last answer that said the collector disputes
// records of this counter (hub.Checker.Judge: the signed mark
// contradicts the ACCEPT), for /healthz.
type DisputedAnswer struct {
	Records int       `json:"records"`
	IDs     []string  `json:"ids,omitempty"` // the first hub.MaxDisputedIDs the collector named; none from an older one
	At      time.Time `json:"at"`            // counter time of the answer
}

// noteDisputed logs, once per answer, that the collector disputes
// resp.Disputed of the records it stored, naming the ids it names, and
// counts them. The records stay uploaded: the collector stored them (a
// disputed record claims its serial there) and asks the counter nothing;
// its regional supervisor reviews them.
func (u *Uploader) noteDisputed(resp *hub.UploadResponse) {
	ids := resp.DisputedIDs
	if len(ids) > resp.Disputed {
		ids = ids[:resp.Disputed] // an answer naming more than it counts: its count holds
	}
	u.stateMu.Lock()
	u.progress.Disputed += resp.Disputed
	u.lastDisputed = &DisputedAnswer{Records: resp.Disputed, IDs: slices.Clone(ids), At: u.now()}
	u.stateMu.Unlock()
	u.disputedN.Add(float64(resp.Disputed))
	args := []any{"records", resp.Disputed}
	if len(ids) > 0 {
		args = append(args, "ids", strings.Join(ids, ","))
		if len(ids) < resp.Disputed {
			args = append(args, "ids_not_named", resp.Disputed-len(ids))
		}
	}
	args = append(args, "hint", "markhub's alerts page lists them with the reasons; check this counter's office, lists and clock")
	u.log.Warn("the collector disputes acceptances it stored: the signed mark contradicts the ACCEPT (another office, its dates, the lists, the scan time); they stay uploaded, the region reviews them", args...)
}

// noteTakes keeps what the collector's answer says it takes beyond the
// first form of the request (hub.HeaderTakes).
func (u *Uploader) noteTakes(resp *hub.UploadResponse) {
	u.receiptCounts, u.atOffset, u.zoneData = -1, -1, -1
	if resp.TakesReceiptCounts {
		u.receiptCounts = 1
	}
	if resp.TakesAtOffset {
		u.atOffset = 1
	}
	if resp.TakesZoneData {
		u.zoneData = 1
	}
	u.questions.takes = resp.TakesQuestions
}

// uploadRecord is r in its upload form, with the UTC offset the counter
// judged it by (its tz at the scan time, computed now, at upload) when
// the collector takes it.
func (u *Uploader) uploadRecord(r mark.Record) hub.Record {
	w := hub.FromRecord(r)
	if u.atOffset > 0 && u.o.Location != nil {
		w.SetAtOffset(u.o.Location)
		if u.sendsZoneData() {
			w.AtZoneData = u.o.ZoneData
		}
	}
	return w
}

// sendsZoneData reports whether records go with at_zone_data: with their
// at_offset, to a collector whose last answer took it.
func (u *Uploader) sendsZoneData() bool {
	return u.atOffset > 0 && u.o.Location != nil && u.zoneData > 0 && u.o.ZoneData != ""
}
