package verify_test

// Differential test: markd's verifier against the reference reading of
// MARK-FORMAT.md in reference_test.go, on the shared vectors, on mutations of
// freshly signed marks, and under fuzzing.

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"testing"

	"markd/decode"
	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

// diffRevoked is on the revocation list of both judges.
const diffRevoked = 7299999999

type diffCase struct {
	name     string
	text     string
	office   uint32
	date     int
	measured int
}

type differ struct {
	t   testing.TB
	ref *refJudge
	v   *verify.Verifier
}

func newDiffer(t testing.TB) *differ {
	ref := loadRefJudge(t)
	ref.revoked[diffRevoked] = true
	v := testdata.Verifier(t)
	rev, err := verify.ParseRevocations("revoked.txt", fmt.Appendf(nil, "%d\n", diffRevoked))
	if err != nil {
		t.Fatal(err)
	}
	return &differ{t: t, ref: ref, v: verify.New(v.Keyring(), v.Tariffs(), rev)}
}

func (d *differ) ctx(c diffCase) mark.Context {
	return mark.Context{Office: c.office, Date: mark.Day(c.date), MeasuredWeightG: c.measured}
}

// check compares one result of markd with the reference; it returns a
// description of the difference, "" when they agree.
func (d *differ) check(c diffCase, got mark.Result) string {
	verdict, reasons, m := d.ref.judge(c.text, c.office, c.date, c.measured)
	if got.Verdict != verdict || got.Reasons == nil || !reflect.DeepEqual(got.Reasons, reasons) {
		return fmt.Sprintf("markd %s %v, reference %s %v", got.Verdict, got.Reasons, verdict, reasons)
	}
	if (got.Mark != nil) != (m != nil) {
		return fmt.Sprintf("markd mark %v, reference mark %v", got.Mark != nil, m != nil)
	}
	if m != nil {
		want := mark.Mark{Version: m.version, Alg: m.alg, KeyID: m.keyID, Serial: m.serial, Contract: m.contract,
			MailClass: m.class, Flags: m.flags, WeightG: m.weight, TariffKop: m.tariff, Office: m.office,
			Issued: mark.Day(m.issued), ValidUntil: mark.Day(m.validUntil), Tracking: m.tracking}
		if *got.Mark != want {
			return fmt.Sprintf("fields\n got %+v\nwant %+v", *got.Mark, want)
		}
	}
	return d.checkParts(c.text, verdict != mark.NotAMark, m)
}

// checkParts compares the pieces other packages use alone: decode.IsMark
// (the wedge's layout guess) and Keyring.CheckSignature (the collector).
func (d *differ) checkParts(text string, isMark bool, m *refMark) string {
	if decode.IsMark(text) != isMark {
		return fmt.Sprintf("decode.IsMark %v, reference %v", !isMark, isMark)
	}
	got, err := d.v.Keyring().CheckSignature(text)
	if (err == nil) != (m != nil) {
		return fmt.Sprintf("CheckSignature error %v, reference signature verified %v", err, m != nil)
	}
	if m != nil && (got.Serial != m.serial || got.Contract != m.contract) {
		return fmt.Sprintf("CheckSignature mark %+v", got)
	}
	return ""
}

// compare runs every case through Verify and, all at once, VerifyBatch.
func (d *differ) compare(cases []diffCase) {
	d.t.Helper()
	texts, ctxs := make([]string, len(cases)), make([]mark.Context, len(cases))
	for i, c := range cases {
		texts[i], ctxs[i] = c.text, d.ctx(c)
		if diff := d.check(c, d.v.Verify(c.text, ctxs[i])); diff != "" {
			d.t.Errorf("%s: %.200q office %d date %s measured %d: %s", c.name, c.text, c.office, mark.Day(c.date), c.measured, diff)
		}
	}
	for i, c := range cases {
		if diff := d.check(c, d.verifyDeferred(texts[i], ctxs[i])); diff != "" {
			d.t.Errorf("%s (deferred signature): %.200q: %s", c.name, c.text, diff)
		}
	}
	for i, res := range d.v.VerifyBatch(texts, ctxs) {
		if diff := d.check(cases[i], res); diff != "" {
			d.t.Errorf("%s (VerifyBatch): %.200q: %s", cases[i].name, cases[i].text, diff)
		}
	}
}

// verifyDeferred is the pipeline's way (mark.Context.DeferSignature): judge
// first, check the signature after, judge again plainly when it fails.
func (d *differ) verifyDeferred(text string, c mark.Context) mark.Result {
	var check func() bool
	c.DeferSignature = &check
	res := d.v.Verify(text, c)
	if check != nil && !check() {
		c.DeferSignature = nil
		res = d.v.Verify(text, c)
	}
	return res
}

