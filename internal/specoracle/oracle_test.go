// Package specoracle holds a test-only oracle of MARK-FORMAT.md (§1–§7,
// steps 1–4) and the differential tests that hold markd's verifier to it.
//
// The oracle is written from the text of the spec alone: it uses the
// standard library (encoding/base32, crypto/ed25519, crypto/ecdsa, time)
// and its own readers of the YAML lists, never markd's decode, verify or
// mark code. Where the spec is silent the choice is named at the place.
package specoracle

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Verdicts and reasons, spelled as in §1 and §7.
const (
	vAccept   = "ACCEPT"
	vReject   = "REJECT"
	vNotAMark = "NOT_A_MARK"
)

// oDay is a §2 date: days since 2000-01-01.
type oDay int

var oEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// dayOfDate is the §2 day number of a calendar date.
func dayOfDate(y int, m time.Month, d int) oDay {
	return oDay(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()-oEpoch.Unix()) / 86400
}

// acceptanceDay is "calendar days in the acceptance office's local time
// zone" (§2): the date the office's wall clock shows at t.
func acceptanceDay(t time.Time, loc *time.Location) oDay {
	y, m, d := t.In(loc).Date()
	return dayOfDate(y, m, d)
}

func (d oDay) String() string { return oEpoch.AddDate(0, 0, int(d)).Format(time.DateOnly) }

// oKey is a §6 keyring entry.
type oKey struct {
	alg         string // "ed25519" or "ecdsa-p256"
	pub         []byte
	from, until oDay
	revoked     bool
	revokedFrom oDay
	// distrusted: an Ed25519 key that is not the canonical encoding of a
	// point of order ℓ (weakEd25519). Not the spec's: markd's decision
	// (docs/notes/spec-audit.md item 10), modelled in sigOK.
	distrusted bool
}

// oBand and oVersion are a §4 tariff version.
type oBand struct{ maxG, kop int64 }

type oVersion struct {
	effective oDay
	notice    int64
	classes   map[int][]oBand // bands in file order
}

// oracle judges texts under one keyring, tariff table and revocation list.
type oracle struct {
	keys     map[int]oKey
	versions []oVersion // any order
	revoked  map[uint64]bool
	// cofactored checks Ed25519 with RFC 8032's cofactored equation
	// instead of crypto/ed25519's cofactorless one (the RFC allows both).
	cofactored bool
}

// oCtx is the acceptance: office, its date and the scale.
type oCtx struct {
	office   uint32
	date     oDay
	measured int // grams, 0 = no scale
}

// oFields is the decoded §2 body.
type oFields struct {
	version, alg, class, flags uint8
	keyID, weight              uint16
	serial, tracking           uint64
	contract, tariff, office   uint32
	issued, until              oDay
}

// oResult is a verdict, its reasons in order, and the fields when the
// signature verified.
type oResult struct {
	verdict string
	reasons []string
	fields  *oFields
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// text applies §1: the input tolerances, the prefix, the base32 payload.
// ok false with notMark says NOT_A_MARK, else MALFORMED.
func textPayload(s string) (raw []byte, notMark bool, ok bool) {
	// "surrounding white space and a trailing CR/LF are ignored"
	s = strings.TrimFunc(s, func(r rune) bool { return r != utf8.RuneError && unicode.IsSpace(r) })
	// "an AIM symbology prefix ]Q1..]Q6 before EPM1: is stripped"
	if len(s) >= 3 && s[0] == ']' && s[1] == 'Q' && s[2] >= '1' && s[2] <= '6' {
		s = s[3:]
	}
	if !strings.HasPrefix(s, "EPM1:") {
		return nil, true, false
	}
	p := []byte(s[len("EPM1:"):])
	if len(p) != 167 { // 104 bytes, no padding
		return nil, false, false
	}
	for i, c := range p {
		switch {
		case c >= 'a' && c <= 'z': // "lower-case base32 letters are accepted"
			p[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '2' && c <= '7':
		default: // "a character outside the alphabet"
			return nil, false, false
		}
	}
	raw, err := b32.DecodeString(string(p))
	if err != nil || len(raw) != 104 {
		return nil, false, false
	}
	// "non-zero trailing bits": the 3 unused bits of the last character;
	// the canonical encoding of the bytes has them zero.
	if b32.EncodeToString(raw) != string(p) {
		return nil, false, false
	}
	return raw, false, true
}

func parseBody(b []byte) oFields {
	be := binary.BigEndian
	return oFields{
		version: b[0], alg: b[1], keyID: be.Uint16(b[2:4]), serial: be.Uint64(b[4:12]),
		contract: be.Uint32(b[12:16]), class: b[16], flags: b[17], weight: be.Uint16(b[18:20]),
		tariff: be.Uint32(b[20:24]), office: be.Uint32(b[24:28]),
		issued: oDay(be.Uint16(b[28:30])), until: oDay(be.Uint16(b[30:32])), tracking: be.Uint64(b[32:40]),
	}
}

func rejectWith(r string) oResult { return oResult{verdict: vReject, reasons: []string{r}} }

// judge runs §7 steps 1–4 on one text.
func (o *oracle) judge(text string, c oCtx) oResult {
	raw, notMark, ok := textPayload(text)
	if notMark {
		return oResult{verdict: vNotAMark, reasons: []string{}}
	}
	if !ok {
		return rejectWith("MALFORMED")
	}
	body, sig := raw[:40], raw[40:]
	if body[0] != 1 {
		return rejectWith("UNSUPPORTED_VERSION")
	}
	f := parseBody(body)
	k, found := o.keys[int(f.keyID)]
	if !found {
		return rejectWith("UNKNOWN_KEY")
	}
	if !sigOK(k, f.alg, body, sig, o.cofactored) {
		return rejectWith("BAD_SIGNATURE")
	}
	rs := o.step4(&f, k, c)
	res := oResult{verdict: vAccept, reasons: rs, fields: &f}
	if len(rs) > 0 {
		res.verdict = vReject
	}
	return res
}

// sigOK is §3 and the last sentence of §6.
func sigOK(k oKey, alg uint8, body, sig []byte, cofactored bool) bool {
	msg := append([]byte("RU-EPM-v1\x00"), body...)
	switch {
	case alg == 1 && k.alg == "ed25519" && k.distrusted:
		// markd's decision, not the spec's (§6 does not forbid such a
		// key; spec-audit.md item 10): no signature verifies under a weak
		// Ed25519 key, not even the one anyone can make for the identity.
		return false
	case alg == 1 && k.alg == "ed25519" && cofactored:
		return cofactoredVerify(k.pub, msg, sig)
	case alg == 1 && k.alg == "ed25519":
		return len(k.pub) == ed25519.PublicKeySize && ed25519.Verify(ed25519.PublicKey(k.pub), msg, sig)
	case alg == 2 && k.alg == "ecdsa-p256":
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), k.pub)
		if err != nil {
			return false
		}
		h := sha256.Sum256(msg)
		return ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	}
	return false // "alg in the body different from the key's is BAD_SIGNATURE"
}

