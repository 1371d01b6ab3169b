package hub_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/mark"
)

// TestCheckerTable: what the collector's check of a record's mark finds.
func TestCheckerTable(t *testing.T) {
	s, err := sqlitestore.Open(context.Background(), t.TempDir()+"/hub.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	good := hubtest.Rec("r", 426000, "1", mark.Accept, 5)
	tests := []struct {
		name string
		edit func(r *hub.Record)
		want hub.Verification
		why  string
	}{
		{"verified", func(r *hub.Record) {}, hub.Verified, ""},
		{"lower-case text still verifies", func(r *hub.Record) { r.Text = "EPM1:" + strings.ToLower(r.Text[5:]) }, hub.Verified, ""},
		{"no mark", func(r *hub.Record) { r.Mark, r.Text, r.Verdict = nil, "hello", mark.NotAMark }, hub.NoMark, ""},
		{"made-up text", func(r *hub.Record) { r.Text = "EPM1:FAKE" }, hub.Unverified, "not a valid mark"},
		{"not a mark at all", func(r *hub.Record) { r.Text = "hello" }, hub.Unverified, "not a valid mark"},
		{"other serial", func(r *hub.Record) { r.Mark.Serial++ }, hub.Unverified, "mark.serial"},
		{"other office", func(r *hub.Record) { r.Mark.Office = 101000 }, hub.Unverified, "mark.office"},
		{"other tariff", func(r *hub.Record) { r.Mark.TariffKop = 1 }, hub.Unverified, "mark.tariff_kop"},
		{"signature altered", func(r *hub.Record) {
			b := []byte(r.Text)
			if b[100] == 'A' {
				b[100] = 'B'
			} else {
				b[100] = 'A'
			}
			r.Text = string(b)
		}, hub.Unverified, "no published keyring"},
	}
	hubtest.Publish(t, s)
	c := hub.NewChecker(s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			f := *good.Mark
			r.Mark, r.Verification = &f, ""
			tt.edit(&r)
			recs := []hub.Record{r}
			if err := c.Check(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			if got := recs[0]; got.Verification != tt.want || !strings.Contains(got.Why, tt.why) || got.Digest == "" {
				t.Fatalf("got %q %q (digest %q), want %q %q", got.Verification, got.Why, got.Digest, tt.want, tt.why)
			}
		})
	}
}

// TestCheckerWithoutBundle: with no keyring published nothing verifies.
func TestCheckerWithoutBundle(t *testing.T) {
	s, err := sqlitestore.Open(context.Background(), t.TempDir()+"/hub.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs := make([]hub.Record, 200) // enough to run in parallel
	for i := range recs {
		recs[i] = hubtest.Rec("r", 426000, "1", mark.Accept, uint64(i+1))
	}
	if err := hub.NewChecker(s).Check(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Verification != hub.Unverified {
			t.Fatalf("record %d: %q", i, r.Verification)
		}
	}
	hubtest.Publish(t, s)
	if err := hub.NewChecker(s).Check(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Verification != hub.Verified {
			t.Fatalf("record %d after publishing: %q %s", i, r.Verification, r.Why)
		}
	}
}

func TestMigrationsNames(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		ok    bool
	}{
		{"ordered", []string{"m/002_b.sql", "m/001_a.sql", "m/010_c.sql"}, true},
		{"no number", []string{"m/a.sql"}, false},
		{"zero", []string{"m/000_a.sql"}, false},
		{"twice", []string{"m/001_a.sql", "m/1_b.sql"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := fstest.MapFS{}
			for _, f := range tt.files {
				fs[f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			ms, err := hub.Migrations(fs, "m")
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if tt.ok && (ms[0].Version != 1 || ms[2].Version != 10) {
				t.Fatalf("order %+v", ms)
			}
		})
	}
}
