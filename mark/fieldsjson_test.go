package mark

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFieldsAppendJSON(t *testing.T) {
	m := Mark{Version: 1, Alg: 1, KeyID: 7, Serial: 123456789, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9890, Tracking: 42600000000015}
	for _, tc := range []struct {
		name string
		f    Fields
	}{
		{"mark", m.Fields()},
		{"zero", Fields{}},
		{"max", Fields{Version: math.MaxUint8, Alg: math.MaxUint8, KeyID: math.MaxUint16, Serial: math.MaxUint64,
			Contract: math.MaxUint32, MailClass: math.MaxUint8, Flags: math.MaxUint8, WeightG: math.MaxUint16,
			TariffKop: math.MaxUint32, Office: math.MaxUint32, Issued: "9999-12-31", ValidUntil: "0001-01-01",
			Tracking: math.MaxUint64}},
		{"escaped dates", Fields{Issued: `"<&>\`, ValidUntil: "д\u2028\x01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tc.f.AppendJSON([]byte("x"))); got != "x"+string(want) {
				t.Errorf("AppendJSON\n got %s\nwant x%s", got, want)
			}
		})
	}
}

// FuzzFieldsAppendJSON: AppendJSON writes what json.Marshal writes, and it
// reads back to the same fields.
func FuzzFieldsAppendJSON(f *testing.F) {
	f.Add(uint64(1), uint32(1004417), uint16(20), "2026-11-30", "2027-02-28")
	f.Add(uint64(0), uint32(0), uint16(0), "", "\"\\<>&\u2028\xff")
	f.Fuzz(func(t *testing.T, serial uint64, contract uint32, weight uint16, issued, until string) {
		fs := Fields{Version: 1, Alg: 2, KeyID: weight / 3, Serial: serial, Contract: contract, MailClass: uint8(weight),
			Flags: uint8(contract), WeightG: weight, TariffKop: contract / 7, Office: contract, Issued: issued,
			ValidUntil: until, Tracking: serial / 3}
		want, err := json.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		got := fs.AppendJSON(nil)
		if string(got) != string(want) {
			t.Fatalf("AppendJSON\n got %s\nwant %s", got, want)
		}
		var back Fields
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("read back %s: %v", got, err)
		}
	})
}

func BenchmarkFieldsJSON(b *testing.B) {
	m := Mark{Version: 1, Alg: 1, KeyID: 7, Serial: 123456789, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9890, Tracking: 42600000000015}
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf = m.Fields().AppendJSON(buf[:0])
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(m.Fields()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
