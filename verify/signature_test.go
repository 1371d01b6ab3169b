package verify_test

import (
	"errors"
	"testing"

	"markd/decode"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// TestCheckSignature: the signature-only check the collector runs on
// uploaded marks, over both algorithms.
func TestCheckSignature(t *testing.T) {
	var keys []issuer.Key
	for id, alg := range map[uint16]string{1: issuer.AlgEd25519, 2: issuer.AlgECDSAP256} {
		k, err := issuer.Generate(alg, id, 9000, 9100)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	ring, err := issuer.MarshalKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := verify.ParseKeyring("ring", ring)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(k issuer.Key, m mark.Mark) string {
		text, err := k.Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	m := func(keyID uint16, alg uint8) mark.Mark {
		// Expired long ago and for another office: dates and office are not
		// this check's business.
		return mark.Mark{Version: 1, Alg: alg, KeyID: keyID, Serial: 77, Contract: 7, MailClass: 1, WeightG: 20,
			TariffKop: 1, Office: 101000, Issued: 9000, ValidUntil: 9001}
	}
	byID := map[uint16]issuer.Key{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	other, _ := issuer.Generate(issuer.AlgEd25519, 1, 9000, 9100)
	unknown, _ := issuer.Generate(issuer.AlgEd25519, 9, 9000, 9100)
	ed := sign(byID[1], m(1, mark.AlgEd25519))
	tests := []struct {
		name string
		text string
		want error
	}{
		{"ed25519", ed, nil},
		{"ecdsa", sign(byID[2], m(2, mark.AlgECDSAP256)), nil},
		{"signed by another key with the same id", sign(other, m(1, mark.AlgEd25519)), verify.ErrBadSignature},
		{"key id not in the ring", sign(unknown, m(9, mark.AlgEd25519)), verify.ErrUnknownKey},
		{"made up", "EPM1:FAKE", decode.ErrMalformed},
		{"not a mark", "hello", decode.ErrNotAMark},
		{"one character changed", ed[:60] + map[bool]string{true: "B", false: "A"}[ed[60] == 'A'] + ed[61:], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kr.CheckSignature(tt.text)
			if tt.name == "one character changed" {
				if err == nil {
					t.Fatal("an altered text verified")
				}
				return
			}
			if !errors.Is(err, tt.want) || (tt.want != nil && !errors.Is(err, mark.ErrInvalid)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && got.Serial != 77 {
				t.Fatalf("mark = %+v", got)
			}
		})
	}
}

// FuzzCheckSignature: any text gives a mark only with a nil error, never a
// panic.
func FuzzCheckSignature(f *testing.F) {
	k, err := issuer.Generate(issuer.AlgEd25519, 1, 9000, 9100)
	if err != nil {
		f.Fatal(err)
	}
	ring, _ := issuer.MarshalKeyring([]issuer.Key{k})
	kr, err := verify.ParseKeyring("ring", ring)
	if err != nil {
		f.Fatal(err)
	}
	text, _ := k.Sign(mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 5, Contract: 1, MailClass: 1, WeightG: 1, Issued: 9000, ValidUntil: 9001})
	for _, s := range []string{text, "EPM1:", "EPM1:FAKE", "", "]Q1" + text, text + " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := kr.CheckSignature(s)
		if err != nil && m != (mark.Mark{}) {
			t.Fatalf("mark %+v with error %v", m, err)
		}
	})
}
