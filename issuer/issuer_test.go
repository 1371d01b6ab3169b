package issuer_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"image/png"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"markd/decode"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/qrdecode"
)

// Ed25519 is deterministic: re-signing the decoded fields of a vector with
// its key must give the vector's text byte for byte.
func TestSignReproducesEd25519Vectors(t *testing.T) {
	keys := testdata.Keys(t)
	f, err := os.Open(testdata.Path(t, "marks", "vectors.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v struct {
			Name   string       `json:"name"`
			Text   string       `json:"text"`
			Fields *mark.Fields `json:"fields"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if v.Fields == nil || v.Fields.Alg != mark.AlgEd25519 {
			continue
		}
		k, ok := keys[v.Fields.KeyID]
		if !ok {
			continue
		}
		m, err := v.Fields.Mark()
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		if got != v.Text {
			t.Errorf("%s: signed text differs\n got %s\nwant %s", v.Name, got, v.Text)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d ed25519 vectors compared", n)
	}
}

func TestSignVerifiesBothAlgorithms(t *testing.T) {
	for _, alg := range []string{issuer.AlgEd25519, issuer.AlgECDSAP256} {
		t.Run(alg, func(t *testing.T) {
			k, err := issuer.Generate(alg, 7, 9000, 10000)
			if err != nil {
				t.Fatal(err)
			}
			m := mark.Mark{Serial: 42, Contract: 1, MailClass: 1, WeightG: 20, TariffKop: 5000, Issued: 9500, ValidUntil: 9600}
			text, err := k.Sign(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(text) != mark.TextSize {
				t.Fatalf("text is %d characters, want %d", len(text), mark.TextSize)
			}
			body, sig, err := decode.Text(text)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := decode.Body(body[:])
			want := m
			want.Version, want.KeyID = 1, 7
			want.Alg, _ = issuer.AlgCode(alg)
			if got != want {
				t.Fatalf("body %+v, want %+v", got, want)
			}
			msg := decode.Message(body)
			var ok bool
			if alg == issuer.AlgEd25519 {
				ok = ed25519.Verify(ed25519.PublicKey(k.Public), msg[:], sig[:])
			} else {
				pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), k.Public)
				if err != nil {
					t.Fatal(err)
				}
				h := sha256.Sum256(msg[:])
				ok = ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
			}
			if !ok {
				t.Fatal("signature does not verify")
			}
		})
	}
}

func TestWriteKeysRoundTrip(t *testing.T) {
	a, err := issuer.Generate(issuer.AlgEd25519, 1, 9000, 10000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := issuer.Generate(issuer.AlgECDSAP256, 2, 9000, 10000)
	if err != nil {
		t.Fatal(err)
	}
	rev := mark.Day(9100)
	b.RevokedFrom = &rev
	path := filepath.Join(t.TempDir(), "keys.yaml")
	if err := issuer.WriteKeys(path, []issuer.Key{a, b}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	got, err := issuer.LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].KeyringEntry() != a.KeyringEntry() || got[1].KeyringEntry() != b.KeyringEntry() {
		t.Fatalf("round trip: got %+v", got)
	}
	if !bytes.Equal(got[1].Private, b.Private) {
		t.Fatal("private key changed in round trip")
	}
}

func TestParseKeysRefusesBadEntries(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"bad alg", "keys:\n- {id: 3, alg: rsa, private: AAAA, valid_from: 2025-01-01, valid_until: 2026-01-01}\n", "keys[0] (id 3)"},
		{"short seed", "keys:\n- {id: 1, alg: ed25519, private: AAAA, valid_from: 2025-01-01, valid_until: 2026-01-01}\n", "keys[0] (id 1)"},
		{"public mismatch", "keys:\n- {id: 1, alg: ed25519, private: oQZyPcbshv6xSusaUUjlinQa3mC/2gPgtccuM8+M32M=, public: Kx7GmudwNG1nT+AzNzfQS4aPbnjOryu25HHYRiGYPic=, valid_from: 2025-01-01, valid_until: 2026-01-01}\n", "does not match"},
		{"bad date", "keys:\n- {id: 1, alg: ed25519, private: oQZyPcbshv6xSusaUUjlinQa3mC/2gPgtccuM8+M32M=, valid_from: 2025-13-01, valid_until: 2026-01-01}\n", "2025-13-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := issuer.ParseKeys([]byte(c.yaml))
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
				t.Fatalf("err %q does not name %q", err, c.want)
			}
		})
	}
}

// TestQRPNGDecodesBack renders 64 marks signed with the P-256 key, whose
// signatures are randomised, so the codes' data modules differ each time.
// gozxing's finder search without hints misses about one rendering in 50
// (a finder-like run in the data); a rendered code is a pure barcode, so it
// is decoded as one, and also through markd's own camera decoder, which
// must read what the issuer prints.
func TestQRPNGDecodesBack(t *testing.T) {
	keys := testdata.Keys(t)
	pure := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	for i := range 64 {
		text, err := keys[2].Sign(mark.Mark{Serial: uint64(i + 1), Contract: 1, MailClass: 1, WeightG: 20, TariffKop: 5000, Issued: 9800, ValidUntil: 9900})
		if err != nil {
			t.Fatal(err)
		}
		data, err := issuer.QRPNG(text, 400)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, pure)
		if err != nil {
			t.Fatalf("serial %d: %v", i+1, err)
		}
		if res.GetText() != text {
			t.Fatalf("serial %d: QR decodes to %q, want %q", i+1, res.GetText(), text)
		}
		if ec := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL]; ec != "M" {
			t.Fatalf("serial %d: error correction %v, want M", i+1, ec)
		}
		if got := qrdecode.NewDecoder().Decode(qrdecode.FromImage(img)); len(got) != 1 || got[0] != text {
			t.Fatalf("serial %d: markd's decoder reads %q, want %q", i+1, got, text)
		}
	}
}

func TestTrackingCheckDigit(t *testing.T) {
	cases := []struct {
		office uint32
		item   uint64
		want   uint64
	}{
		{426000, 1, 42600000000015}, // from vectors.jsonl
		{426000, 2, 42600000000022},
		{426000, 10, 42600000000107},
	}
	for _, c := range cases {
		if got := issuer.Tracking(c.office, c.item); got != c.want {
			t.Errorf("Tracking(%d, %d) = %d, want %d", c.office, c.item, got, c.want)
		}
	}
}

// FuzzParseKeys: no panic; an accepted key file signs marks that decode.
func FuzzParseKeys(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "issuer-keys.yaml")); err == nil {
		f.Add(data)
	}
	f.Add([]byte("keys:\n- {id: 1, alg: ed25519, private: oQZyPcbshv6xSusaUUjlinQa3mC/2gPgtccuM8+M32M=, valid_from: 2025-01-01, valid_until: 2026-01-01}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := issuer.ParseKeys(data)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		for _, k := range keys {
			text, err := k.Sign(mark.Mark{Serial: 1})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := decode.Text(text); err != nil {
				t.Fatal(err)
			}
		}
	})
}
