package mark

import "time"

// BatchState is where a batch of partition mail stands (MARK-FORMAT §8).
type BatchState string

const (
	BatchOpen      BatchState = "open"      // scans at its counter join it
	BatchClosed    BatchState = "closed"    // accepted items handed over; receipt made
	BatchCancelled BatchState = "cancelled" // given up; its scans stay recorded
)

// Batch is one acceptance of a customer's partition mail at one counter:
// every scan there while it is open belongs to it.
type Batch struct {
	ID       string `json:"id"` // UUIDv7
	Office   uint32 `json:"office"`
	Counter  string `json:"counter"`
	Operator string `json:"operator,omitempty"`
	// Contract is the customer's contract: given at opening, or taken
	// from the first scanned mark whose signature verified; 0 = not yet known.
	Contract uint32      `json:"contract"`
	State    BatchState  `json:"state"`
	Opened   time.Time   `json:"opened_at"`
	Closed   time.Time   `json:"closed_at,omitzero"` // closed or cancelled
	Auto     bool        `json:"auto,omitempty"`     // opened by the first mark (batch.auto)
	HasList  bool        `json:"has_list"`           // the customer's list was imported
	Upload   UploadState `json:"upload_state"`
}

// BatchTotals are the counts of a batch's scans and the money of its
// accepted marks. Scans, Accepted, Rejected, Duplicates, NotMarks and
// Errors count scans by verdict (Accepted is also the items accepted: a
// serial is accepted once); HandedBack, PresentedAgain and RefusedAgain
// count what the receipt prints.
type BatchTotals struct {
	Scans      int           `json:"scans"`
	Accepted   int           `json:"accepted"`
	Rejected   int           `json:"rejected"` // scans answered REJECT
	Duplicates int           `json:"duplicates"`
	NotMarks   int           `json:"not_marks"`
	Errors     int           `json:"errors"`
	PaidKop    int64         `json:"paid_kop"`  // sum of the accepted marks' tariff_kop
	PerClass   map[uint8]int `json:"per_class"` // accepted items per mail class
	// HandedBack is the envelopes not accepted (the receipt's "Не
	// принято"): the marks rejected in the batch and not accepted in it,
	// each once however often it was scanned (an unread code by its text).
	HandedBack int `json:"handed_back"`
	// PresentedAgain is the marks accepted in the batch and presented
	// again in it afterwards (REUSED: the same envelope after the re-scan
	// window, or a copy), RefusedAgain their refused scans (the receipt's
	// "Предъявлены повторно"). Neither is an envelope handed back.
	PresentedAgain int `json:"presented_again"`
	RefusedAgain   int `json:"refused_again"`
	// Overridden is how many of Accepted were rejected when scanned and
	// accepted by a supervisor while the batch was open (MARK-FORMAT §7:
	// after an override to accept a mark counts as accepted); those scans
	// are in Accepted, PaidKop and PerClass, not in Rejected.
	Overridden int `json:"overridden"`
	// AcceptedLater is how many rejected marks of the batch a supervisor
	// accepted after the batch ended: the receipt had been handed over,
	// so they stay in Rejected and HandedBack as it printed them.
	AcceptedLater int `json:"accepted_later"`
}
