package verify_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

const goodKey = "  - id: 1\n    alg: ed25519\n    public: HVsPDCCy5PbkZGC745xJtKmV+YwaFV7V7pe/5dvc9Zc=\n    valid_from: 2025-01-01\n    valid_until: 2027-12-31\n"

func TestKeyringRefused(t *testing.T) {
	cases := []struct {
		name, data string
		want       []string // substrings the error must contain
	}{
		{"bad alg", "keys:\n" + goodKey + "  - {id: 3, alg: rsa, public: AAAA, valid_from: 2025-01-01, valid_until: 2026-01-01}\n", []string{"keys[1] (id 3)", `"rsa"`}},
		{"short ed25519 key", "keys:\n" + goodKey + goodKey[:0] + "  - {id: 2, alg: ed25519, public: AAAA, valid_from: 2025-01-01, valid_until: 2026-01-01}\n", []string{"keys[1] (id 2)", `"AAAA"`}},
		{"not base64", "keys:\n  - {id: 5, alg: ed25519, public: '!!', valid_from: 2025-01-01, valid_until: 2026-01-01}\n", []string{"keys[0] (id 5)", `"!!"`}},
		{"p-256 point off the curve", "keys:\n  - {id: 2, alg: ecdsa-p256, public: BJgWuPUVODEuXNLxSpUu5/iZiFE+sXTPxDCfVrPFvHX8oz0is0AfAGydqX9wa0IPO/TbQrFKxVKwNgZ/fGhEUO8=, valid_from: 2025-01-01, valid_until: 2026-01-01}\n", []string{"keys[0] (id 2)", "P-256"}},
		{"bad date", "keys:\n  - {id: 1, alg: ed25519, public: HVsPDCCy5PbkZGC745xJtKmV+YwaFV7V7pe/5dvc9Zc=, valid_from: 2025-02-30, valid_until: 2026-01-01}\n", []string{"keys[0] (id 1)", "valid_from", "2025-02-30"}},
		{"until before from", "keys:\n  - {id: 1, alg: ed25519, public: HVsPDCCy5PbkZGC745xJtKmV+YwaFV7V7pe/5dvc9Zc=, valid_from: 2026-01-02, valid_until: 2026-01-01}\n", []string{"keys[0] (id 1)", "2026-01-01"}},
		{"bad revoked_from", "keys:\n  - {id: 1, alg: ed25519, public: HVsPDCCy5PbkZGC745xJtKmV+YwaFV7V7pe/5dvc9Zc=, valid_from: 2025-01-01, valid_until: 2026-01-01, revoked_from: soon}\n", []string{"keys[0] (id 1)", "revoked_from", "soon"}},
		{"duplicate id", "keys:\n" + goodKey + goodKey, []string{"keys[1] (id 1)", "twice"}},
		{"id out of range", "keys:\n  - {id: 70000, alg: ed25519}\n", []string{"keys[0] (id 70000)", "70000"}},
		{"id missing", "keys:\n  - {alg: ed25519}\n", []string{"keys[0]", "id missing"}},
		{"unknown field", "keys:\n  - {id: 1, colour: red}\n", []string{"colour"}},
		{"no keys", "keys: []\n", []string{"no keys"}},
		{"empty file", "", []string{"empty"}},
		{"not yaml", "keys: [\n", []string{"keyring"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := verify.ParseKeyring("ring.yaml", []byte(c.data))
			checkLoadErr(t, err, append(c.want, "ring.yaml"))
		})
	}
	k, err := verify.ParseKeyring("ring.yaml", []byte("version: k7\nkeys:\n"+goodKey))
	if err != nil || k.Version != "k7" || k.Len() != 1 {
		t.Fatalf("good keyring: %v %+v", err, k)
	}
}

