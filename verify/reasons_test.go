package verify_test

import (
	"crypto/elliptic"
	"path/filepath"
	"reflect"
	"testing"

	"markd/decode"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

func day(t testing.TB, s string) mark.Day {
	t.Helper()
	d, err := mark.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const revokedSerial = 666

func reasonsVerifier(t testing.TB) *verify.Verifier {
	t.Helper()
	dir := testdata.Dir(t)
	k, err := verify.LoadKeyring(filepath.Join(dir, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := verify.LoadTariffs(filepath.Join(dir, "tariffs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := verify.ParseRevocations("revoked.txt", []byte("# refunds\n# version: r1\n666\n  667  # cancelled\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	return verify.New(k, tr, r)
}

// TestReasons makes marks with the test issuer keys, one fault at a time
// and some together, and checks the exact reasons in the order of §7.
func TestReasons(t *testing.T) {
	v := reasonsVerifier(t)
	keys := testdata.Keys(t)
	rogue, err := issuer.Generate(issuer.AlgEd25519, 1, 0, 65535)
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := issuer.Generate(issuer.AlgEd25519, 9, 0, 65535)
	if err != nil {
		t.Fatal(err)
	}
	base := mark.Mark{
		Serial: 1000, Contract: 1004417, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
		TariffKop: 10500, Office: 426000, Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-02-20"),
		Tracking: issuer.Tracking(426000, 1),
	}
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	type R = mark.Reason
	cases := []struct {
		name   string
		key    issuer.Key
		edit   func(m *mark.Mark, c *mark.Context)
		want   []R
		signed bool // Result.Mark must be set
	}{
		{"accept ed25519", keys[1], nil, nil, true},
		{"accept p-256", keys[2], nil, nil, true},
		{"accept any office", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Office = 0 }, nil, true},
		{"accept on valid_until", keys[1], func(m *mark.Mark, c *mark.Context) { c.Date = m.ValidUntil }, nil, true},
		{"accept on issue day", keys[1], func(m *mark.Mark, c *mark.Context) { c.Date = m.Issued }, nil, true},
		{"accept overpaid", keys[1], func(m *mark.Mark, _ *mark.Context) { m.TariffKop = 1 << 30 }, nil, true},
		{"accept notice paid", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Flags, m.TariffKop = 1, 10500+11000 }, nil, true},
		{"accept measured = declared", keys[1], func(_ *mark.Mark, c *mark.Context) { c.MeasuredWeightG = 20 }, nil, true},
		{"accept simple letter keeps valid tracking", keys[1], func(m *mark.Mark, _ *mark.Context) { m.MailClass, m.TariffKop = 1, 5000 }, nil, true},
		{"accept key 3 the day before revocation", keys[3], func(m *mark.Mark, _ *mark.Context) { m.Issued = day(t, "2026-02-28") }, nil, true},
		{"accept 2025 tariff by issue date", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Issued, m.TariffKop = day(t, "2025-12-31"), 9200 }, nil, true},
		{"accept tracking with leading zero", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Tracking = issuer.Tracking(1000, 5) }, nil, true},

		{"key not valid after", keys[4], nil, []R{"KEY_NOT_VALID"}, true},
		{"key not valid before", keys[2], func(m *mark.Mark, _ *mark.Context) { m.Issued, m.TariffKop = day(t, "2025-05-31"), 9200 }, []R{"KEY_NOT_VALID"}, true},
		{"key revoked on the day", keys[3], func(m *mark.Mark, _ *mark.Context) { m.Issued = day(t, "2026-03-01") }, []R{"KEY_REVOKED"}, true},
		{"not yet valid", keys[1], func(m *mark.Mark, c *mark.Context) { c.Date = m.Issued - 1 }, []R{"NOT_YET_VALID"}, true},
		{"expired", keys[1], func(m *mark.Mark, c *mark.Context) { c.Date = m.ValidUntil + 1 }, []R{"EXPIRED"}, true},
		{"wrong office", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Office = 101000 }, []R{"WRONG_OFFICE"}, true},
		{"unknown class 0 without tracking", keys[1], func(m *mark.Mark, _ *mark.Context) { m.MailClass, m.Tracking, m.TariffKop = 0, 0, 0 }, []R{"UNKNOWN_CLASS"}, true},
		{"unknown class 9 bad tracking", keys[1], func(m *mark.Mark, _ *mark.Context) { m.MailClass, m.Tracking = 9, 1 }, []R{"UNKNOWN_CLASS"}, true},
		{"declared above heaviest band", keys[1], func(m *mark.Mark, _ *mark.Context) { m.WeightG = 101 }, []R{"OVERWEIGHT"}, true},
		{"measured over declared", keys[1], func(_ *mark.Mark, c *mark.Context) { c.MeasuredWeightG = 21 }, []R{"OVERWEIGHT"}, true},
		{"measured over declared and underpaid", keys[1], func(m *mark.Mark, c *mark.Context) { c.MeasuredWeightG, m.TariffKop = 21, 10499 }, []R{"OVERWEIGHT", "UNDERPAID"}, true},
		{"declared and measured overweight once", keys[1], func(m *mark.Mark, c *mark.Context) { m.WeightG, c.MeasuredWeightG = 101, 500 }, []R{"OVERWEIGHT"}, true},
		{"underpaid by one", keys[1], func(m *mark.Mark, _ *mark.Context) { m.TariffKop = 10499 }, []R{"UNDERPAID"}, true},
		{"notice not paid", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Flags = 1 }, []R{"UNDERPAID"}, true},
		{"issued before any tariff version", keys[4], func(m *mark.Mark, _ *mark.Context) {
			m.Issued, m.ValidUntil = day(t, "2024-06-01"), day(t, "2026-12-31")
		}, []R{"UNDERPAID"}, true},
		{"missing tracking", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Tracking = 0 }, []R{"MISSING_TRACKING"}, true},
		{"bad check digit", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Tracking++ }, []R{"BAD_TRACKING"}, true},
		{"tracking 10^14", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Tracking = 100_000_000_000_000 }, []R{"BAD_TRACKING"}, true},
		{"simple letter bad check digit", keys[1], func(m *mark.Mark, _ *mark.Context) { m.MailClass, m.TariffKop, m.Tracking = 1, 5000, m.Tracking+1 }, []R{"BAD_TRACKING"}, true},
		{"reserved flag", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Flags = 0x80 }, []R{"MALFORMED"}, true},
		{"zero contract", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Contract = 0 }, []R{"MALFORMED"}, true},
		{"zero weight", keys[1], func(m *mark.Mark, _ *mark.Context) { m.WeightG = 0 }, []R{"MALFORMED"}, true},
		{"valid_until before issued", keys[1], func(m *mark.Mark, c *mark.Context) { m.ValidUntil = m.Issued - 1; c.Date = m.Issued - 1 }, []R{"NOT_YET_VALID", "MALFORMED"}, true},
		{"notice on simple letter", keys[1], func(m *mark.Mark, _ *mark.Context) { m.MailClass, m.Flags, m.TariffKop, m.Tracking = 1, 1, 16000, 0 }, []R{"MALFORMED"}, true},
		{"several malformations, one reason", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Flags, m.Contract = 2, 0 }, []R{"MALFORMED"}, true},
		{"revoked serial", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Serial = revokedSerial }, []R{"REVOKED"}, true},
		{"all step-4 reasons in order", keys[3], func(m *mark.Mark, c *mark.Context) {
			m.Issued, m.ValidUntil = day(t, "2026-11-26"), day(t, "2026-11-20")
			m.Office, m.WeightG, m.Tracking, m.Flags, m.Serial = 101000, 101, 0, 2, 667
		}, []R{"KEY_REVOKED", "NOT_YET_VALID", "EXPIRED", "WRONG_OFFICE", "OVERWEIGHT", "MISSING_TRACKING", "MALFORMED", "REVOKED"}, true},
		{"key not valid, underpaid, bad tracking", keys[4], func(m *mark.Mark, _ *mark.Context) { m.TariffKop, m.Tracking = 100, 12345 }, []R{"KEY_NOT_VALID", "UNDERPAID", "BAD_TRACKING"}, true},
		{"unknown class and the rest", keys[1], func(m *mark.Mark, c *mark.Context) { m.MailClass, c.MeasuredWeightG, m.Contract = 7, 30, 0 }, []R{"UNKNOWN_CLASS", "OVERWEIGHT", "MALFORMED"}, true},

		{"version 2", keys[1], func(m *mark.Mark, _ *mark.Context) { m.Version = 2 }, []R{"UNSUPPORTED_VERSION"}, false},
		{"version 255 unknown key", unknown, func(m *mark.Mark, _ *mark.Context) { m.Version = 255 }, []R{"UNSUPPORTED_VERSION"}, false},
		{"unknown key", unknown, nil, []R{"UNKNOWN_KEY"}, false},
		{"rogue key with a known id", rogue, nil, []R{"BAD_SIGNATURE"}, false},
		{"rogue key hides other faults", rogue, func(m *mark.Mark, _ *mark.Context) { m.Contract, m.Serial = 0, revokedSerial }, []R{"BAD_SIGNATURE"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, cx := base, ctx
			if c.edit != nil {
				c.edit(&m, &cx)
			}
			text, err := c.key.Sign(m)
			if err != nil {
				t.Fatal(err)
			}
			res := v.Verify(text, cx)
			want := append([]R{}, c.want...)
			if !reflect.DeepEqual(res.Reasons, want) {
				t.Fatalf("reasons %v, want %v", res.Reasons, want)
			}
			wantVerdict := mark.Accept
			if len(want) > 0 {
				wantVerdict = mark.Reject
			}
			if res.Verdict != wantVerdict {
				t.Fatalf("verdict %s, want %s", res.Verdict, wantVerdict)
			}
			if (res.Mark != nil) != c.signed {
				t.Fatalf("mark reported = %v, want %v", res.Mark != nil, c.signed)
			}
			if c.signed && res.Mark.Serial != m.Serial {
				t.Fatalf("decoded serial %d, want %d", res.Mark.Serial, m.Serial)
			}
		})
	}
}