func TestDifferentialVectors(t *testing.T) {
	d := newDiffer(t)
	d.ref.revoked = map[uint64]bool{} // the vectors are judged without a list
	d.v = testdata.Verifier(t)
	var cases []diffCase
	for _, vec := range testdata.Vectors(t) {
		c := diffCase{vec.Name, vec.Text, vec.Context.Office, refDay(t, vec.Context.Date), vec.Context.MeasuredWeightG}
		verdict, reasons, _ := d.ref.judge(c.text, c.office, c.date, c.measured)
		if verdict != vec.Verdict || !reflect.DeepEqual(reasons, append([]mark.Reason{}, vec.Reasons...)) {
			t.Errorf("reference on vector %q: %s %v, want %s %v", vec.Name, verdict, reasons, vec.Verdict, vec.Reasons)
		}
		cases = append(cases, c)
	}
	d.compare(cases)
}

// diffSigner signs bodies with the test-only issuer keys, by key id.
type diffSigner struct {
	ed map[uint16]ed25519.PrivateKey
	ec map[uint16]*ecdsa.PrivateKey
}

func loadDiffSigner(t testing.TB) *diffSigner {
	var f struct {
		Keys []struct {
			ID      uint16 `yaml:"id"`
			Alg     string `yaml:"alg"`
			Private string `yaml:"private"`
		} `yaml:"keys"`
	}
	readYAML(t, "issuer-keys.yaml", &f)
	s := &diffSigner{ed: map[uint16]ed25519.PrivateKey{}, ec: map[uint16]*ecdsa.PrivateKey{}}
	for _, k := range f.Keys {
		priv, err := base64.StdEncoding.DecodeString(k.Private)
		if err != nil {
			t.Fatal(err)
		}
		switch k.Alg {
		case "ed25519":
			s.ed[k.ID] = ed25519.NewKeyFromSeed(priv)
		case "ecdsa-p256":
			if s.ec[k.ID], err = ecdsa.ParseRawPrivateKey(elliptic.P256(), priv); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

// sign gives the 64-byte signature of body by the private key of id (key 1
// when id has none), with the key's own algorithm whatever the body says.
func (s *diffSigner) sign(id uint16, body []byte) []byte {
	msg := refMessage(body)
	if k, ok := s.ec[id]; ok {
		h := sha256.Sum256(msg)
		r, ss, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			panic(err)
		}
		return append(r.FillBytes(make([]byte, 32)), ss.FillBytes(make([]byte, 32))...)
	}
	k, ok := s.ed[id]
	if !ok {
		k = s.ed[1]
	}
	return ed25519.Sign(k, msg)
}

func diffText(body, sig []byte) string {
	return "EPM1:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(append(slices.Clone(body), sig...))
}

// refTracking builds a valid tracking number from its first 13 digits.
func refTracking(first13 uint64) uint64 {
	for c := uint64(0); c < 10; c++ {
		if refTrackingOK(first13*10 + c) {
			return first13*10 + c
		}
	}
	panic("no check digit")
}

// ed25519L is the order of the Ed25519 base point.
var ed25519L, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

// withSigS replaces the little-endian S half of an Ed25519 signature.
func withSigS(sig []byte, s *big.Int) []byte {
	out := slices.Clone(sig)
	be := s.FillBytes(make([]byte, 32))
	for i := range 32 {
		out[32+i] = be[31-i]
	}
	return out
}

func sigS(sig []byte) *big.Int {
	be := make([]byte, 32)
	for i := range 32 {
		be[i] = sig[63-i]
	}
	return new(big.Int).SetBytes(be)
}

// FuzzDifferential feeds mutated texts to markd and the reference.
func FuzzDifferential(f *testing.F) {
	d := newDiffer(f)
	s := loadDiffSigner(f)
	base, ctx := diffBase(f)
	f.Add(diffText(base.body(), s.sign(1, base.body())), uint16(ctx.date), 0)
	for _, vec := range testdata.Vectors(f) {
		f.Add(vec.Text, uint16(refDay(f, vec.Context.Date)), vec.Context.MeasuredWeightG)
	}
	f.Fuzz(func(t *testing.T, text string, date uint16, measured int) {
		if len(text) > mark.MaxInputSize {
			t.Skip("markd's input size limit is outside the spec (see textVariants)")
		}
		c := diffCase{name: "fuzz", text: text, office: 426000, date: int(date), measured: measured}
		if diff := d.check(c, d.v.Verify(text, d.ctx(c))); diff != "" {
			t.Errorf("%q date %d measured %d: %s", text, date, measured, diff)
		}
	})
}

// FuzzDifferentialBody feeds freshly signed bodies with fuzzed fields, so
// that every check of §7 step 4 sees arbitrary values.
func FuzzDifferentialBody(f *testing.F) {
	d := newDiffer(f)
	s := loadDiffSigner(f)
	base, ctx := diffBase(f)
	f.Add(base.body(), uint32(426000), uint16(ctx.date), 0)
	f.Fuzz(func(t *testing.T, body []byte, office uint32, date uint16, measured int) {
		body = append(slices.Clone(body), make([]byte, 40)...)[:40]
		c := diffCase{name: "fuzz", text: diffText(body, s.sign(refParseBody(body).keyID, body)), office: office, date: int(date), measured: measured}
		if diff := d.check(c, d.v.Verify(c.text, d.ctx(c))); diff != "" {
			t.Errorf("%q office %d date %d measured %d: %s", c.text, office, date, measured, diff)
		}
	})
}
