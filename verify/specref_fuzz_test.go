package verify_test

import (
	"crypto/elliptic"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"slices"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"markd/mark"
)

// srRevoked is the revocation list both sides judge with.
var srRevoked = []uint64{7100000666, 0, 1<<64 - 1}

// srChars are the characters a mutation puts into a text: the base32
// alphabet's neighbours, padding, separators, and Unicode look-alikes of
// its letters and digits (Cyrillic А О Е Р М, fullwidth Ａ and ：, dotless ı
// and long ſ, which upper-case to I and S, the Kelvin sign, which
// lower-cases to k).
var srChars = []string{"A", "a", "Z", "z", "2", "7", "0", "1", "8", "9", "=", ":", ";", "-", " ", "\t", "\x00",
	"\u0410", "\u041e", "\u0415", "\u0420", "\u041c", "\uff21", "\uff1a", "\u0131", "\u017f", "\u212a", "\u00e9", "\xff"}

// srSpaces wrap a text: §1's surrounding white space and trailing CR/LF,
// and characters that are not white space.
var srSpaces = []string{" ", "\t", "\r\n", "\n", "\r", "\v", "\f", "  \t \r\n", "\x00", "\u00a0", "\u3000", "\ufeff", "\u200b", "\u2028"}

// srPrefixes replace EPM1: with near misses.
var srPrefixes = []string{"EPM1:", "epm1:", "Epm1:", "EPM1;", "EPM1\uff1a", "\u0415\u0420\u041c1:", "EPM 1:", "EPM2:", "EPM1", "EPM1::", ":EPM1:", "EPM01:", "EPM1: "}

// srEdEdge makes from an Ed25519 signature of msg (by the key of seed) a
// signature on an edge of RFC 8032 §5.1.7, chosen by arg:
//   - arg%4 == 0: S + k·L (k = 1 + arg/4%14): not canonical, must fail;
//   - arg%4 == 1: nonce r = arg/4 (r = 0 gives R = the identity) and
//     R = r·B + T, T the (arg/4%8)-th multiple of a point of order 8,
//     S = r + H(R‖A‖M)·a: valid cofactored, valid cofactorless only
//     when T is the identity;
//   - arg%4 == 2: r = 0 and R the identity or a point of order 4 (y = 0),
//     encoded with y + p: a non-canonical R, which crypto/ed25519 (and
//     so the reference) rejects;
//   - arg%4 == 3: r = 0 and R the identity or the point of order 2
//     (x = 0) with the sign bit set: a non-canonical "−0".
func srEdEdge(seed, msg, sig []byte, arg uint16) []byte {
	sig = slices.Clone(sig)
	h := sha512.Sum512(seed)
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	A := new(edwards25519.Point).ScalarBaseMult(a)
	if arg%4 == 0 {
		le := slices.Clone(sig[32:])
		slices.Reverse(le)
		s := new(big.Int).SetBytes(le)
		s.Add(s, new(big.Int).Mul(l25519, big.NewInt(int64(1+arg/4%14))))
		be := s.FillBytes(make([]byte, 32))
		slices.Reverse(be)
		copy(sig[32:], be)
		return sig
	}
	var rb [64]byte
	r := edwards25519.NewScalar()
	T := edwards25519.NewIdentityPoint()
	switch arg % 4 {
	case 1:
		binary.LittleEndian.PutUint16(rb[:], arg/4)
		r, _ = r.SetUniformBytes(rb[:])
		for range arg / 4 % 8 {
			T.Add(T, srOrder8)
		}
	case 2:
		if arg/4%2 == 1 {
			T.Add(srOrder8, srOrder8) // order 4: y = 0
		}
	case 3:
		if arg/4%2 == 1 {
			T.Add(srOrder8, srOrder8)
			T.Add(T, T) // order 2: x = 0, y = −1
		}
	}
	R := new(edwards25519.Point).ScalarBaseMult(r)
	R.Add(R, T)
	enc := R.Bytes()
	switch arg % 4 {
	case 2:
		sign := enc[31] & 0x80
		le := slices.Clone(enc)
		le[31] &^= 0x80
		slices.Reverse(le)
		y := new(big.Int).SetBytes(le)
		y.Add(y, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19)))
		if y.BitLen() <= 255 {
			be := y.FillBytes(make([]byte, 32))
			slices.Reverse(be)
			be[31] |= sign
			enc = be
		}
	case 3:
		enc[31] ^= 0x80
	}
	kh := sha512.New()
	kh.Write(enc)
	kh.Write(A.Bytes())
	kh.Write(msg)
	k, _ := edwards25519.NewScalar().SetUniformBytes(kh.Sum(nil))
	S := edwards25519.NewScalar().MultiplyAdd(k, a, r)
	copy(sig[:32], enc)
	copy(sig[32:], S.Bytes())
	return sig
}

