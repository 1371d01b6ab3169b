package verify_test

import (
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"filippo.io/edwards25519"
)

// diffBase is a registered letter that both judges accept at 426000 on
// 2026-11-25 (fixed dates: nothing here depends on today).
func diffBase(t testing.TB) (refMark, diffCase) {
	m := refMark{
		version: 1, alg: 1, keyID: 1, serial: 7200000001, contract: 1004417,
		class: 2, weight: 20, tariff: 10500, office: 426000,
		issued: uint16(refDay(t, "2026-11-20")), validUntil: uint16(refDay(t, "2027-02-20")),
		tracking: refTracking(426000_0000001),
	}
	return m, diffCase{office: 426000, date: refDay(t, "2026-11-25")}
}

func TestDifferentialMutations(t *testing.T) {
	d := newDiffer(t)
	s := loadDiffSigner(t)
	base, ctx := diffBase(t)
	var cases []diffCase
	add := func(name string, m refMark, c diffCase) {
		c.name = name
		c.text = diffText(m.body(), s.sign(m.keyID, m.body()))
		cases = append(cases, c)
	}
	field := func(name string, f func(m *refMark)) {
		m := base
		f(&m)
		add(name, m, ctx)
	}

	for _, v := range []uint8{0, 2, 255} {
		field(fmt.Sprint("version ", v), func(m *refMark) { m.version = v })
	}
	for _, alg := range []uint8{0, 1, 2, 3, 255} {
		for _, id := range []uint16{0, 1, 2, 3, 4, 5, 65535} {
			field(fmt.Sprintf("alg %d key %d", alg, id), func(m *refMark) { m.alg, m.keyID = alg, id })
		}
	}
	for _, n := range []uint64{0, 1, 1<<64 - 1, diffRevoked} {
		field(fmt.Sprint("serial ", n), func(m *refMark) { m.serial = n })
	}
	for _, n := range []uint32{0, 1, 1<<32 - 1} {
		field(fmt.Sprint("contract ", n), func(m *refMark) { m.contract = n })
	}
	for f := range 256 {
		field(fmt.Sprint("flags ", f), func(m *refMark) { m.flags = uint8(f) })
	}
	for _, o := range []uint32{0, 1, 101000, 425999, 426001, 999999, 1000000, 1<<32 - 1} {
		field(fmt.Sprint("office ", o), func(m *refMark) { m.office = o })
	}

	// Weights at every band edge of every class, paid one kopeck under, at and
	// over the price of both tariff versions, with and without notice.
	weights := []uint16{0, 1, 19, 20, 21, 40, 41, 60, 61, 100, 101, 250, 251, 500, 501, 1000, 1001, 2000, 2001, 65535}
	for _, issued := range []string{"2025-12-31", "2026-01-01"} {
		day := uint16(refDay(t, issued))
		tv := d.ref.tariffAt(int(day))
		for class := range uint8(7) {
			for _, flags := range []uint8{0, 1} {
				for _, w := range weights {
					price := 0
					for _, b := range tv.classes[int(class)] {
						if b.maxG >= int(w) {
							price = b.kop + int(flags)*tv.notice
							break
						}
					}
					for _, kop := range []int{0, price - 1, price, price + 1} {
						if kop < 0 {
							continue
						}
						field(fmt.Sprintf("issued %s class %d flags %d weight %d paid %d", issued, class, flags, w, kop), func(m *refMark) {
							m.issued, m.class, m.flags, m.weight, m.tariff = day, class, flags, w, uint32(kop)
						})
					}
				}
			}
		}
	}

	// Dates around the acceptance day and each key's validity window.
	today := uint16(ctx.date)
	for _, iss := range []uint16{0, today - 1, today, today + 1, 65535} {
		for _, until := range []uint16{0, iss - 1, today - 1, today, today + 1, 65535} {
			field(fmt.Sprintf("issued %d until %d", iss, until), func(m *refMark) { m.issued, m.validUntil = iss, until })
		}
	}
	for id, k := range d.ref.keys {
		edges := []int{k.from - 1, k.from, k.until, k.until + 1}
		if k.revokedFrom >= 0 {
			edges = append(edges, k.revokedFrom-1, k.revokedFrom)
		}
		for _, e := range edges {
			m := base
			m.keyID, m.alg, m.issued, m.validUntil, m.tariff = id, k.alg, uint16(e), uint16(e+30), 100000
			c := ctx
			c.date = e
			add(fmt.Sprintf("key %d issued %d", id, e), m, c)
		}
	}

	for _, class := range []uint8{1, 2, 5} {
		for _, n := range []uint64{0, base.tracking, base.tracking + 1, refTracking(1), refTracking(123456_0000001), 99999999999999,
			100000000000000, 100000000000000 + base.tracking, 1<<64 - 1} {
			field(fmt.Sprintf("class %d tracking %d", class, n), func(m *refMark) { m.class, m.tracking, m.tariff = class, n, 100000 })
		}
	}

	for _, class := range []uint8{2, 5} {
		for _, w := range []int{0, 1, 19, 20, 21, 65536, 1 << 30} {
			m := base
			m.class = class
			c := ctx
			c.measured = w
			add(fmt.Sprintf("class %d measured %d", class, w), m, c)
		}
	}
	for _, day := range []int{0, 65535} {
		c := ctx
		c.date = day
		add(fmt.Sprint("acceptance day ", day), base, c)
	}
	for _, o := range []uint32{0, 426001} {
		c := ctx
		c.office = o
		add(fmt.Sprint("acceptance office ", o), base, c)
	}

	cases = append(cases, textVariants(s, base, ctx)...)
	cases = append(cases, signatureVariants(s, base, ctx)...)
	d.compare(cases)
	t.Logf("%d inputs compared", len(cases))
}

