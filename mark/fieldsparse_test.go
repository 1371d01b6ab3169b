package mark

import (
	"encoding/json"
	"testing"
)

// TestParseFieldsJSONSameAsUnmarshal: what the fast parser reads it reads
// as encoding/json does; what AppendJSON writes it always reads.
func TestParseFieldsJSONSameAsUnmarshal(t *testing.T) {
	f := Fields{Version: 1, Alg: 2, KeyID: 65535, Serial: 18446744073709551615, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: "2026-11-20", ValidUntil: "2027-02-20", Tracking: 0}
	good := string(f.AppendJSON(nil))
	tests := []struct {
		name string
		data string
		fast bool
	}{
		{"AppendJSON's", good, true},
		{"zero value", string(Fields{}.AppendJSON(nil)), true},
		{"spaces", `{"version": 1` + good[len(`{"version":1`):], false},
		{"leading zero", `{"version":01` + good[len(`{"version":1`):], false},
		{"too big", `{"version":256` + good[len(`{"version":1`):], false},
		{"negative", `{"version":-1` + good[len(`{"version":1`):], false},
		{"other order", `{"alg":2,"version":1}`, false},
		{"trailing", good + " ", false},
		{"escaped string", `{"version":1` + good[len(`{"version":1`):len(good)-len(`,"tracking":0}`)-1] + `\u0030","tracking":0}`, false},
		{"empty", "", false},
		{"null", "null", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameAsUnmarshal(t, tt.data, tt.fast)
		})
	}
}

func sameAsUnmarshal(t *testing.T, data string, fast bool) {
	t.Helper()
	got, ok := ParseFieldsJSON(data)
	if ok != fast {
		t.Fatalf("%s: fast %v, want %v", data, ok, fast)
	}
	var want Fields
	err := json.Unmarshal([]byte(data), &want)
	if ok && (err != nil || got != want) {
		t.Fatalf("%s:\n got %+v\nwant %+v (%v)", data, got, want, err)
	}
}

// FuzzParseFieldsJSON: any input is read as encoding/json reads it, or
// left to it.
func FuzzParseFieldsJSON(f *testing.F) {
	f.Add(string(Fields{Version: 1, Serial: 7, Issued: "2026-11-20", ValidUntil: "x"}.AppendJSON(nil)))
	f.Add(`{"version":1}`)
	f.Fuzz(func(t *testing.T, data string) {
		got, ok := ParseFieldsJSON(data)
		if !ok {
			return
		}
		var want Fields
		if err := json.Unmarshal([]byte(data), &want); err != nil || got != want {
			t.Fatalf("%q:\n got %+v\nwant %+v (%v)", data, got, want, err)
		}
	})
}

// FuzzParseVersionsJSON: any input is read as encoding/json reads it, or
// left to it; what json.Marshal writes of plain strings is always read.
func FuzzParseVersionsJSON(f *testing.F) {
	f.Add("0e40db3c650e", "d9b98c0a670b", "none", `{"keyring":"a","tariffs":"b","revocations":"c"}`)
	f.Add("", "<", "\u00e9", `{"keyring":"a","tariffs":"b","revocations":"c"} `)
	f.Add("a", "b", "c", `{"Keyring":"a","tariffs":"b","revocations":"c"}`)
	f.Fuzz(func(t *testing.T, k, tf, r, data string) {
		b, _ := json.Marshal(Versions{Keyring: k, Tariffs: tf, Revocations: r})
		for _, d := range []string{string(b), data} {
			got, ok := ParseVersionsJSON(d)
			var want Versions
			err := json.Unmarshal([]byte(d), &want)
			if ok && (err != nil || got != want) {
				t.Fatalf("%q:\n got %+v\nwant %+v (%v)", d, got, want, err)
			}
			if d == string(b) && !ok && PlainJSON(k) && PlainJSON(tf) && PlainJSON(r) {
				t.Fatalf("%q: json.Marshal's form of plain strings not read", d)
			}
		}
	})
}
