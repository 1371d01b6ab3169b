package specoracle

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"markd/internal/testdata"
)

// vectorFields is the "fields" object of a test vector.
type vectorFields struct {
	Version    uint8  `json:"version"`
	Alg        uint8  `json:"alg"`
	KeyID      uint16 `json:"key_id"`
	Serial     uint64 `json:"serial"`
	Contract   uint32 `json:"contract"`
	MailClass  uint8  `json:"mail_class"`
	Flags      uint8  `json:"flags"`
	WeightG    uint16 `json:"weight_g"`
	TariffKop  uint32 `json:"tariff_kop"`
	Office     uint32 `json:"office"`
	Issued     string `json:"issued"`
	ValidUntil string `json:"valid_until"`
	Tracking   uint64 `json:"tracking"`
}

func (vf vectorFields) oracle(t testing.TB) oFields {
	return oFields{version: vf.Version, alg: vf.Alg, keyID: vf.KeyID, serial: vf.Serial, contract: vf.Contract,
		class: vf.MailClass, flags: vf.Flags, weight: vf.WeightG, tariff: vf.TariffKop, office: vf.Office,
		issued: parseDate(t, vf.Issued), until: parseDate(t, vf.ValidUntil), tracking: vf.Tracking}
}

// TestOracleVectors holds the oracle itself to the shared test vectors: a
// check of the oracle, not of markd (verify's own tests do that).
func TestOracleVectors(t *testing.T) {
	dir := testdata.Dir(t)
	keys, _ := readKeys(t, filepath.Join(dir, "keyring.yaml"))
	o := &oracle{keys: keys, versions: readTariffs(t, filepath.Join(dir, "tariffs.yaml")), revoked: map[uint64]bool{}}
	f, err := os.Open(filepath.Join(dir, "marks", "vectors.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var v struct {
			Name    string `json:"name"`
			Text    string `json:"text"`
			Context struct {
				Office   uint32 `json:"office"`
				Date     string `json:"date"`
				Measured int    `json:"measured_weight_g"`
			} `json:"context"`
			Verdict string        `json:"verdict"`
			Reasons []string      `json:"reasons"`
			Fields  *vectorFields `json:"fields"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("vector %d: %v", n+1, err)
		}
		n++
		got := o.judge(v.Text, oCtx{office: v.Context.Office, date: parseDate(t, v.Context.Date), measured: v.Context.Measured})
		if got.verdict != v.Verdict || !slices.Equal(got.reasons, v.Reasons) {
			t.Errorf("%s: oracle %s %v, vector %s %v", v.Name, got.verdict, got.reasons, v.Verdict, v.Reasons)
		}
		if v.Fields != nil && got.fields != nil && *got.fields != v.Fields.oracle(t) {
			t.Errorf("%s: oracle fields %+v, vector %+v", v.Name, *got.fields, *v.Fields)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no vectors")
	}
}