// textVariants are the §1 tolerances and what lies just outside them.
func textVariants(s *diffSigner, base refMark, ctx diffCase) []diffCase {
	good := diffText(base.body(), s.sign(base.keyID, base.body()))
	payload := strings.TrimPrefix(good, "EPM1:")
	var out []diffCase
	add := func(name, text string) {
		c := ctx
		c.name, c.text = name, text
		out = append(out, c)
	}
	add("good", good)
	add("lower payload", "EPM1:"+strings.ToLower(payload))
	add("lower all", strings.ToLower(good))
	add("mixed prefix", "Epm1:"+payload)
	add("mixed payload", "EPM1:"+strings.ToLower(payload[:80])+payload[80:])
	for _, ws := range []string{" ", "\t", "\r", "\n", "\r\n", "\v", "\f", "\u00a0", "\x00", "  \t "} {
		add(fmt.Sprintf("leading %q", ws), ws+good)
		add(fmt.Sprintf("trailing %q", ws), good+ws)
		add(fmt.Sprintf("inside %q", ws), good[:50]+ws+good[50:])
		add(fmt.Sprintf("after prefix %q", ws), "EPM1:"+ws+payload)
	}
	for _, aim := range []string{"]Q0", "]Q1", "]Q3", "]Q6", "]Q7", "]q1", "]C1", "]Q1]Q1", "]Q", "]"} {
		add("aim "+aim, aim+good)
		add("aim, white space "+aim, " "+aim+good+"\r\n")
	}
	add("aim then space", "]Q1 "+good)
	add("padding", good+"=")
	add("padding inside", good[:171]+"=")
	add("prefix only", "EPM1:")
	add("no colon", "EPM1"+payload)
	add("double prefix", "EPM1:"+good)
	add("huge non-mark", strings.Repeat("A", 100000))
	add("huge mark", good+strings.Repeat("A", 5000))
	add("long white space, non-mark", strings.Repeat(" ", 5000)+"X")
	// A mark padded with white space past mark.MaxInputSize: the limit
	// applies to the text without it (§1, spec-audit.md item 8).
	add("mark in 5000 spaces", strings.Repeat(" ", 5000)+good+strings.Repeat(" ", 5000))
	add("mark in tabs, NBSP and U+3000", strings.Repeat("\t", 5000)+good+strings.Repeat("\u00a0\u3000", 1000)+"\r\n")
	for n := 1; n <= 8; n++ {
		add(fmt.Sprint("cut ", n), good[:len(good)-n])
		add(fmt.Sprint("extra ", n), good+strings.Repeat("A", n))
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" {
		add(fmt.Sprintf("last char %c", c), good[:171]+string(c))
	}
	for i := 5; i < len(good); i++ {
		for _, c := range []string{"0", "1", "8", "9", "=", "-", "@", "[", "`", "{", "a", "7", "é"} {
			if string(good[i]) != c {
				add(fmt.Sprintf("char %d = %s", i, c), good[:i]+c+good[i+1:])
			}
		}
	}
	return out
}