func checkLoadErr(t *testing.T, err error, want []string) {
	t.Helper()
	if !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("err %v, want mark.ErrInvalid", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

const goodVersion = "  - effective: 2025-01-01\n    notice_of_delivery_kop: 100\n    classes:\n      - {code: 1, bands: [{max_g: 20, kop: 10}]}\n"

func TestTariffsRefused(t *testing.T) {
	v := func(eff, notice, classes string) string {
		return "  - effective: " + eff + "\n    notice_of_delivery_kop: " + notice + "\n    classes:\n" + classes
	}
	cases := []struct {
		name, data string
		want       []string
	}{
		{"no versions", "currency: RUB\n", []string{"no versions"}},
		{"bad effective", "versions:\n" + v("2025-1-1", "1", "      - {code: 1, bands: [{max_g: 20, kop: 10}]}\n"), []string{"versions[0]", "2025-1-1"}},
		{"same date twice", "versions:\n" + goodVersion + goodVersion, []string{"versions[1]", "2025-01-01", "versions[0]", "twice"}},
		{"negative notice", "versions:\n" + v("2025-01-01", "-5", "      - {code: 1, bands: [{max_g: 20, kop: 10}]}\n"), []string{"versions[0]", "-5"}},
		{"bands not increasing", "versions:\n" + v("2025-01-01", "1", "      - {code: 2, bands: [{max_g: 20, kop: 10}, {max_g: 20, kop: 30}]}\n"), []string{"versions[0]", "classes[0] (code 2)", "bands[1]", "max_g 20"}},
		{"zero max_g", "versions:\n" + v("2025-01-01", "1", "      - {code: 2, bands: [{max_g: 0, kop: 10}]}\n"), []string{"classes[0] (code 2)", "bands[0]", "max_g 0"}},
		{"missing kop", "versions:\n" + v("2025-01-01", "1", "      - {code: 2, bands: [{max_g: 5}]}\n"), []string{"classes[0] (code 2)", "bands[0]", "kop"}},
		{"duplicate class", "versions:\n" + v("2025-01-01", "1", "      - {code: 2, bands: [{max_g: 5, kop: 1}]}\n      - {code: 2, bands: [{max_g: 5, kop: 1}]}\n"), []string{"classes[1] (code 2)", "twice"}},
		{"class out of range", "versions:\n" + v("2025-01-01", "1", "      - {code: 300, bands: [{max_g: 5, kop: 1}]}\n"), []string{"classes[0] (code 300)"}},
		{"no bands", "versions:\n" + v("2025-01-01", "1", "      - {code: 1}\n"), []string{"classes[0] (code 1)", "no bands"}},
		{"kop not a number", "versions:\n" + v("2025-01-01", "1", "      - {code: 1, bands: [{max_g: 5, kop: lots}]}\n"), []string{"lots"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := verify.ParseTariffs("tariffs.yaml", []byte(c.data))
			checkLoadErr(t, err, append(c.want, "tariffs.yaml"))
		})
	}
}

// TestTariffsAnyOrder: §4 picks the version in force on the issue date,
// whatever order the file lists them in; a table written newest first
// prices every day as the same table written oldest first.
func TestTariffsAnyOrder(t *testing.T) {
	v := func(eff string, kop int) string {
		return fmt.Sprintf("  - effective: %s\n    notice_of_delivery_kop: 1\n    classes:\n      - {code: 1, bands: [{max_g: 20, kop: %d}]}\n", eff, kop)
	}
	oldest := "versions:\n" + v("2025-01-01", 100) + v("2026-01-01", 200) + v("2027-07-01", 300)
	newest := "versions:\n" + v("2027-07-01", 300) + v("2025-01-01", 100) + v("2026-01-01", 200)
	a, err := verify.ParseTariffs("oldest.yaml", []byte(oldest))
	if err != nil {
		t.Fatal(err)
	}
	b, err := verify.ParseTariffs("newest.yaml", []byte(newest))
	if err != nil {
		t.Fatalf("versions newest first: %v", err)
	}
	for _, c := range []struct {
		day  string
		want uint32 // 0: no version in force
	}{{"2024-12-31", 0}, {"2025-01-01", 100}, {"2025-12-31", 100}, {"2026-01-01", 200}, {"2027-06-30", 200}, {"2027-07-01", 300}, {"2030-01-01", 300}} {
		d := day(t, c.day)
		pa, oka := a.Price(d, mark.ClassSimpleLetter, 20, false)
		pb, okb := b.Price(d, mark.ClassSimpleLetter, 20, false)
		if pa != c.want || oka != (c.want != 0) || pb != pa || okb != oka {
			t.Errorf("%s: oldest first %d %v, newest first %d %v; want %d", c.day, pa, oka, pb, okb, c.want)
		}
	}
}

func TestRevocations(t *testing.T) {
	r, err := verify.ParseRevocations("rev.txt", []byte("# list\n\n 12 \n13 # refund\r\n18446744073709551615\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []uint64{12, 13, 18446744073709551615} {
		if !r.Has(s) {
			t.Errorf("serial %d missing", s)
		}
	}
	if r.Has(14) || r.Len() != 3 || len(r.Version) != 12 {
		t.Fatalf("list %+v", r)
	}
	for _, c := range []struct{ name, data, value string }{
		{"letters", "12\nabc\n", `line 2: serial "abc"`},
		{"negative", "-1\n", `line 1: serial "-1"`},
		{"too big", "# x\n\n18446744073709551616\n", `line 3: serial "18446744073709551616"`},
		{"two on a line", "1 2\n", `line 1: serial "1 2"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := verify.ParseRevocations("rev.txt", []byte(c.data))
			checkLoadErr(t, err, []string{"rev.txt", c.value})
		})
	}
}

func TestLoadFilesAllOrNothing(t *testing.T) {
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "revoked.txt")
	if err := os.WriteFile(bad, []byte("1\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := verify.LoadFiles(filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "tariffs.yaml"), bad)
	if v != nil || !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("LoadFiles with a bad revocation list: %v %v", v, err)
	}
	_, err = verify.LoadFiles(filepath.Join(tmp, "missing.yaml"), filepath.Join(dir, "tariffs.yaml"), "")
	if !errors.Is(err, os.ErrNotExist) || !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("missing keyring: %v", err)
	}
}

func FuzzParseKeyring(f *testing.F) {
	f.Add([]byte("keys:\n" + goodKey))
	f.Add([]byte("version: x\nkeys:\n  - {id: 2, alg: ecdsa-p256, public: BJgWuPUVODEuXNLxSpUu5/iZiFE+sXTPxDCfVrPFvHX8oz0is0AfAGydqX9wa0IPO/TbQrFKxVKwNgZ/fGhEUO4=, valid_from: 2025-06-01, valid_until: 2027-12-31, revoked_from: 2026-01-01}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := verify.ParseKeyring("fuzz", data)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		if k.Len() == 0 || k.Version == "" {
			t.Fatalf("accepted keyring %+v", k)
		}
	})
}

func FuzzParseTariffs(f *testing.F) {
	f.Add([]byte("versions:\n" + goodVersion))
	if data, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "tariffs.yaml")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := verify.ParseTariffs("fuzz", data)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		if tr.InForce(65535) == nil || tr.InForce(0) != nil && tr.InForce(0).Effective != 0 {
			t.Fatalf("version lookup inconsistent")
		}
	})
}

func FuzzParseRevocations(f *testing.F) {
	f.Add([]byte("# version: 3\n12\n13 # x\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := verify.ParseRevocations("fuzz", data)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		if r.Version == "" {
			t.Fatal("no version")
		}
	})
}

// FuzzVerify: any text gives a verdict without panic; a decoded mark is
// reported exactly when the signature verified, and only then can the
// verdict be ACCEPT.
func FuzzVerify(f *testing.F) {
	v := testdata.Verifier(f)
	for _, vec := range testdata.Vectors(f) {
		f.Add(vec.Text, uint32(426000), uint16(9825), 0)
	}
	f.Fuzz(func(t *testing.T, text string, office uint32, date uint16, weight int) {
		res := v.Verify(text, mark.Context{Office: office, Date: mark.Day(date), MeasuredWeightG: weight})
		if res.Reasons == nil {
			t.Fatal("nil reasons")
		}
		switch res.Verdict {
		case mark.Accept:
			if len(res.Reasons) != 0 || res.Mark == nil {
				t.Fatalf("accept with %v / mark %v", res.Reasons, res.Mark)
			}
		case mark.Reject:
			if len(res.Reasons) == 0 {
				t.Fatal("reject without reasons")
			}
		case mark.NotAMark:
			if len(res.Reasons) != 0 || res.Mark != nil {
				t.Fatal("not a mark with reasons or fields")
			}
		default:
			t.Fatalf("verdict %s", res.Verdict)
		}
	})
}
