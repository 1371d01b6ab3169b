package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// Third spec audit (docs/notes/spec-audit.md): the rules of MARK-FORMAT
// that the other tables of this package did not yet pin, each case built
// from the spec's words with marks signed by the test issuer keys and a
// fixed acceptance day (never today's).

// TestSpecAuditTextForm: §1 "The whole text is 172 characters and uses
// only QR alphanumeric mode characters ... (no lower case, no
// punctuation beyond `:`)", and the §1 input tolerances taken together:
// each tolerated variant is the same mark, with the same fields, as the
// canonical text (§7 step 5 "the same mark after the §1 input
// tolerances"); anything else is MALFORMED.
func TestSpecAuditTextForm(t *testing.T) {
	v := reasonsVerifier(t)
	keys := testdata.Keys(t)
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	base := mark.Mark{Serial: 7100000101, Contract: 1004417, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
		TariffKop: 10500, Office: 426000, Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-02-20"),
		Tracking: issuer.Tracking(426000, 101)}
	for _, id := range []uint16{1, 2} {
		text, err := keys[id].Sign(base)
		if err != nil {
			t.Fatal(err)
		}
		if len(text) != 172 || strings.IndexByte(text, ':') != 4 || !strings.HasPrefix(text, "EPM1:") {
			t.Fatalf("key %d: text %q: §1 wants 172 characters, EPM1: first", id, text)
		}
		for i, c := range text {
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':') {
				t.Fatalf("key %d: character %q at %d is not upper-case alphanumeric or ':'", id, c, i)
			}
		}
		canon := v.Verify(text, ctx)
		if canon.Verdict != mark.Accept || canon.Mark == nil {
			t.Fatalf("key %d: canonical text %s %v", id, canon.Verdict, canon.Reasons)
		}
		lower := "EPM1:" + strings.ToLower(text[5:])
		for _, tc := range []struct {
			name string
			text string
			ok   bool
		}{
			{"leading CRLF, AIM ]Q2, lower case, trailing CR", "\r\n]Q2" + lower + "\r", true},
			{"tab before, LF after", "\t" + text + "\n", true},
			{"two line ends after", text + "\r\n\r\n", true},
			{"AIM ]Q6, lower case, trailing CRLF", "]Q6" + lower + "\r\n", true},
			{"trailing NUL (not white space)", text + "\x00", false},
			{"NUL inside", text[:100] + "\x00" + text[101:], false},
			{"trailing '=' after a line end is inside", text + "\n=", false},
			{"two marks glued", text + text[5:], false},
			{"digit 1 (not in A–Z2–7)", text[:60] + "1" + text[61:], false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := v.Verify(tc.text, ctx)
				if !tc.ok {
					if res.Verdict != mark.Reject || !reflect.DeepEqual(res.Reasons, []mark.Reason{mark.ReasonMalformed}) || res.Mark != nil {
						t.Fatalf("got %s %v (fields %v), want REJECT [MALFORMED] and no fields", res.Verdict, res.Reasons, res.Mark != nil)
					}
					return
				}
				if res.Verdict != mark.Accept || res.Mark == nil || *res.Mark != *canon.Mark {
					t.Fatalf("got %s %v %+v, want ACCEPT with the canonical text's fields %+v", res.Verdict, res.Reasons, res.Mark, canon.Mark)
				}
			})
		}
	}
}

