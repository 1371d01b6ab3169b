package verify_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// TestTariffExtremes judges marks under a table whose prices are at the
// loader's limits: a band and the notice of 2^31 kopecks each add up to
// 2^32, more than any tariff_kop, so every such mark is UNDERPAID (§4).
func TestTariffExtremes(t *testing.T) {
	dir := testdata.Dir(t)
	k, err := verify.LoadKeyring(filepath.Join(dir, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := verify.ParseTariffs("huge.yaml", []byte("versions:\n  - effective: 2025-01-01\n    notice_of_delivery_kop: 2147483648\n"+
		"    classes:\n      - {code: 2, bands: [{max_g: 20, kop: 2147483648}, {max_g: 40, kop: 2147483647}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := verify.New(k, tr, nil)
	key := testdata.Keys(t)[1]
	base := mark.Mark{Serial: 1, Contract: 1, MailClass: mark.ClassRegisteredLetter, WeightG: 20, Office: 426000,
		Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-02-20"), Tracking: issuer.Tracking(426000, 1)}
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	cases := []struct {
		name   string
		flags  uint8
		weight uint16
		kop    uint32
		want   []mark.Reason
		price  uint32 // Tariffs.Price; 0 = no price
	}{
		{"band 2^31 paid", 0, 20, 1 << 31, []mark.Reason{}, 1 << 31},
		{"band 2^31 underpaid", 0, 20, 1<<31 - 1, []mark.Reason{mark.ReasonUnderpaid}, 1 << 31},
		{"band and notice 2^32 unpaid", 1, 20, 0, []mark.Reason{mark.ReasonUnderpaid}, 0},
		{"band and notice 2^32, max paid", 1, 20, 1<<32 - 1, []mark.Reason{mark.ReasonUnderpaid}, 0},
		{"band 2^31-1 and notice paid", 1, 40, 1<<32 - 1, []mark.Reason{}, 1<<32 - 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base
			m.Flags, m.WeightG, m.TariffKop = c.flags, c.weight, c.kop
			text, err := key.Sign(m)
			if err != nil {
				t.Fatal(err)
			}
			if res := v.Verify(text, ctx); !reflect.DeepEqual(res.Reasons, c.want) {
				t.Fatalf("reasons %v, want %v", res.Reasons, c.want)
			}
			price, ok := tr.Price(m.Issued, m.MailClass, m.WeightG, m.NoticeOfDelivery())
			if price != c.price || ok != (c.price != 0) {
				t.Fatalf("Price = %d, %v; want %d", price, ok, c.price)
			}
		})
	}
}
