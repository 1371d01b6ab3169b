package hub

import (
	"time"

	"markd/mark"
)

// MaxBatches is the number of batches in one upload request.
const MaxBatches = 1000

// Batch is a counter's batch of partition mail once it ended (closed or
// cancelled), with its totals (accepted items, rejected scans, money
// paid). (terminal, id) identifies it: the same batch sent twice is
// stored once.
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
}

// ContractDay is what one office accepted for one contract on one day
// (UTC calendar day of closing) in closed batches: the customer's invoice
// check.
type ContractDay struct {
	Day      string `json:"day"` // YYYY-MM-DD
	Office   uint32 `json:"office"`
	Batches  int    `json:"batches"`
	Accepted int    `json:"accepted"`
	PaidKop  int64  `json:"paid_kop"`
}

func (b *Batch) validate(i int) error {
	if err := checkText("batches", i, "id", b.ID, maxIDLen, true); err != nil {
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
	return nil
}