// TestBadSignatures tampers with signed marks directly.
func TestBadSignatures(t *testing.T) {
	v := reasonsVerifier(t)
	keys := testdata.Keys(t)
	m := mark.Mark{Version: 1, Alg: mark.AlgECDSAP256, KeyID: 1, Serial: 5, Contract: 1, MailClass: 1, WeightG: 20,
		TariffKop: 5000, Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-01-01")}
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	// alg says P-256, key 1 is Ed25519 and really signed it.
	body := decode.EncodeBody(m)
	sig, err := keys[1].SignBody(body)
	if err != nil {
		t.Fatal(err)
	}
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	m2 := m
	m2.KeyID = 2
	body2 := decode.EncodeBody(m2)
	good2, err := keys[2].SignBody(body2)
	if err != nil {
		t.Fatal(err)
	}
	withR := func(r []byte) (s [64]byte) { s = good2; copy(s[:32], r); return }
	withS := func(b []byte) (s [64]byte) { s = good2; copy(s[32:], b); return }
	flipped := good2
	flipped[63] ^= 1
	cases := []struct {
		name string
		body [40]byte
		sig  [64]byte
		want mark.Reason // "" = accept
	}{
		{"p-256 good", body2, good2, ""},
		{"alg mismatch", body, sig, mark.ReasonBadSignature},
		{"p-256 r = 0", body2, withR(make([]byte, 32)), mark.ReasonBadSignature},
		{"p-256 s = 0", body2, withS(make([]byte, 32)), mark.ReasonBadSignature},
		{"p-256 r = N", body2, withR(n), mark.ReasonBadSignature},
		{"p-256 s = N", body2, withS(n), mark.ReasonBadSignature},
		{"p-256 bit flipped", body2, flipped, mark.ReasonBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := v.Verify(decode.Encode(c.body, c.sig), ctx)
			if c.want == "" {
				if res.Verdict != mark.Accept {
					t.Fatalf("verdict %s %v, want ACCEPT", res.Verdict, res.Reasons)
				}
				return
			}
			if !reflect.DeepEqual(res.Reasons, []mark.Reason{c.want}) || res.Mark != nil {
				t.Fatalf("reasons %v mark %v, want only %s", res.Reasons, res.Mark, c.want)
			}
		})
	}
}