// signatureVariants are malleated and degenerate signatures (§3).
func signatureVariants(s *diffSigner, base refMark, ctx diffCase) []diffCase {
	var out []diffCase
	add := func(name string, m refMark, sig []byte) {
		c := ctx
		c.name, c.text = name, diffText(m.body(), sig)
		out = append(out, c)
	}
	ed := s.sign(1, base.body())
	add("ed25519 S+L", base, withSigS(ed, new(big.Int).Add(sigS(ed), ed25519L)))
	add("ed25519 S=0", base, withSigS(ed, big.NewInt(0)))
	add("ed25519 zero", base, make([]byte, 64))
	hexb := func(h string) []byte { b, _ := hex.DecodeString(h); return b }
	order8 := hexb("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	order4 := hexb("0000000000000000000000000000000000000000000000000000000000000000")
	order2 := hexb("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	body := base.body()
	add("ed25519 own nonce", base, ed25519Edge(s, body, 12345, nil, nil))
	add("ed25519 R identity", base, ed25519Edge(s, body, 0, nil, hexb("0100000000000000000000000000000000000000000000000000000000000000")))
	add("ed25519 R identity, y=p+1", base, ed25519Edge(s, body, 0, nil, hexb("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")))
	add("ed25519 R identity, x sign set", base, ed25519Edge(s, body, 0, nil, hexb("0100000000000000000000000000000000000000000000000000000000000080")))
	add("ed25519 R order 4, y=p", base, ed25519Edge(s, body, 0, nil, hexb("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")))
	for name, T := range map[string][]byte{"8": order8, "4": order4, "2": order2} {
		add("ed25519 R small order "+name, base, ed25519Edge(s, body, 0, nil, T))
		add("ed25519 R with torsion of order "+name, base, ed25519Edge(s, body, 777, T, nil))
	}

	m := base
	m.alg, m.keyID = 2, 2
	ec := s.sign(2, m.body())
	n := elliptic.P256().Params().N
	r, sv := new(big.Int).SetBytes(ec[:32]), new(big.Int).SetBytes(ec[32:])
	pair := func(r, s *big.Int) []byte {
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	add("ecdsa good", m, ec)
	add("ecdsa n-s", m, pair(r, new(big.Int).Sub(n, sv)))
	add("ecdsa r+n", m, pair(new(big.Int).Add(r, n).Mod(new(big.Int).Add(r, n), new(big.Int).Lsh(big.NewInt(1), 256)), sv))
	add("ecdsa r=0", m, pair(big.NewInt(0), sv))
	add("ecdsa s=0", m, pair(r, big.NewInt(0)))
	add("ecdsa s=n", m, pair(r, n))
	add("ecdsa ones", m, slices.Repeat([]byte{0xff}, 64))
	return out
}

// ed25519Edge signs body with key 1 choosing R itself: R = [r]B + T for a
// torsion point T given by its encoding (nil = none), or R given outright as
// enc with r = 0. RFC 8032 lets a verifier check the group equation with or
// without the cofactor, so these probe only that markd is one verifier: Verify
// and VerifyBatch must agree, and agree with the reference's strict reading
// wherever the two equations agree.
func ed25519Edge(s *diffSigner, body []byte, r uint64, torsion, enc []byte) []byte {
	h := sha512.Sum512(s.ed[1].Seed())
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	pub := s.ed[1].Public().(ed25519.PublicKey)
	rs := edwards25519.NewScalar()
	if r != 0 {
		var b [64]byte
		binary.LittleEndian.PutUint64(b[:], r)
		rs, _ = edwards25519.NewScalar().SetUniformBytes(b[:])
	}
	R := enc
	if R == nil {
		P := new(edwards25519.Point).ScalarBaseMult(rs)
		if torsion != nil {
			T, err := new(edwards25519.Point).SetBytes(torsion)
			if err != nil {
				panic(err)
			}
			P.Add(P, T)
		}
		R = P.Bytes()
	}
	kh := sha512.New()
	kh.Write(R)
	kh.Write(pub)
	kh.Write(refMessage(body))
	k, _ := edwards25519.NewScalar().SetUniformBytes(kh.Sum(nil))
	S := edwards25519.NewScalar().MultiplyAdd(k, a, rs)
	return append(slices.Clone(R), S.Bytes()...)
}
