package specoracle

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/cryptotest"

	"markd/internal/testdata"
)

// variation changes one field (or a few, for several reasons at once) of
// a valid mark.
type variation struct {
	name string
	f    func(f *oFields, w *world, office uint32)
}

// systematic returns every field at its bounds and one past, and the
// combinations that give several reasons at once.
func systematic(w *world) []variation {
	var vs []variation
	add := func(name string, f func(*oFields, *world, uint32)) { vs = append(vs, variation{name, f}) }
	for _, x := range []uint8{0, 2, 255} {
		add(fmt.Sprintf("version=%d", x), func(f *oFields, _ *world, _ uint32) { f.version = x })
	}
	for _, x := range []uint8{0, 1, 2, 3, 255} {
		add(fmt.Sprintf("alg=%d", x), func(f *oFields, _ *world, _ uint32) { f.alg = x })
	}
	for _, x := range []uint16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 65534, 65535} {
		add(fmt.Sprintf("key_id=%d", x), func(f *oFields, w *world, _ uint32) {
			f.keyID = x
			if k, ok := w.o.keys[int(x)]; ok {
				f.alg = map[string]uint8{"ed25519": 1, "ecdsa-p256": 2}[k.alg]
			}
		})
	}
	for _, x := range append([]uint64{2, 1<<64 - 2}, w.revokedSerials...) {
		add(fmt.Sprintf("serial=%d", x), func(f *oFields, _ *world, _ uint32) { f.serial = x })
	}
	for _, x := range []uint32{0, 1, 1<<32 - 1} {
		add(fmt.Sprintf("contract=%d", x), func(f *oFields, _ *world, _ uint32) { f.contract = x })
	}
	for _, x := range []uint8{0, 1, 2, 3, 4, 5, 255} {
		add(fmt.Sprintf("class=%d", x), func(f *oFields, _ *world, _ uint32) { f.class = x })
	}
	for _, x := range []uint8{1, 2, 3, 0x80, 0xFF} {
		add(fmt.Sprintf("flags=%#x", x), func(f *oFields, _ *world, _ uint32) { f.flags = x })
		add(fmt.Sprintf("flags=%#x simple", x), func(f *oFields, _ *world, _ uint32) { f.flags, f.class, f.tracking = x, 1, 0 })
	}
	for _, x := range []uint16{0, 1, 19, 20, 21, 100, 101, 2000, 2001, 65534, 65535} {
		for _, class := range []uint8{1, 2, 3, 4} {
			add(fmt.Sprintf("weight=%d class=%d paid", x, class), func(f *oFields, w *world, _ uint32) {
				f.weight, f.class = x, class
				due, _, _ := w.o.price(f.issued, int(class), int64(x), f.flags&1 != 0)
				f.tariff = uint32(min(due, 1<<32-1))
			})
		}
	}
	for _, d := range []int64{-1, 0, 1} {
		for _, notice := range []uint8{0, 1} {
			add(fmt.Sprintf("tariff=due%+d notice=%d", d, notice), func(f *oFields, w *world, _ uint32) {
				f.flags = notice
				due, _, _ := w.o.price(f.issued, int(f.class), int64(f.weight), notice == 1)
				f.tariff = uint32(min(max(due+d, 0), 1<<32-1))
			})
		}
	}
	for _, x := range []uint32{0, 1 << 31, 1<<32 - 1} {
		add(fmt.Sprintf("tariff=%d", x), func(f *oFields, _ *world, _ uint32) { f.tariff = x })
	}
	for _, d := range []int64{-1, 0, 1} {
		add(fmt.Sprintf("office=own%+d", d), func(f *oFields, _ *world, o uint32) { f.office = uint32(int64(o) + d) })
	}
	add("office=max", func(f *oFields, _ *world, _ uint32) { f.office = 1<<32 - 1 })
	for _, a := range w.anchors {
		add("issued="+a.String(), func(f *oFields, _ *world, _ uint32) { f.issued, f.until = a, clampDay(a+30) })
		add("until="+a.String(), func(f *oFields, _ *world, _ uint32) { f.until = a })
	}
	for _, d := range []oDay{-2, -1, 0, 1, 2} {
		add(fmt.Sprintf("issued=today%+d", d), func(f *oFields, _ *world, _ uint32) { f.issued += d })
		add(fmt.Sprintf("until=today%+d", d), func(f *oFields, _ *world, _ uint32) { f.until = f.issued + 3 + d })
	}
	good := validTracking(426000, 1)
	for _, x := range []uint64{0, good - 1, good + 1, validTracking(0, 0), validTracking(0, 1), 1,
		99_999_999_999_999, 100_000_000_000_000, 100_000_000_000_000 + good, 1<<64 - 1, validTracking(999999, 9999999)} {
		for _, class := range []uint8{1, 2} {
			add(fmt.Sprintf("tracking=%d class=%d", x, class), func(f *oFields, _ *world, _ uint32) { f.tracking, f.class = x, class })
		}
	}
	add("every step-4 reason", func(f *oFields, _ *world, _ uint32) {
		f.keyID, f.issued, f.until = 3, f.issued+1, f.issued-5 // KEY_REVOKED, NOT_YET_VALID, EXPIRED, MALFORMED
		f.office, f.weight, f.tariff, f.tracking, f.flags, f.contract, f.serial = 1, 65535, 0, 5, 2, 0, 1
	})
	add("unknown class, measured and notice", func(f *oFields, _ *world, _ uint32) { f.class, f.flags, f.weight, f.tracking = 9, 1, 1, 3 })
	return vs
}

