package verify_test

// An independent reading of MARK-FORMAT.md, written from the spec alone
// (not from package decode or verify), for the differential test in
// differential_test.go. It is kept deliberately plain: one function per
// section, no shared code with markd beyond the mark.Reason names.

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"math/big"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"markd/internal/testdata"
	"markd/mark"
)

// refDay is a calendar day counted from 2000-01-01, computed through time.Time
// in UTC (markd computes its own way).
func refDay(t testing.TB, s string) int {
	t.Helper()
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatalf("day %q: %v", s, err)
	}
	return int(d.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

type refKey struct {
	alg         uint8 // body code, §2
	ed          ed25519.PublicKey
	ec          *ecdsa.PublicKey
	from, until int
	revokedFrom int // -1 = not revoked
}

type refBand struct{ maxG, kop int }

type refTariff struct {
	effective int
	notice    int
	classes   map[int][]refBand
}

// refJudge holds the lists a verification needs (§4, §6, §7 REVOKED).
type refJudge struct {
	keys    map[uint16]refKey
	tariffs []refTariff // by effective date, ascending
	revoked map[uint64]bool
}

func loadRefJudge(t testing.TB) *refJudge {
	t.Helper()
	var kr struct {
		Keys []struct {
			ID          uint16 `yaml:"id"`
			Alg         string `yaml:"alg"`
			Public      string `yaml:"public"`
			ValidFrom   string `yaml:"valid_from"`
			ValidUntil  string `yaml:"valid_until"`
			RevokedFrom string `yaml:"revoked_from"`
		} `yaml:"keys"`
	}
	readYAML(t, "keyring.yaml", &kr)
	j := &refJudge{keys: map[uint16]refKey{}, revoked: map[uint64]bool{}}
	for _, e := range kr.Keys {
		pub, err := base64.StdEncoding.DecodeString(e.Public)
		if err != nil {
			t.Fatal(err)
		}
		k := refKey{from: refDay(t, e.ValidFrom), until: refDay(t, e.ValidUntil), revokedFrom: -1}
		if e.RevokedFrom != "" {
			k.revokedFrom = refDay(t, e.RevokedFrom)
		}
		switch e.Alg {
		case "ed25519":
			k.alg, k.ed = 1, ed25519.PublicKey(pub)
		case "ecdsa-p256":
			ec, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
			if err != nil {
				t.Fatalf("key %d: %v", e.ID, err)
			}
			k.alg, k.ec = 2, ec
		default:
			t.Fatalf("key %d: alg %q", e.ID, e.Alg)
		}
		j.keys[e.ID] = k
	}

	var tf struct {
		Versions []struct {
			Effective string `yaml:"effective"`
			Notice    int    `yaml:"notice_of_delivery_kop"`
			Classes   []struct {
				Code  int `yaml:"code"`
				Bands []struct {
					MaxG int `yaml:"max_g"`
					Kop  int `yaml:"kop"`
				} `yaml:"bands"`
			} `yaml:"classes"`
		} `yaml:"versions"`
	}
	readYAML(t, "tariffs.yaml", &tf)
	for _, v := range tf.Versions {
		rt := refTariff{effective: refDay(t, v.Effective), notice: v.Notice, classes: map[int][]refBand{}}
		for _, c := range v.Classes {
			for _, b := range c.Bands {
				rt.classes[c.Code] = append(rt.classes[c.Code], refBand{b.MaxG, b.Kop})
			}
		}
		j.tariffs = append(j.tariffs, rt)
	}
	sort.Slice(j.tariffs, func(a, b int) bool { return j.tariffs[a].effective < j.tariffs[b].effective })
	return j
}

func readYAML(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// refMark is the 40-byte body of §2, field by field.
type refMark struct {
	version, alg       uint8
	keyID              uint16
	serial             uint64
	contract           uint32
	class, flags       uint8
	weight             uint16
	tariff, office     uint32
	issued, validUntil uint16
	tracking           uint64
}

func (m refMark) body() []byte {
	b := make([]byte, 40)
	b[0], b[1] = m.version, m.alg
	binary.BigEndian.PutUint16(b[2:], m.keyID)
	binary.BigEndian.PutUint64(b[4:], m.serial)
	binary.BigEndian.PutUint32(b[12:], m.contract)
	b[16], b[17] = m.class, m.flags
	binary.BigEndian.PutUint16(b[18:], m.weight)
	binary.BigEndian.PutUint32(b[20:], m.tariff)
	binary.BigEndian.PutUint32(b[24:], m.office)
	binary.BigEndian.PutUint16(b[28:], m.issued)
	binary.BigEndian.PutUint16(b[30:], m.validUntil)
	binary.BigEndian.PutUint64(b[32:], m.tracking)
	return b
}

func refParseBody(b []byte) refMark {
	return refMark{
		version: b[0], alg: b[1],
		keyID:    binary.BigEndian.Uint16(b[2:]),
		serial:   binary.BigEndian.Uint64(b[4:]),
		contract: binary.BigEndian.Uint32(b[12:]),
		class:    b[16], flags: b[17],
		weight:     binary.BigEndian.Uint16(b[18:]),
		tariff:     binary.BigEndian.Uint32(b[20:]),
		office:     binary.BigEndian.Uint32(b[24:]),
		issued:     binary.BigEndian.Uint16(b[28:]),
		validUntil: binary.BigEndian.Uint16(b[30:]),
		tracking:   binary.BigEndian.Uint64(b[32:]),
	}
}

// refMessage is the signed message of §3.
func refMessage(body []byte) []byte {
	return append([]byte("RU-EPM-v1\x00"), body...)
}

var refB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// refText applies the §1 input tolerances and returns the base32 part, with
// isMark false when the text does not start with EPM1:.
func refText(text string) (payload string, isMark bool) {
	// "White space" read as Unicode white space (U+00A0 too); the spec does
	// not narrow it to ASCII.
	s := strings.TrimSpace(text)
	if len(s) >= 4 && s[0] == ']' && s[1] == 'Q' && s[2] >= '1' && s[2] <= '6' && strings.HasPrefix(s[3:], "EPM1:") {
		s = s[3:]
	}
	p, ok := strings.CutPrefix(s, "EPM1:")
	return p, ok
}

// refDecode is §1's "bad text or length": 167 characters of A–Z2–7 (letters
// in either case), no padding, zero trailing bits, 104 bytes.
func refDecode(payload string) ([]byte, bool) {
	if len(payload) != 167 {
		return nil, false
	}
	for i := 0; i < len(payload); i++ {
		c := payload[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return nil, false
		}
	}
	upper := strings.ToUpper(payload)
	raw, err := refB32.DecodeString(upper)
	if err != nil || len(raw) != 104 {
		return nil, false
	}
	// 167·5 = 835 bits carry 832: the last character's low 3 bits are spare.
	if last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", upper[166]); last&7 != 0 {
		return nil, false
	}
	return raw, true
}

// refSignatureOK is §3 with the key of §6. crypto/ed25519 checks the group
// equation without the cofactor and refuses non-canonical S and R, a reading
// RFC 8032 permits.
func refSignatureOK(k refKey, m refMark, body, sig []byte) bool {
	if m.alg != k.alg {
		return false
	}
	msg := refMessage(body)
	switch k.alg {
	case 1:
		return ed25519.Verify(k.ed, msg, sig)
	case 2:
		h := sha256.Sum256(msg)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k.ec, h[:], r, s)
	}
	return false
}