// price is §4: the amount due, or overweight, or none (no version in
// force on the issue date, or the class not in it).
func (o *oracle) price(issued oDay, class int, weight int64, notice bool) (due int64, overweight, none bool) {
	var in *oVersion
	for i := range o.versions {
		v := &o.versions[i]
		if v.effective <= issued && (in == nil || v.effective > in.effective) {
			in = v
		}
	}
	if in == nil {
		return 0, false, true
	}
	bands, ok := in.classes[class]
	if !ok || len(bands) == 0 {
		return 0, false, true
	}
	for _, b := range bands { // "the first weight band whose max_g is ≥ weight_g"
		if b.maxG >= weight {
			if notice {
				return b.kop + in.notice, false, false
			}
			return b.kop, false, false
		}
	}
	return 0, true, false
}

// trackingOK is §5: 14 digits (below 10^14) with the check digit.
func trackingOK(n uint64) bool {
	if n >= 100_000_000_000_000 {
		return false
	}
	var d [14]int
	for i := 13; i >= 0; i-- {
		d[i] = int(n % 10)
		n /= 10
	}
	s := 0
	for i := 0; i < 13; i++ { // d1..d13 are d[0]..d[12]
		if i%2 == 0 {
			s += 3 * d[i] // d1, d3, …, d13
		} else {
			s += d[i]
		}
	}
	return (10-s%10)%10 == d[13]
}

// step4 is §7 step 4 with §4–§6: every reason that applies, in order.
func (o *oracle) step4(f *oFields, k oKey, c oCtx) []string {
	rs := []string{}
	add := func(cond bool, r string) {
		if cond {
			rs = append(rs, r)
		}
	}
	add(f.issued < k.from || f.issued > k.until, "KEY_NOT_VALID")
	add(k.revoked && f.issued >= k.revokedFrom, "KEY_REVOKED")
	add(c.date < f.issued, "NOT_YET_VALID")
	add(c.date > f.until, "EXPIRED")
	add(f.office != 0 && f.office != c.office, "WRONG_OFFICE")
	known := f.class >= 1 && f.class <= 4
	registered := f.class >= 2 && f.class <= 4
	add(!known, "UNKNOWN_CLASS")
	notice := f.flags&1 != 0
	overweight := c.measured > int(f.weight) // "a measured weight above weight_g"
	underpaid := false
	if known { // "an unknown class gets neither a tariff nor a tracking check"
		due, over, none := o.price(f.issued, int(f.class), int64(f.weight), notice)
		switch {
		case over:
			overweight = true // "and no UNDERPAID is reported then"
		case none:
			// The spec is silent on a mark with no tariff in force; it
			// cannot be shown "correctly paid" (§ intro), so: UNDERPAID.
			underpaid = true
		default:
			underpaid = int64(f.tariff) < due
		}
	}
	add(overweight, "OVERWEIGHT")
	add(underpaid, "UNDERPAID")
	add(known && registered && f.tracking == 0, "MISSING_TRACKING")
	add(known && f.tracking != 0 && !trackingOK(f.tracking), "BAD_TRACKING")
	add(f.flags&^1 != 0 || f.contract == 0 || f.weight == 0 || f.until < f.issued ||
		(known && !registered && notice), "MALFORMED")
	add(o.revoked[f.serial], "REVOKED")
	return rs
}
