package mark

import (
	"context"
	"time"
)

// Result is what verification of one text gives, before reuse is checked.
type Result struct {
	Verdict Verdict
	Reasons []Reason
	// Mark is set only when the signature verified (§3: nothing else of an
	// unverified mark may be trusted or reported).
	Mark *Mark
	// Message is the operator message of an ERROR a verifier wrapper
	// gives (lists too old, clock wrong); "" = the pipeline's default.
	Message string
	// Versions names the lists that gave this result, set by a verifier
	// whose lists can be replaced meanwhile (verify.Holder): a reload
	// right after the judgement must not make the record name other
	// lists. Zero: the caller asks Verifier.Versions.
	Versions Versions
}

// Versions names the keyring, tariff table and revocation list a scan was
// judged under, so a supervisor can tell why a mark was judged as it was.
type Versions struct {
	Keyring     string `json:"keyring"`
	Tariffs     string `json:"tariffs"`
	Revocations string `json:"revocations"`
}

// Verifier judges one text against the keyring, tariffs and revocations in force.
type Verifier interface {
	Verify(text string, c Context) Result
	Versions() Versions
}

// Acceptance is where and when a serial was first accepted.
type Acceptance struct {
	RecordID string    `json:"record_id"`
	At       time.Time `json:"at"`
	Office   uint32    `json:"office"`
	Counter  string    `json:"counter"`
}

// ReviewState is the supervisor's decision on a rejected mark.
type ReviewState string

const (
	ReviewNone       ReviewState = ""           // nothing to review (accepted, not a mark, …)
	ReviewPending    ReviewState = "pending"    // rejected, not yet reviewed
	ReviewConfirmed  ReviewState = "confirmed"  // supervisor confirmed the rejection
	ReviewOverridden ReviewState = "overridden" // supervisor accepted it: the serial now counts as used
)

// UploadState is where a record stands with the central collector.
type UploadState string

const (
	UploadPending UploadState = "pending"  // in the outbox, not yet taken by the collector
	UploadDone    UploadState = "uploaded" // the collector acknowledged it
)

// Record is one stored scan with its verdict: one row per scan.
type Record struct {
	ID              string      `json:"id"` // UUIDv7
	At              time.Time   `json:"at"`
	Office          uint32      `json:"office"`
	Counter         string      `json:"counter"`
	Operator        string      `json:"operator,omitempty"`
	Source          string      `json:"source"`
	Text            string      `json:"text"`
	Verdict         Verdict     `json:"verdict"`
	Reasons         []Reason    `json:"reasons"`
	Mark            *Mark       `json:"-"`
	MeasuredWeightG int         `json:"measured_weight_g,omitempty"`
	FirstAccepted   *Acceptance `json:"first_accepted,omitempty"` // for REUSED and DUPLICATE_SCAN
	Versions        Versions    `json:"versions"`
	Review          ReviewState `json:"review_state,omitempty"`
	Upload          UploadState `json:"upload_state"`
	Message         string      `json:"message,omitempty"` // operator message, e.g. for ERROR
	// Batch is the batch the scan belongs to ("" = none). Given before
	// Save, it names the batch the caller expects to be open at the
	// counter; Save refuses the scan when another one is (or none).
	Batch string `json:"batch,omitempty"`
	Frame []byte `json:"-"` // camera snapshot JPEG, if any
	// Request is the program's request the scan came with (Scan.Request);
	// Save keeps it in the same transaction.
	Request *RequestKey `json:"-"`
}

// SourceHealth is what an input source reports about itself for the health
// endpoint, the operator page and the metrics.
type SourceHealth struct {
	Name   string    `json:"name"`
	Kind   string    `json:"kind"` // stdin, serial, wedge, camera
	Up     bool      `json:"up"`
	Detail string    `json:"detail,omitempty"` // plain words: "device unplugged, retrying"
	Since  time.Time `json:"since,omitzero"`   // when Up last changed (none before the first change)
	Scans  int64     `json:"scans"`
	// Events counts what the source survived or dropped since the start,
	// by kind of event (reconnect, line_cut, partial_dropped, unknown_key,
	// code_lost, frame_dropped; only those the source can have): /healthz shows them and
	// /metrics exports them as markd_source_events_total.
	Events map[string]int64 `json:"events,omitempty"`
}

// Source is one input of scans: stdin, a serial scanner, a keyboard wedge,
// a camera. Serve runs until ctx is done, calling emit for every text read;
// it handles unplug and restart itself and returns only on ctx end or a
// configuration error it cannot recover from.
type Source interface {
	Name() string
	Serve(ctx context.Context, emit func(Scan)) error
	Health() SourceHealth
}

// Feedbacker is implemented by sources that can signal a verdict back to
// the device (a good/bad beep on a serial scanner).
type Feedbacker interface {
	Feedback(v Verdict)
}