// refTrackingOK is §5: at most 14 digits (leading zeros count as digits) and
// the check digit.
func refTrackingOK(n uint64) bool {
	if n >= 100_000_000_000_000 {
		return false
	}
	var d [14]int
	for i := 13; i >= 0; i-- {
		d[i] = int(n % 10)
		n /= 10
	}
	s := 0
	for i := 0; i < 13; i++ {
		if i%2 == 0 { // d1, d3, … d13
			s += 3 * d[i]
		} else {
			s += d[i]
		}
	}
	return d[13] == (10-s%10)%10
}

// judge runs §7 steps 1–4 on text at office on date (a day number), with the
// measured weight (0 = unknown). It returns the verdict, the reasons in §7
// order, and the decoded body when the signature verified.
func (j *refJudge) judge(text string, office uint32, date int, measured int) (mark.Verdict, []mark.Reason, *refMark) {
	payload, isMark := refText(text)
	if !isMark {
		return mark.NotAMark, []mark.Reason{}, nil
	}
	raw, ok := refDecode(payload)
	if !ok {
		return mark.Reject, []mark.Reason{mark.ReasonMalformed}, nil
	}
	body, sig := raw[:40], raw[40:]
	m := refParseBody(body)
	if m.version != 1 {
		return mark.Reject, []mark.Reason{mark.ReasonUnsupportedVersion}, nil
	}
	k, ok := j.keys[m.keyID]
	if !ok {
		return mark.Reject, []mark.Reason{mark.ReasonUnknownKey}, nil
	}
	if !refSignatureOK(k, m, body, sig) {
		return mark.Reject, []mark.Reason{mark.ReasonBadSignature}, nil
	}

	issued, until := int(m.issued), int(m.validUntil)
	var rs []mark.Reason
	add := func(cond bool, r mark.Reason) {
		if cond {
			rs = append(rs, r)
		}
	}
	add(issued < k.from || issued > k.until, mark.ReasonKeyNotValid)
	add(k.revokedFrom >= 0 && issued >= k.revokedFrom, mark.ReasonKeyRevoked)
	add(date < issued, mark.ReasonNotYetValid)
	add(date > until, mark.ReasonExpired)
	add(m.office != 0 && m.office != office, mark.ReasonWrongOffice)

	registered, known := map[uint8]bool{1: false, 2: true, 3: true, 4: true}[m.class]
	add(!known, mark.ReasonUnknownClass)
	overweight, underpaid := measured > 0 && measured > int(m.weight), false
	if known {
		price, priced, noBand := j.price(issued, m.class, int(m.weight), m.flags&1 != 0)
		overweight = overweight || noBand
		// §4 is silent on a mark issued before the first tariff version:
		// nothing proves the amount enough, so the reference fails closed
		// (UNDERPAID), as markd does.
		underpaid = !noBand && (!priced || int64(m.tariff) < price)
	}
	add(overweight, mark.ReasonOverweight)
	add(underpaid, mark.ReasonUnderpaid)
	add(known && registered && m.tracking == 0, mark.ReasonMissingTracking)
	add(known && m.tracking != 0 && !refTrackingOK(m.tracking), mark.ReasonBadTracking)
	add(m.flags&^1 != 0 || m.contract == 0 || m.weight == 0 || until < issued ||
		known && !registered && m.flags&1 != 0, mark.ReasonMalformed)
	add(j.revoked[m.serial], mark.ReasonRevoked)

	if len(rs) == 0 {
		return mark.Accept, []mark.Reason{}, &m
	}
	return mark.Reject, rs, &m
}

// price is the amount §4 requires. noBand is a weight above the heaviest
// band; priced is false when no tariff version or class applies.
func (j *refJudge) price(issued int, class uint8, weight int, notice bool) (kop int64, priced, noBand bool) {
	tv := j.tariffAt(issued)
	if tv == nil || len(tv.classes[int(class)]) == 0 {
		return 0, false, false
	}
	for _, b := range tv.classes[int(class)] {
		if b.maxG >= weight {
			kop = int64(b.kop)
			if notice {
				kop += int64(tv.notice)
			}
			return kop, true, false
		}
	}
	return 0, false, true
}

// tariffAt is the version in force on day d (§4), nil before the first.
func (j *refJudge) tariffAt(d int) *refTariff {
	var in *refTariff
	for i := range j.tariffs {
		if j.tariffs[i].effective <= d {
			in = &j.tariffs[i]
		}
	}
	return in
}
