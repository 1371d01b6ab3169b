// Package mark holds the domain types of markd: the electronic postage mark
// (EPM v1), the verdict and its reasons, a scan as it arrives from an input
// source, and the record stored for it. Every other package talks through
// these types; this package depends on nothing but the standard library.
package mark

import (
	"fmt"
	"time"
)

// Body field sizes and the fixed parts of the text form (MARK-FORMAT §1–§3).
const (
	Prefix       = "EPM1:"
	BodySize     = 40
	SigSize      = 64
	TextSize     = 172 // len(Prefix) + 167 base32 characters
	MaxInputSize = 4096
	SignContext  = "RU-EPM-v1\x00"
)

// Signature algorithms (body field alg).
const (
	AlgEd25519   uint8 = 1
	AlgECDSAP256 uint8 = 2
)

// Mail classes (§4).
const (
	ClassSimpleLetter     uint8 = 1
	ClassRegisteredLetter uint8 = 2
	ClassPrintedMatter    uint8 = 3
	ClassPostcard         uint8 = 4
)

// FlagNoticeOfDelivery is flags bit 0; bits 1–7 must be zero.
const FlagNoticeOfDelivery uint8 = 1

// Registered reports whether a mail class needs a tracking number, and
// whether the class is known at all.
func Registered(class uint8) (registered, known bool) {
	switch class {
	case ClassSimpleLetter:
		return false, true
	case ClassRegisteredLetter, ClassPrintedMatter, ClassPostcard:
		return true, true
	}
	return false, false
}

// Mark is the decoded 40-byte body of an EPM v1 mark.
type Mark struct {
	Version    uint8
	Alg        uint8
	KeyID      uint16
	Serial     uint64
	Contract   uint32
	MailClass  uint8
	Flags      uint8
	WeightG    uint16
	TariffKop  uint32
	Office     uint32
	Issued     Day
	ValidUntil Day
	Tracking   uint64
}

// NoticeOfDelivery reports flags bit 0.
func (m *Mark) NoticeOfDelivery() bool { return m.Flags&FlagNoticeOfDelivery != 0 }

// Fields is the JSON form of a mark, with the field names and value forms
// of the `fields` object in the test vectors.
type Fields struct {
	Version    uint8  `json:"version"`
	Alg        uint8  `json:"alg"`
	KeyID      uint16 `json:"key_id"`
	Serial     uint64 `json:"serial"`
	Contract   uint32 `json:"contract"`
	MailClass  uint8  `json:"mail_class"`
	Flags      uint8  `json:"flags"`
	WeightG    uint16 `json:"weight_g"`
	TariffKop  uint32 `json:"tariff_kop"`
	Office     uint32 `json:"office"`
	Issued     string `json:"issued"`
	ValidUntil string `json:"valid_until"`
	Tracking   uint64 `json:"tracking"`
}

// Fields returns the JSON form of m.
func (m *Mark) Fields() Fields {
	return Fields{
		Version: m.Version, Alg: m.Alg, KeyID: m.KeyID, Serial: m.Serial,
		Contract: m.Contract, MailClass: m.MailClass, Flags: m.Flags,
		WeightG: m.WeightG, TariffKop: m.TariffKop, Office: m.Office,
		Issued: m.Issued.String(), ValidUntil: m.ValidUntil.String(),
		Tracking: m.Tracking,
	}
}

// Mark converts the JSON form back; it fails on a date that does not parse.
func (f Fields) Mark() (Mark, error) {
	issued, err := ParseDay(f.Issued)
	if err != nil {
		return Mark{}, fmt.Errorf("issued: %w", err)
	}
	until, err := ParseDay(f.ValidUntil)
	if err != nil {
		return Mark{}, fmt.Errorf("valid_until: %w", err)
	}
	return Mark{
		Version: f.Version, Alg: f.Alg, KeyID: f.KeyID, Serial: f.Serial,
		Contract: f.Contract, MailClass: f.MailClass, Flags: f.Flags,
		WeightG: f.WeightG, TariffKop: f.TariffKop, Office: f.Office,
		Issued: issued, ValidUntil: until, Tracking: f.Tracking,
	}, nil
}

// Scan is one piece of text read by an input source, before decoding.
type Scan struct {
	Text string // raw text as read, terminator removed
	// Length is the real length in bytes of a line the source cut short
	// (longer than any mark: the serial and wedge framers keep only its
	// first bytes); 0 when Text is the whole line.
	Length  int
	Source  string    // source name from config, e.g. "serial:front", "stdin"
	Counter string    // counter (workstation) id
	At      time.Time // when the scan was read
	// MeasuredWeightG is the weight on the counter scale in grams, 0 when unknown.
	MeasuredWeightG int
	// Frame is a small JPEG of the camera frame the code was read from, if any.
	Frame []byte
	// Batch, when set, is the batch the sender expects open at the
	// counter; the scan is refused (not recorded) when it is not.
	Batch string
	// Request, when set, names the program's request that brought the
	// scan (an Idempotency-Key): the store keeps it with the record, in
	// the scan's own transaction.
	Request *RequestKey
}

// RequestKey names one request of a program that may come again (the
// Idempotency-Key of the local API, sent again after a timeout).
type RequestKey struct {
	Actor       string // who sent it ("api:NAME" for a token)
	Key         string
	Fingerprint string // tells another request under the same key
}

// Context is what a verification needs to know about the acceptance.
type Context struct {
	Office          uint32 // postal index of the accepting office
	Date            Day    // acceptance date, local to the office
	MeasuredWeightG int    // 0 when unknown
	// DeferSignature, when set, asks the verifier to leave the signature
	// check to its caller: the check is stored here instead of being run,
	// and the mark is judged on as if the signature held. A caller that
	// finds the check false judges the text again without deferral, which
	// gives exactly the verdict and reasons of a plain verification. Set
	// only when the verifier got as far as the signature; the pipeline
	// uses it to check the signature while the scan's commit is being
	// synced (store.DB.SaveChecked).
	DeferSignature *func() bool
}

// IsPostalIndex reports whether office is a 6-digit postal index
// (100000–999999): what a counter's office and a terminal's enrolment
// must be (a mark's office field may also be 0, "any office").
func IsPostalIndex(office uint32) bool { return office >= 100000 && office <= 999999 }