// srOrder8 is a point of order 8 of edwards25519.
var srOrder8 = func() *edwards25519.Point {
	b, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		panic(err)
	}
	return p
}()

var p256N = elliptic.P256().Params().N

// l25519 is the order of the Ed25519 base point.
var l25519, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

// srBuild signs body with signer and applies mutation mut (argument arg)
// to its signature bytes or text.
func (w *srWorld) srBuild(t testing.TB, b srBody, signer uint16, mut uint8, arg uint16) string {
	body := b.body()
	sig := w.srSig(t, body, signer)
	pick := func(list []string) string { return list[int(arg)%len(list)] }
	switch mut % 21 {
	case 13: // one bit of body or signature flipped after signing
		raw := append(body, sig...)
		raw[int(arg/8)%len(raw)] ^= 1 << (arg % 8)
		return srEncode(raw)
	case 14: // ECDSA: the other s of the same signature (n − s), a valid ECDSA signature too
		s := new(big.Int).SetBytes(sig[32:])
		s.Sub(p256N, s)
		copy(sig[32:], s.FillBytes(make([]byte, 32)))
	case 15: // Ed25519 edge signatures (srEdEdge)
		if k, ok := w.keys[signer]; ok && k.alg == "ed25519" && k.priv != nil {
			sig = srEdEdge(k.priv, srMessage(body), sig, arg)
		}
	case 16: // signature zero
		sig = make([]byte, 64)
	case 17: // ECDSA r or s = n or 0
		switch arg % 3 {
		case 0:
			copy(sig[:32], p256N.FillBytes(make([]byte, 32)))
		case 1:
			copy(sig[32:], p256N.FillBytes(make([]byte, 32)))
		default:
			copy(sig[32:], make([]byte, 32))
		}
	}
	text := srEncode(append(body, sig...))
	b32 := text[5:]
	switch mut % 21 {
	case 1:
		return "EPM1:" + strings.ToLower(b32)
	case 2:
		return strings.ToLower(text)
	case 3:
		s := pick(srSpaces)
		switch arg / uint16(len(srSpaces)) % 3 {
		case 0:
			return s + text + s
		case 1:
			return text + s
		default:
			return s + text
		}
	case 4:
		return "]Q" + string(rune('0'+arg%10)) + text
	case 5:
		return text[:len(text)-1-int(arg%10)]
	case 6:
		return text + pick(srChars)
	case 7:
		i := 5 + int(arg/uint16(len(srChars)))%167
		return text[:i] + pick(srChars) + text[i+1:]
	case 8: // trailing bits not zero
		last := strings.IndexByte(srAlphabet, text[len(text)-1])
		return text[:len(text)-1] + string(srAlphabet[last|int(arg%7+1)])
	case 9:
		return text + strings.Repeat("=", 1+int(arg%6))
	case 10:
		i := 5 + int(arg)%167
		return text[:i] + ":" + text[i:]
	case 11:
		return pick(srPrefixes) + b32
	case 12:
		i := 5 + int(arg/uint16(len(srSpaces)))%167
		return text[:i] + pick(srSpaces) + text[i:]
	case 18:
		return pick(srSpaces) + "]Q" + string(rune('0'+arg%10)) + text
	case 19:
		return "]Q" + string(rune('0'+arg%10)) + pick(srSpaces) + text
	case 20:
		return "]Q1]Q" + string(rune('0'+arg%10)) + text
	}
	return text
}

