package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
	"markd/verify"
)

// reloadAfter is the holder of the daemon with a reload landing right
// after each judgement: it swaps the holder's lists for next before the
// pipeline makes the record, which is where a SIGHUP can fall.
type reloadAfter struct {
	h    *verify.Holder
	next *verify.Verifier
}

func (r reloadAfter) Verify(text string, c mark.Context) mark.Result {
	res := r.h.Verify(text, c)
	r.h.Swap(r.next)
	return res
}

func (r reloadAfter) VerifyBatch(texts []string, cs []mark.Context) []mark.Result {
	res := r.h.VerifyBatch(texts, cs)
	r.h.Swap(r.next)
	return res
}

func (r reloadAfter) Versions() mark.Versions { return r.h.Versions() }

// TestRecordNamesTheListsThatJudgedIt: a reload between the judgement and
// the record must not make the record name lists the scan was not judged
// under (an ACCEPT of a key 1 mark said to be judged under a keyring
// without key 1), one scan at a time nor in a batch.
func TestRecordNamesTheListsThatJudgedIt(t *testing.T) {
	td := testdata.Dir(t)
	tariffs := filepath.Join(td, "tariffs.yaml")
	full, err := verify.LoadFiles(filepath.Join(td, "keyring.yaml"), tariffs, "")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(td, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok := strings.Cut(string(data), "  - id: 1\n")
	_, rest, ok2 := strings.Cut(rest, "  - id: 2\n")
	if !ok || !ok2 {
		t.Fatalf("keyring layout changed: %q", data)
	}
	ring := filepath.Join(t.TempDir(), "keyring.yaml")
	if err := os.WriteFile(ring, []byte(head+"  - id: 2\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	without1, err := verify.LoadFiles(ring, tariffs, "")
	if err != nil {
		t.Fatal(err)
	}
	if full.Versions() == without1.Versions() {
		t.Fatal("the two keyrings have one version")
	}
	db := storetest.Open(t, store.Options{Now: func() time.Time { return now }})
	h := verify.NewHolder(full)
	p := New(Options{Verifier: reloadAfter{h, without1}, Store: db, Office: 426000, Counter: "A",
		Location: time.UTC, RescanWindow: 10 * time.Minute, Now: func() time.Time { return now }})
	signer, day := testdata.Signer(t), mark.DayOf(now)
	sign := func(serial uint64) string { return signer(testdata.ValidMark(serial, day)) }

	// A key 1 mark is ACCEPT under the full keyring and REJECT
	// UNKNOWN_KEY under the other; the record must name the one that
	// gave its verdict.
	check := func(what string, rec mark.Record) {
		t.Helper()
		want := full.Versions()
		if rec.Verdict != mark.Accept {
			want = without1.Versions()
			if rec.Verdict != mark.Reject || len(rec.Reasons) != 1 || rec.Reasons[0] != mark.ReasonUnknownKey {
				t.Errorf("%s: %s %v, want ACCEPT or REJECT [UNKNOWN_KEY]", what, rec.Verdict, rec.Reasons)
			}
		}
		if rec.Versions != want {
			t.Errorf("%s: %s %v under %+v, but it was judged under %+v", what, rec.Verdict, rec.Reasons, rec.Versions, want)
		}
		got, err := db.Get(context.Background(), rec.ID)
		if err != nil || got.Versions != want {
			t.Errorf("%s: stored under %+v (%v), want %+v", what, got.Versions, err, want)
		}
	}
	rec := p.Process(context.Background(), mark.Scan{Text: sign(3_000_001), Source: "t"})
	if rec.Verdict != mark.Accept {
		t.Errorf("one scan under the full keyring: %s %v", rec.Verdict, rec.Reasons)
	}
	check("one scan", rec)

	h.Swap(full)
	scans := make([]mark.Scan, 20)
	for i := range scans {
		scans[i] = mark.Scan{Text: sign(3_000_100 + uint64(i)), Source: "t"}
	}
	recs, err := p.ProcessBatch(context.Background(), scans)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		check("batch", rec)
	}
}
