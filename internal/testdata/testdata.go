// Package testdata finds the shared test data, ../shared/testdata beside
// the repository, for the tests of every package, and loads the parts many
// of them use: the issuer keys, the keyring and tariffs, the test vectors.
// A test skips with a message when the shared test data is absent.
package testdata

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// Dir returns the absolute path of ../shared/testdata beside the module
// root, found by walking up from the working directory (a package's folder
// under go test) to go.mod. It skips t when the folder is not there.
func Dir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(Root(t)), "shared", "testdata")
	if _, err := os.Stat(filepath.Join(dir, "keyring.yaml")); err != nil {
		t.Skipf("shared test data not found at %s (expected ../shared/testdata beside the repository): %v", dir, err)
	}
	return dir
}

// Root returns the module root: the first folder with go.mod above the
// working directory (a package's folder under go test).
func Root(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return root
		}
		up := filepath.Dir(root)
		if up == root {
			t.Fatalf("no go.mod above %s: cannot find the module root", wd)
		}
		root = up
	}
}

// Path returns Dir(t) joined with elem.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}

// Set returns the folder of the image set name (qr, qr-hard, …), skipping t
// when the set or its manifest.json is absent.
func Set(t testing.TB, name string) string {
	t.Helper()
	dir := Path(t, name)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Skipf("shared test data %s not present (%v)", dir, err)
	}
	return dir
}

// Manifest reads the manifest.json of a set folder: image file → text.
func Manifest(t testing.TB, dir string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m []struct{ File, Text string }
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range m {
		out[e.File] = e.Text
	}
	return out
}

// Keys loads issuer-keys.yaml, keyed by key id.
func Keys(t testing.TB) map[uint16]issuer.Key {
	t.Helper()
	keys, err := issuer.LoadKeys(Path(t, "issuer-keys.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint16]issuer.Key{}
	for _, k := range keys {
		m[k.ID] = k
	}
	return m
}

// ValidMark is a mark the test keyring judges ACCEPT at office 426000 on
// day when signed by a key valid then (Signer): a registered letter of
// 20 g, contract 1, paid 10 000 roubles (over every tariff), issued the
// day before and valid 30 days, with its tracking number. Tests change
// the fields they are about.
func ValidMark(serial uint64, day mark.Day) mark.Mark {
	return mark.Mark{Serial: serial, Contract: 1, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
		TariffKop: 1000000, Office: 426000, Issued: day - 1, ValidUntil: day + 30, Tracking: issuer.Tracking(426000, serial)}
}

// Signer returns a function that signs a mark with the first key of
// issuer-keys.yaml (loaded once) and gives its text; it fails t on error.
func Signer(t testing.TB) func(mark.Mark) string {
	t.Helper()
	keys, err := issuer.LoadKeys(Path(t, "issuer-keys.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return func(m mark.Mark) string {
		text, err := keys[0].Sign(m)
		if err != nil {
			t.Fatalf("sign mark %d: %v", m.Serial, err)
		}
		return text
	}
}

// Verifier loads keyring.yaml and tariffs.yaml, with no revocations.
func Verifier(t testing.TB) *verify.Verifier {
	t.Helper()
	dir := Dir(t)
	v, err := verify.LoadFiles(filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "tariffs.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Vector is one line of marks/vectors.jsonl.
type Vector struct {
	Name    string `json:"name"`
	Text    string `json:"text"`
	Context struct {
		Office          uint32 `json:"office"`
		Date            string `json:"date"`
		MeasuredWeightG int    `json:"measured_weight_g"`
	} `json:"context"`
	Verdict mark.Verdict  `json:"verdict"`
	Reasons []mark.Reason `json:"reasons"`
	Fields  *mark.Fields  `json:"fields"`
}

// Vectors loads marks/vectors.jsonl; it fails t when the file has none.
func Vectors(t testing.TB) []Vector {
	t.Helper()
	f, err := os.Open(Path(t, "marks", "vectors.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []Vector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v Vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors in marks/vectors.jsonl")
	}
	return vs
}

// VectorNamed returns the vector called name, or fails t.
func VectorNamed(t testing.TB, name string) Vector {
	t.Helper()
	for _, v := range Vectors(t) {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("vector %q not found", name)
	return Vector{}
}

// Keyrings returns the shared test keyring as it is and with its key 1
// left out (a mark signed by key 1 is UNKNOWN_KEY under it): the two
// keyrings a reload test swaps.
func Keyrings(t testing.TB) (whole, withoutKey1 []byte) {
	t.Helper()
	whole, err := os.ReadFile(Path(t, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok := strings.Cut(string(whole), "  - id: 1\n")
	_, rest, ok2 := strings.Cut(rest, "  - id: 2\n")
	if !ok || !ok2 {
		t.Fatalf("keyring layout changed: %q", whole)
	}
	return whole, []byte(head + "  - id: 2\n" + rest)
}
