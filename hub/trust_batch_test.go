package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"markd/bundle"
	"markd/decode"
	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/issuer"
	"markd/mark"
)

// TestCheckerBatchSameAsOne: checking an upload's records together (their
// Ed25519 signatures in one batch) gives every record what checking it
// alone gives (one by one), across two keyrings whose key 1 differs (marks
// of the older key fail the batch's choice and verify by the older ring),
// and a batch with one forged signature marks exactly that record
// unverified.
func TestCheckerBatchSameAsOne(t *testing.T) {
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dist := hubtest.Publish(t, s) // version 1: hubtest.IssuerKey, id 1
	newer, err := issuer.Generate(issuer.AlgEd25519, 1, 9000, 12000)
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := issuer.MarshalKeyring([]issuer.Key{newer})
	data, err := bundle.Sign(bundle.Contents{Version: 2, Created: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
		Keyring: bundle.File{Name: "keyring.yaml", Data: ring},
		Tariffs: bundle.File{Name: "tariffs.yaml", Data: []byte(hubtest.Tariffs)}}, dist)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutBundle(ctx, 2, data, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}

	const n, forged = 300, 237
	recs := make([]hub.Record, n)
	want := map[int]hub.Verification{}
	for i := range recs {
		recs[i] = hubtest.Rec(fmt.Sprintf("r-%d", i), 426000, "1", mark.Accept, uint64(i+1))
		want[i] = hub.Verified
		if i >= 20 || i%2 == 0 { // signed with the newer key 1; the others with the older
			m := hubtest.TestMark(uint64(i+1), 426000)
			recs[i].Text, _ = newer.Sign(m)
		}
	}
	body, sig, err := decode.Text(recs[forged].Text)
	if err != nil {
		t.Fatal(err)
	}
	sig[17] ^= 4
	recs[forged].Text = decode.Encode(body, sig)
	want[forged] = hub.Unverified
	recs[10].Mark.Serial++ // fields differ from the text's
	recs[11].Text = "EPM1:FAKE"
	recs[12].Mark, recs[12].Text, recs[12].Verdict = nil, "hello", mark.NotAMark
	unknown, _ := issuer.Generate(issuer.AlgEd25519, 9, 9000, 12000)
	m := hubtest.TestMark(13, 426000)
	m.KeyID = 9
	recs[13].Text, _ = unknown.Sign(m)
	want[10], want[11], want[12], want[13] = hub.Unverified, hub.Unverified, hub.NoMark, hub.Unverified

	c := hub.NewChecker(s)
	alone := make([]hub.Record, n)
	for i := range recs {
		one := []hub.Record{copyRecord(recs[i])}
		if err := c.Check(ctx, one); err != nil {
			t.Fatal(err)
		}
		alone[i] = one[0]
	}
	together := make([]hub.Record, n)
	for i := range recs {
		together[i] = copyRecord(recs[i])
	}
	if err := c.Check(ctx, together); err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		a, b := alone[i], together[i]
		if a.Verification != b.Verification || a.Why != b.Why || a.Digest != b.Digest {
			t.Errorf("record %d: together %q %q %s, alone %q %q %s", i, b.Verification, b.Why, b.Digest, a.Verification, a.Why, a.Digest)
		}
		if b.Verification != want[i] {
			t.Errorf("record %d: %q (%s), want %q", i, b.Verification, b.Why, want[i])
		}
	}
}

func copyRecord(r hub.Record) hub.Record {
	if r.Mark != nil {
		f := *r.Mark
		r.Mark = &f
	}
	r.Verification, r.Why, r.Digest = "", "", ""
	return r
}