// srValid is the valid registered letter of the test vectors: key 1,
// accepted at office 426000 on 2026-11-25 (srValidDate).
var srValid = srBody{version: 1, alg: 1, keyID: 1, serial: 7100000001, contract: 1004417, class: 2, weight: 20,
	tariff: 10500, office: 426000, issued: uint16(srDay("2026-11-20")), validUntil: uint16(srDay("2027-02-20")), tracking: 42600000000015}

var srValidDate = uint16(srDay("2026-11-25"))

type srSeed struct {
	b              srBody
	signer         uint16
	mut            uint8
	arg            uint16
	office         uint32
	date, measured uint16
}

// srSeeds are the boundaries of §1–§7 as fuzz seeds.
func srSeeds() []srSeed {
	v := srValid
	at := func(f func(b *srBody)) srBody { b := v; f(&b); return b }
	d := func(s string) uint16 { return uint16(srDay(s)) }
	var seeds []srSeed
	add := func(b srBody, signer uint16, mut uint8, arg uint16, date uint16, measured uint16) {
		seeds = append(seeds, srSeed{b, signer, mut, arg, 426000, date, measured})
	}
	add(v, 1, 0, 0, srValidDate, 0)
	for mut := uint8(1); mut < 21; mut++ {
		for arg := uint16(0); arg < 40; arg += 3 {
			add(v, 1, mut, arg, srValidDate, 0)
			add(at(func(b *srBody) { b.alg, b.keyID, b.tracking = 2, 2, 42600000000022 }), 2, mut, arg, srValidDate, 0)
		}
	}
	fields := []srBody{
		at(func(b *srBody) { b.version = 0 }), at(func(b *srBody) { b.version = 2 }), at(func(b *srBody) { b.version = 255 }),
		at(func(b *srBody) { b.alg = 0 }), at(func(b *srBody) { b.alg = 2 }), at(func(b *srBody) { b.alg = 3 }),
		at(func(b *srBody) { b.keyID = 0 }), at(func(b *srBody) { b.keyID = 5 }), at(func(b *srBody) { b.keyID = 65535 }),
		at(func(b *srBody) { b.keyID = 256 + 1 }),
		at(func(b *srBody) { b.contract = 0 }), at(func(b *srBody) { b.contract = 1<<32 - 1 }),
		at(func(b *srBody) { b.class = 0 }), at(func(b *srBody) { b.class = 5 }), at(func(b *srBody) { b.class = 255 }),
		at(func(b *srBody) { b.class, b.tracking = 1, 0 }), at(func(b *srBody) { b.class = 1 }),
		at(func(b *srBody) { b.class, b.tracking = 1, 42600000000016 }), at(func(b *srBody) { b.class, b.flags = 1, 1 }),
		at(func(b *srBody) { b.class, b.flags, b.tariff = 1, 1, 5000 }),
		at(func(b *srBody) { b.class, b.weight, b.tariff = 3, 2000, 55000 }), at(func(b *srBody) { b.class, b.weight, b.tariff = 3, 2001, 0 }),
		at(func(b *srBody) { b.class, b.weight, b.tariff = 4, 21, 0 }), at(func(b *srBody) { b.class, b.weight, b.tariff = 4, 20, 8999 }),
		at(func(b *srBody) { b.class, b.weight, b.tariff = 0, 65535, 0 }),
		at(func(b *srBody) { b.flags = 1 }), at(func(b *srBody) { b.flags, b.tariff = 1, 21500 }), at(func(b *srBody) { b.flags, b.tariff = 1, 21499 }),
		at(func(b *srBody) { b.flags = 2 }), at(func(b *srBody) { b.flags = 0x80 }), at(func(b *srBody) { b.flags = 0xff }),
		at(func(b *srBody) { b.weight = 0 }), at(func(b *srBody) { b.weight, b.tariff = 0, 0 }), at(func(b *srBody) { b.weight = 21 }),
		at(func(b *srBody) { b.weight, b.tariff = 21, 12500 }), at(func(b *srBody) { b.weight, b.tariff = 100, 18500 }),
		at(func(b *srBody) { b.weight = 101 }), at(func(b *srBody) { b.weight = 65535 }),
		at(func(b *srBody) { b.tariff = 10499 }), at(func(b *srBody) { b.tariff = 0 }), at(func(b *srBody) { b.tariff = 1<<32 - 1 }),
		at(func(b *srBody) { b.office = 0 }), at(func(b *srBody) { b.office = 426001 }), at(func(b *srBody) { b.office = 1426000 }),
		at(func(b *srBody) { b.office = 426000 + 1<<24 }), at(func(b *srBody) { b.office = 1<<32 - 1 }),
		at(func(b *srBody) { b.issued, b.validUntil = d("2026-11-25"), d("2026-11-25") }),
		at(func(b *srBody) { b.issued = d("2026-11-26") }), at(func(b *srBody) { b.validUntil = d("2026-11-24") }),
		at(func(b *srBody) { b.issued, b.validUntil = d("2026-11-20"), d("2026-11-19") }),
		at(func(b *srBody) { b.issued, b.validUntil = 0, 0 }), at(func(b *srBody) { b.issued, b.validUntil = 65535, 65535 }),
		at(func(b *srBody) { b.issued, b.tariff = d("2025-12-31"), 9200 }), at(func(b *srBody) { b.issued, b.tariff = d("2026-01-01"), 9200 }),
		at(func(b *srBody) { b.issued, b.tariff = d("2024-12-31"), 9200 }), at(func(b *srBody) { b.issued = d("2024-02-29") }),
		at(func(b *srBody) { b.issued = d("2028-02-29") }), at(func(b *srBody) { b.issued = d("2027-12-31") }),
		at(func(b *srBody) { b.issued = d("2028-01-01") }), at(func(b *srBody) { b.issued = d("2024-12-31") }),
		at(func(b *srBody) { b.tracking = 0 }), at(func(b *srBody) { b.tracking = 42600000000016 }),
		at(func(b *srBody) { b.tracking = 99999999999999 }), at(func(b *srBody) { b.tracking = 100000000000000 }),
		at(func(b *srBody) { b.tracking = 100000000000000 + 42600000000015 }), at(func(b *srBody) { b.tracking = 1<<64 - 1 }),
		at(func(b *srBody) { b.tracking = 1 }), at(func(b *srBody) { b.tracking = 7 }), at(func(b *srBody) { b.tracking = 10 }),
		at(func(b *srBody) { b.serial = 7100000666 }), at(func(b *srBody) { b.serial = 0 }), at(func(b *srBody) { b.serial = 1<<64 - 1 }),
		at(func(b *srBody) {
			b.serial, b.contract, b.flags, b.weight, b.tracking, b.office = 7100000666, 0, 6, 0, 5, 1
		}),
	}
	for _, b := range fields {
		add(b, 1, 0, 0, srValidDate, 0)
	}
	for _, date := range []uint16{0, 65535, d("2026-11-19"), d("2026-11-20"), d("2027-02-20"), d("2027-02-21")} {
		add(v, 1, 0, 0, date, 0)
	}
	for _, m := range []uint16{1, 19, 20, 21, 65535} {
		add(v, 1, 0, 0, srValidDate, m)
		add(at(func(b *srBody) { b.weight = 101 }), 1, 0, 0, srValidDate, m)
	}
	for _, k := range []uint16{2, 3, 4} {
		alg := uint8(1)
		if k == 2 {
			alg = 2
		}
		for _, issued := range []string{"2024-01-01", "2024-12-31", "2025-05-31", "2025-06-01", "2026-02-28", "2026-03-01", "2027-12-31", "2028-01-01"} {
			add(at(func(b *srBody) { b.alg, b.keyID, b.issued = alg, k, d(issued) }), k, 0, 0, srValidDate, 0)
		}
		add(at(func(b *srBody) { b.alg, b.keyID = 3-alg, k }), k, 0, 0, srValidDate, 0)
	}
	add(at(func(b *srBody) { b.keyID = 3 }), 1, 0, 0, srValidDate, 0)
	add(at(func(b *srBody) { b.keyID = 9 }), 9, 0, 0, srValidDate, 0)
	return seeds
}

