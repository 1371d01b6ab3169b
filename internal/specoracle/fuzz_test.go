package specoracle

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
)

// FuzzOracleText holds markd's verifier to the oracle on any text in any
// scene (edge lists: they hold the shared keys and more):
//
//	go test -run '^$' -fuzz FuzzOracleText ./internal/specoracle
//
// The seeds are the shared vectors and generated marks, plain and mutated.
func FuzzOracleText(f *testing.F) {
	dir := testdata.Dir(f)
	w := edgeWorld(f, dir)
	v := loadVerifier(f, w)
	if vf, err := os.Open(filepath.Join(dir, "marks", "vectors.jsonl")); err == nil {
		sc := bufio.NewScanner(vf)
		sc.Buffer(nil, 1<<20)
		for i := 0; sc.Scan(); i++ {
			var vec struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &vec) == nil {
				f.Add(vec.Text, uint8(i))
			}
		}
		vf.Close()
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 64 {
		si := i % len(scenes)
		at, loc := scenes[si].time(f)
		f.Add(w.gen(f, r, acceptanceDay(at, loc), si).text, uint8(si))
	}
	f.Fuzz(func(t *testing.T, text string, s uint8) {
		sc := scenes[int(s)%len(scenes)]
		at, loc := sc.time(t)
		want := w.o.judge(text, oCtxOf(sc, at, loc))
		got := projectResult(v.Verify(text, mark.Context{Office: sc.office, Date: mark.DayOf(at.In(loc)), MeasuredWeightG: sc.measured}))
		if d := compare(text, want, got); d != "" {
			t.Errorf("scene %s, text %q: %s", sc.name, text, d)
		}
	})
}

// FuzzOracleBody signs any 40-byte body with the private key its key_id
// names (a key the lists hold or not), writes it in text form, maybe
// mutated, and compares: the fields of step 4 over their whole range.
func FuzzOracleBody(f *testing.F) {
	dir := testdata.Dir(f)
	w := edgeWorld(f, dir)
	v := loadVerifier(f, w)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 64 {
		si := i % len(scenes)
		at, loc := scenes[si].time(f)
		c := w.gen(f, r, acceptanceDay(at, loc), si)
		raw, _, ok := textPayload(c.text)
		if ok {
			f.Add(raw[:40], uint8(si), uint8(255))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, s, m uint8) {
		body = append(append([]byte{}, body...), make([]byte, 40)...)[:40]
		id := int(body[2])<<8 | int(body[3])
		text := encodeText(body, w.s.sign(t, id, body))
		if int(m) < len(mutations) {
			text = mutations[m].f(rand.New(rand.NewPCG(uint64(m), uint64(s))), text)
		}
		sc := scenes[int(s)%len(scenes)]
		at, loc := sc.time(t)
		want := w.o.judge(text, oCtxOf(sc, at, loc))
		got := projectResult(v.Verify(text, mark.Context{Office: sc.office, Date: mark.DayOf(at.In(loc)), MeasuredWeightG: sc.measured}))
		if d := compare(text, want, got); d != "" {
			t.Errorf("scene %s, text %q: %s", sc.name, text, d)
		}
	})
}