// TestOracleSystematic judges every variation of a valid mark in every
// scene, on the shared and the edge lists.
func TestOracleSystematic(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	dir := testdata.Dir(t)
	for _, w := range []*world{sharedWorld(t, dir), edgeWorld(t, dir)} {
		t.Run(w.name, func(t *testing.T) {
			v := loadVerifier(t, w)
			byScene := make([][]genCase, len(scenes))
			for si, sc := range scenes {
				at, loc := sc.time(t)
				today := acceptanceDay(at, loc)
				for vi, vr := range append([]variation{{"valid", func(*oFields, *world, uint32) {}}}, systematic(w)...) {
					// Date variations in every scene, the others in every
					// sixth (their verdict does not depend on the day).
					if vi > 0 && si%6 != 0 && !strings.HasPrefix(vr.name, "issued=") && !strings.HasPrefix(vr.name, "until=") {
						continue
					}
					f := baseMark(w, today, sc.office)
					vr.f(&f, w, sc.office)
					f.issued, f.until = clampDay(f.issued), clampDay(f.until)
					body := encodeBody(f)
					text := encodeText(body, w.s.sign(t, int(f.keyID), body))
					byScene[si] = append(byScene[si], genCase{desc: vr.name, how: "plain", text: text, scene: si})
					for mi, m := range mutations { // every text form of the valid mark, one of each variation
						if vi == 0 || mi == vi%len(mutations) {
							r := rand.New(rand.NewPCG(uint64(vi), uint64(mi)))
							byScene[si] = append(byScene[si], genCase{desc: vr.name, how: m.name, text: m.f(r, text), scene: si})
						}
					}
				}
			}
			checkCases(t, w, v, byScene)
		})
	}
}

// baseMark is a valid mark for an acceptance on day today at office: key 1
// (or a key valid then), a registered letter paid exactly.
func baseMark(w *world, today oDay, office uint32) oFields {
	f := oFields{version: 1, alg: 1, keyID: 1, serial: 5000, contract: 1004417, class: 2, weight: 20,
		office: office, issued: today - 1, until: today + 30, tracking: validTracking(426000, 7)}
	for _, id := range w.keyIDs() { // a key valid and not revoked on the issue day, if any
		k := w.o.keys[id]
		if k.from <= f.issued && f.issued <= k.until && !(k.revoked && f.issued >= k.revokedFrom) {
			f.keyID = uint16(id)
			f.alg = map[string]uint8{"ed25519": 1, "ecdsa-p256": 2}[k.alg]
			break
		}
	}
	due, _, _ := w.o.price(f.issued, 2, 20, false)
	f.tariff = uint32(min(due, 1<<32-1))
	return f
}
