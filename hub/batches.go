package hub

import (
	"net/http"
	"strings"
	"time"

	"markd/mark"
)

// MaxBatches is the number of batches in one upload request.
const MaxBatches = 1000

// HeaderTakes is the header of the collector's answers to an upload that
// names, comma-separated, what it takes beyond the first form of the
// request: TakesReceiptCounts, a batch's handed_back, presented_again and
// refused_again. An older collector refuses body fields it does not know
// (400, and the counter would set the batch aside), so a counter sends
// them only once an answer has named them.
const (
	HeaderTakes        = "X-Markhub-Takes"
	TakesReceiptCounts = "batch-receipt-counts"
)

// Takes reports whether the header of a collector's answer names what.
func Takes(h http.Header, what string) bool {
	for _, v := range h.Values(HeaderTakes) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.TrimSpace(part) == what {
				return true
			}
		}
	}
	return false
}

// Batch is a counter's batch of partition mail once it ended (closed or
// cancelled), with its totals (accepted items, rejected scans, money
// paid, and what its receipt counts). (terminal, id) identifies it: the
// same batch sent twice is stored once.
type Batch struct {
	ID       string          `json:"id"`
	Office   uint32          `json:"office"`
	Counter  string          `json:"counter"`
	Operator string          `json:"operator,omitempty"`
	Contract uint32          `json:"contract"`
	State    mark.BatchState `json:"state"` // closed or cancelled
	Opened   time.Time       `json:"opened_at"`
	Closed   time.Time       `json:"closed_at"`
	Accepted int             `json:"accepted"`
	Rejected int             `json:"rejected"` // rejected scans (the counter's totals.rejected), not envelopes
	PaidKop  int64           `json:"paid_kop"` // sum of the accepted marks' tariffs
	// The receipt's counts (mark.BatchTotals): the envelopes not accepted
	// (each once however often scanned), the marks accepted in the batch
	// and presented again in it, and those refusals. nil: the counter is
	// older and did not send them (unknown, not 0); a counter sends all
	// three or none.
	HandedBack     *int `json:"handed_back,omitempty"`
	PresentedAgain *int `json:"presented_again,omitempty"`
	RefusedAgain   *int `json:"refused_again,omitempty"`
}

// ContractDay is what one office accepted for one contract on one day
// (UTC calendar day of closing) in closed batches: the customer's invoice
// check, with the batches' rejected scans and the receipts' counts. A
// receipt's count is nil (unknown) when a batch of the day came from a
// counter that did not send it.
type ContractDay struct {
	Day            string `json:"day"` // YYYY-MM-DD
	Office         uint32 `json:"office"`
	Batches        int    `json:"batches"`
	Accepted       int    `json:"accepted"`
	PaidKop        int64  `json:"paid_kop"`
	Rejected       int    `json:"rejected"` // scans
	HandedBack     *int   `json:"handed_back"`
	PresentedAgain *int   `json:"presented_again"`
	RefusedAgain   *int   `json:"refused_again"`
}

// ContractDaySums is the SQL (PostgreSQL and SQLite alike) of a
// ContractDay's rejected scans and receipt counts over a group of
// batches: a receipt count is NULL when a batch of the group has none
// (an older counter), so a partial sum never passes for the whole.
const ContractDaySums = `sum(rejected),
	CASE WHEN count(handed_back) = count(*) THEN sum(handed_back) END,
	CASE WHEN count(presented_again) = count(*) THEN sum(presented_again) END,
	CASE WHEN count(refused_again) = count(*) THEN sum(refused_again) END`

func (b *Batch) validate(i int) error {
	if err := checkID("batches", i, "id", b.ID); err != nil {
		return err
	}
	if err := checkText("batches", i, "counter", b.Counter, maxNameLen, true); err != nil {
		return err
	}
	if err := checkText("batches", i, "operator", b.Operator, maxNameLen, false); err != nil {
		return err
	}
	if b.State != mark.BatchClosed && b.State != mark.BatchCancelled {
		return fieldErr("batches", i, "state", "%q: only a closed or cancelled batch is uploaded", b.State)
	}
	if b.Opened.IsZero() || b.Closed.IsZero() || b.Closed.Before(b.Opened) {
		return fieldErr("batches", i, "closed_at", "opened_at and closed_at are required, closed not before opened")
	}
	if b.Accepted < 0 || b.Rejected < 0 || b.PaidKop < 0 {
		return fieldErr("batches", i, "accepted", "totals must not be negative")
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"accepted", &b.Accepted}, {"rejected", &b.Rejected}, {"handed_back", b.HandedBack},
		{"presented_again", b.PresentedAgain}, {"refused_again", b.RefusedAgain}} {
		if c.v != nil && *c.v > maxCount {
			return fieldErr("batches", i, c.name, "%d: at most %d", *c.v, maxCount)
		}
	}
	return b.validateReceipt(i)
}

// validateReceipt checks the receipt's counts against the scans the
// batch counts, as far as the collector can: every envelope handed back
// and every refusal of a mark presented again is a rejected scan of its
// own (so together at most rejected), each mark presented again was
// accepted in the batch and refused again at least once.
func (b *Batch) validateReceipt(i int) error {
	counts := []struct {
		name string
		v    *int
	}{{"handed_back", b.HandedBack}, {"presented_again", b.PresentedAgain}, {"refused_again", b.RefusedAgain}}
	given := 0
	for _, c := range counts {
		if c.v != nil {
			given++
		}
	}
	if given == 0 {
		return nil // an older counter: unknown
	}
	for _, c := range counts {
		switch {
		case c.v == nil:
			return fieldErr("batches", i, c.name, "missing: handed_back, presented_again and refused_again come together")
		case *c.v < 0:
			return fieldErr("batches", i, c.name, "%d: must not be negative", *c.v)
		}
	}
	hb, pa, ra := *b.HandedBack, *b.PresentedAgain, *b.RefusedAgain
	switch {
	case hb > b.Rejected:
		return fieldErr("batches", i, "handed_back", "%d envelopes handed back but %d rejected scans: each was rejected at least once", hb, b.Rejected)
	case hb+ra > b.Rejected:
		return fieldErr("batches", i, "refused_again", "%d refusals of marks presented again and %d envelopes handed back but %d rejected scans: each is a rejected scan of its own",
			ra, hb, b.Rejected)
	case pa > b.Accepted:
		return fieldErr("batches", i, "presented_again", "%d marks presented again but %d accepted: each was accepted in the batch", pa, b.Accepted)
	case pa > ra:
		return fieldErr("batches", i, "presented_again", "%d marks presented again but %d refusals of them: each was refused at least once", pa, ra)
	case pa == 0 && ra > 0:
		return fieldErr("batches", i, "presented_again", "0 marks presented again but %d refusals of them (refused_again)", ra)
	}
	return nil
}