// FuzzSpecReference: marks built field by field, signed and mutated,
// judged by markd and by the reference; verdict, reasons in order and the
// fields reported must agree.
func FuzzSpecReference(f *testing.F) {
	for _, s := range srSeeds() {
		b := s.b
		f.Add(b.version, b.alg, b.keyID, b.serial, b.contract, b.class, b.flags, b.weight, b.tariff, b.office,
			b.issued, b.validUntil, b.tracking, s.signer, s.mut, s.arg, s.office, s.date, s.measured)
	}
	w := srLoad(f, srRevoked)
	v := srVerifier(f, srRevoked)
	fill := w.srFill(f)
	f.Fuzz(func(t *testing.T, version, alg uint8, keyID uint16, serial uint64, contract uint32, class, flags uint8,
		weight uint16, tariff, office uint32, issued, validUntil uint16, tracking uint64,
		signer uint16, mut uint8, arg uint16, ctxOffice uint32, date, measured uint16) {
		b := srBody{version, alg, keyID, serial, contract, class, flags, weight, tariff, office, issued, validUntil, tracking}
		text := w.srBuild(t, b, signer, mut, arg)
		got := srPaths(t, v, fill, text, mark.Context{Office: ctxOffice, Date: mark.Day(date), MeasuredWeightG: int(measured)})
		srCompare(t, srName(text, ctxOffice, date, measured), got, w.srJudge(text, ctxOffice, int(date), int(measured)))
	})
}