func TestHolder(t *testing.T) {
	keys := testdata.Keys(t)
	text, err := keys[1].Sign(mark.Mark{Serial: revokedSerial, Contract: 1, MailClass: 1, WeightG: 20, TariffKop: 5000,
		Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	var h verify.Holder
	if res := h.Verify(text, ctx); res.Verdict != mark.Error {
		t.Fatalf("empty holder: verdict %s, want ERROR", res.Verdict)
	}
	plain := testdata.Verifier(t)
	h.Swap(plain)
	if res := h.Verify(text, ctx); res.Verdict != mark.Accept {
		t.Fatalf("verdict %s %v, want ACCEPT", res.Verdict, res.Reasons)
	}
	withRevocations := reasonsVerifier(t)
	h.Swap(withRevocations)
	if res := h.Verify(text, ctx); res.Verdict != mark.Reject {
		t.Fatalf("after swap: verdict %s, want REJECT (revoked)", res.Verdict)
	}
	if h.Current() != withRevocations || h.Versions().Revocations != "r1" {
		t.Fatalf("current %p versions %+v", h.Current(), h.Versions())
	}
	if got := verify.NewHolder(plain).Versions(); got.Revocations != "none" || len(got.Keyring) != 12 {
		t.Fatalf("versions %+v: want hashed keyring version and no revocations", got)
	}
}

// TestHolderConcurrentSwap judges marks while another goroutine swaps the
// lists: every verdict must come from one whole verifier (run with -race).
func TestHolderConcurrentSwap(t *testing.T) {
	keys := testdata.Keys(t)
	text, err := keys[1].Sign(mark.Mark{Serial: revokedSerial, Contract: 1, MailClass: 1, WeightG: 20, TariffKop: 5000,
		Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	a, b := testdata.Verifier(t), reasonsVerifier(t)
	h := verify.NewHolder(a)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			if i%2 == 0 {
				h.Swap(b)
			} else {
				h.Swap(a)
			}
		}
	}()
	for i := 0; i < 200; i++ {
		res := h.Verify(text, ctx)
		ok := res.Verdict == mark.Accept && len(res.Reasons) == 0 ||
			res.Verdict == mark.Reject && reflect.DeepEqual(res.Reasons, []mark.Reason{mark.ReasonRevoked})
		if !ok {
			t.Fatalf("verdict %s %v from neither list", res.Verdict, res.Reasons)
		}
	}
	<-done
}
