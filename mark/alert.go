package mark

import "time"

// ReuseAlert is the collector's finding that a serial accepted at this
// counter was accepted elsewhere too (another counter or office): one of the
// two acceptances was fraud or a mistake, and a supervisor must look.
type ReuseAlert struct {
	ID            int64      `json:"id"`        // the collector's alert id
	RecordID      string     `json:"record_id"` // this counter's record
	Serial        uint64     `json:"serial"`
	Other         Acceptance `json:"other"`          // the other acceptance of the serial
	OtherTerminal string     `json:"other_terminal"` // collector terminal that uploaded it
	Detected      time.Time  `json:"detected"`       // when the collector found it
}

// UploadRefused marks a record the collector refused as invalid (a 400
// naming it): it is set aside so it does not block the records after it,
// and stays in the counter's store for a supervisor to look at.
const UploadRefused UploadState = "refused"