// TestSpecAuditStepFour: step-4 readings not pinned elsewhere.
func TestSpecAuditStepFour(t *testing.T) {
	v := reasonsVerifier(t)
	keys := testdata.Keys(t)
	base := mark.Mark{Serial: 7100000201, Contract: 1004417, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
		TariffKop: 10500, Office: 426000, Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-02-20"),
		Tracking: issuer.Tracking(426000, 201)}
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	type R = mark.Reason
	for _, c := range []struct {
		name string
		key  uint16
		edit func(m *mark.Mark, c *mark.Context)
		want []R
	}{
		// §7 step 4 "all of these that apply, each reported", in the
		// order written: ten at once (UNKNOWN_CLASS excludes the tariff
		// and tracking checks, MISSING_TRACKING excludes BAD_TRACKING,
		// a declared weight above the bands excludes UNDERPAID, so ten is
		// the most one mark can carry). Key 3: valid until 2027-12-31,
		// revoked from 2026-03-01; issued 2028-01-01 is outside it and
		// after the revocation; valid_until the day before issued;
		// accepted between the two; another office; a scale reading over
		// the declared 20 g; one kopeck short of the 2026 price; a wrong
		// check digit; serial 667 on the revocation list.
		{"ten reasons in §7 order", 3, func(m *mark.Mark, c *mark.Context) {
			m.Issued, m.ValidUntil = day(t, "2028-01-01"), day(t, "2027-12-30")
			c.Date = day(t, "2027-12-31")
			m.Office, m.TariffKop, m.Tracking, m.Flags, m.Serial = 101000, 10499, m.Tracking+1, 4, 667
			c.MeasuredWeightG = 21
		}, []R{"KEY_NOT_VALID", "KEY_REVOKED", "NOT_YET_VALID", "EXPIRED", "WRONG_OFFICE", "OVERWEIGHT", "UNDERPAID",
			"BAD_TRACKING", "MALFORMED", "REVOKED"}},
		// §4 "weight_g above the heaviest band is OVERWEIGHT (and no
		// UNDERPAID is reported then: there is no price to compare)",
		// also when notice of delivery is set and nothing is paid.
		{"above the bands with notice, nothing paid", 1, func(m *mark.Mark, _ *mark.Context) {
			m.WeightG, m.Flags, m.TariffKop = 101, 1, 0
		}, []R{"OVERWEIGHT"}},
		// §4 "an unknown class gets neither a tariff nor a tracking
		// check": nothing paid, no tracking, notice set (notice on a
		// *non-registered* class is MALFORMED; an unknown class is not
		// known to be non-registered: docs/notes/verify.md).
		{"unknown class, notice, nothing paid, no tracking", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.Flags, m.TariffKop, m.Tracking = 5, 1, 0, 0
		}, []R{"UNKNOWN_CLASS"}},
		{"unknown class 255 above the bands", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.WeightG = 255, 65535
		}, []R{"UNKNOWN_CLASS"}},
		// §5 applies to every registered class alike.
		{"postcard, wrong check digit", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.TariffKop, m.Tracking = 4, 9000, m.Tracking+1
		}, []R{"BAD_TRACKING"}},
		{"printed matter, tracking 10^14", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.TariffKop, m.Tracking = 3, 17000, 100_000_000_000_000
		}, []R{"BAD_TRACKING"}},
		// §4 "the required amount is the price of the first weight band
		// whose max_g is ≥ weight_g": each band edge of printed matter
		// (2026: 100 g 170,00; 250 g 215,00; 500 g 280,00; 1000 g 370,00).
		{"printed matter 250 g at the 250 g price", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.WeightG, m.TariffKop = 3, 250, 21500
		}, nil},
		{"printed matter 251 g at the 250 g price", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.WeightG, m.TariffKop = 3, 251, 21500
		}, []R{"UNDERPAID"}},
		{"printed matter 1000 g at the 1000 g price", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.WeightG, m.TariffKop = 3, 1000, 37000
		}, nil},
		{"printed matter 1001 g at the 1000 g price", 1, func(m *mark.Mark, _ *mark.Context) {
			m.MailClass, m.WeightG, m.TariffKop = 3, 1001, 37000
		}, []R{"UNDERPAID"}},
		// §4 "the version in force on the issue date applies", not the
		// one of the acceptance date: issued on the last day of the 2025
		// table, accepted under the 2026 one.
		{"2025 price, issued 2025-12-31, accepted 2026-01-02", 1, func(m *mark.Mark, c *mark.Context) {
			m.Issued, m.ValidUntil, m.TariffKop = day(t, "2025-12-31"), day(t, "2026-01-31"), 9200
			c.Date = day(t, "2026-01-02")
		}, nil},
		{"2025 price, issued 2026-01-01 (the new table's first day)", 1, func(m *mark.Mark, c *mark.Context) {
			m.Issued, m.ValidUntil, m.TariffKop = day(t, "2026-01-01"), day(t, "2026-01-31"), 9200
			c.Date = day(t, "2026-01-02")
		}, []R{"UNDERPAID"}},
		// §6 validity and revocation are judged on the *issue date*, not
		// the acceptance date: key 4 (valid until 2025-12-31) signed on
		// its last day, accepted in 2026; key 3 signed the day before its
		// revocation, accepted after it.
		{"key 4 on its last day, accepted after it", 4, func(m *mark.Mark, c *mark.Context) {
			m.Issued, m.ValidUntil, m.TariffKop = day(t, "2025-12-31"), day(t, "2026-03-31"), 9200
			c.Date = day(t, "2026-03-31")
		}, nil},
		{"key 3 the day before revoked_from, accepted after it", 3, func(m *mark.Mark, c *mark.Context) {
			m.Issued, m.ValidUntil, m.TariffKop = day(t, "2026-02-28"), day(t, "2026-12-31"), 10500
			c.Date = day(t, "2026-12-31")
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, cx := base, ctx
			c.edit(&m, &cx)
			text, err := keys[c.key].Sign(m)
			if err != nil {
				t.Fatal(err)
			}
			res := v.Verify(text, cx)
			want := append([]R{}, c.want...)
			wantVerdict := mark.Accept
			if len(want) > 0 {
				wantVerdict = mark.Reject
			}
			if res.Verdict != wantVerdict || !reflect.DeepEqual(res.Reasons, want) {
				t.Fatalf("got %s %v, want %s %v", res.Verdict, res.Reasons, wantVerdict, want)
			}
			if res.Mark == nil || res.Mark.Serial != m.Serial || res.Mark.Tracking != m.Tracking {
				t.Fatalf("fields of a verified mark not reported as signed: %+v", res.Mark)
			}
		})
	}
}

