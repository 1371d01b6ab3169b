package verify_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"markd/mark"
	"markd/verify"
)

// testdata returns ../shared/testdata relative to the repository root.
func testdata(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "testdata")
	if _, err := os.Stat(filepath.Join(dir, "keyring.yaml")); err != nil {
		t.Skipf("shared test data not found at %s: %v", dir, err)
	}
	return dir
}

// Vector is one line of testdata/marks/vectors.jsonl.
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

func loadVectors(t testing.TB) []Vector {
	t.Helper()
	f, err := os.Open(filepath.Join(testdata(t), "marks", "vectors.jsonl"))
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
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	return vs
}

func testVerifier(t testing.TB) *verify.Verifier {
	t.Helper()
	dir := testdata(t)
	v, err := verify.LoadFiles(filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "tariffs.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectors(t *testing.T) {
	v := testVerifier(t)
	for _, vec := range loadVectors(t) {
		t.Run(vec.Name, func(t *testing.T) {
			day, err := mark.ParseDay(vec.Context.Date)
			if err != nil {
				t.Fatal(err)
			}
			res := v.Verify(vec.Text, mark.Context{Office: vec.Context.Office, Date: day, MeasuredWeightG: vec.Context.MeasuredWeightG})
			if res.Verdict != vec.Verdict {
				t.Errorf("verdict %s, want %s", res.Verdict, vec.Verdict)
			}
			if res.Reasons == nil || !reflect.DeepEqual(res.Reasons, append([]mark.Reason{}, vec.Reasons...)) {
				t.Errorf("reasons %v, want %v", res.Reasons, vec.Reasons)
			}
			if vec.Fields != nil {
				if res.Mark == nil {
					t.Fatal("no decoded mark")
				}
				if got := res.Mark.Fields(); got != *vec.Fields {
					t.Errorf("fields\n got %+v\nwant %+v", got, *vec.Fields)
				}
			}
			if vec.Fields == nil && vec.Verdict != mark.Accept && res.Mark != nil {
				t.Errorf("mark reported for %v: nothing of an unverified mark may be reported", res.Reasons)
			}
			if vec.Verdict == mark.Accept && res.Mark == nil {
				t.Error("accepted without a decoded mark")
			}
		})
	}
}