// FuzzSpecReferenceText: any text, judged at the vectors' office and day.
func FuzzSpecReferenceText(f *testing.F) {
	w := srLoad(f, srRevoked)
	v := srVerifier(f, srRevoked)
	for _, s := range srSeeds() {
		if s.date == srValidDate && s.measured == 0 {
			f.Add(w.srBuild(f, s.b, s.signer, s.mut, s.arg))
		}
	}
	for _, s := range []string{"", "EPM1:", "EPM1", "]Q1", "]Q1EPM1:", "https://example.org/", "12345678901234", " \r\n"} {
		f.Add(s)
	}
	fill := w.srFill(f)
	f.Fuzz(func(t *testing.T, text string) {
		got := srPaths(t, v, fill, text, mark.Context{Office: 426000, Date: mark.Day(srValidDate)})
		srCompare(t, srName(text, 426000, srValidDate, 0), got, w.srJudge(text, 426000, int(srValidDate), 0))
	})
}

func srName(text string, office uint32, date, measured uint16) string {
	var sb strings.Builder
	sb.WriteString("text ")
	sb.WriteString(strings.ReplaceAll(strings.ReplaceAll(text, "\n", `\n`), "\r", `\r`))
	sb.WriteString(" at office ")
	sb.WriteString(big.NewInt(int64(office)).String())
	sb.WriteString(" on ")
	sb.WriteString(mark.Day(date).String())
	if measured > 0 {
		sb.WriteString(" measured " + big.NewInt(int64(measured)).String() + " g")
	}
	return sb.String()
}