// TestSpecAuditKeyringPublicForms: §6 "the public key (Ed25519: 32 raw
// bytes; P-256: SEC 1 uncompressed point, 65 bytes; both base64)". The
// test key 2 written in another SEC 1 form, or an Ed25519 key of the
// wrong length, is refused with the entry named; written as the spec
// says it loads.
func TestSpecAuditKeyringPublicForms(t *testing.T) {
	const p256 = "BJgWuPUVODEuXNLxSpUu5/iZiFE+sXTPxDCfVrPFvHX8oz0is0AfAGydqX9wa0IPO/TbQrFKxVKwNgZ/fGhEUO4="
	raw, err := base64.StdEncoding.DecodeString(p256)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatal(err)
	}
	compressed := elliptic.MarshalCompressed(elliptic.P256(), pub.X, pub.Y) //nolint:staticcheck // the SEC 1 compressed form, to be refused
	hybrid := append([]byte{0x06 | raw[64]&1}, raw[1:]...)                  // SEC 1 hybrid form, 65 bytes
	ed := "HVsPDCCy5PbkZGC745xJtKmV+YwaFV7V7pe/5dvc9Zc="
	edRaw, _ := base64.StdEncoding.DecodeString(ed)
	entry := func(alg, public string) string {
		return "keys:\n  - {id: 2, alg: " + alg + ", public: \"" + public + "\", valid_from: 2025-06-01, valid_until: 2027-12-31}\n"
	}
	b64 := base64.StdEncoding.EncodeToString
	for _, tc := range []struct {
		name, data string
		ok         bool
	}{
		{"P-256 uncompressed, 65 bytes", entry("ecdsa-p256", p256), true},
		{"P-256 compressed, 33 bytes", entry("ecdsa-p256", b64(compressed)), false},
		{"P-256 hybrid, 65 bytes", entry("ecdsa-p256", b64(hybrid)), false},
		{"P-256 raw X||Y, 64 bytes", entry("ecdsa-p256", b64(raw[1:])), false},
		{"Ed25519, 32 bytes", entry("ed25519", ed), true},
		{"Ed25519, 33 bytes", entry("ed25519", b64(append(edRaw, 0))), false},
		{"Ed25519 key under alg ecdsa-p256", entry("ecdsa-p256", ed), false},
		{"P-256 key under alg ed25519", entry("ed25519", p256), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := verify.ParseKeyring("ring.yaml", []byte(tc.data))
			if tc.ok {
				if err != nil || k.Len() != 1 {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			checkLoadErr(t, err, []string{"ring.yaml", "keys[0] (id 2)"})
		})
	}
}
