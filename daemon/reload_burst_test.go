package daemon

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

// TestReloadDuringBurst: while scans arrive one after the other, the
// keyring flips between one with key 1 and one without it and is reloaded
// again and again. Every scan is judged once and stored once, each under
// one whole keyring: an ACCEPT names the keyring with key 1, a REJECT
// UNKNOWN_KEY the one without, in what it returned and in the store.
func TestReloadDuringBurst(t *testing.T) {
	dir := t.TempDir()
	orig, without := testdata.Keyrings(t)
	keyring := filepath.Join(dir, "keyring.yaml")
	replace := func(data []byte) {
		tmp := keyring + ".new"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Error(err)
			return
		}
		if err := os.Rename(tmp, keyring); err != nil {
			t.Error(err)
		}
	}
	versionOf := func(data []byte) string {
		if err := os.WriteFile(filepath.Join(dir, "v.yaml"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := verify.LoadKeyring(filepath.Join(dir, "v.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return k.Version
	}
	withKey1, withoutKey1 := versionOf(orig), versionOf(without)
	replace(orig)
	c := testConfig(t)
	c.Keyring = keyring
	in := newFeed()
	r := start(t, Options{Config: c, Stdin: in, Stderr: &logTail{t: t}})

	const n = 300
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if i%2 == 0 {
				replace(without)
			} else {
				replace(orig)
			}
			_ = r.ReloadLists("test") // a refusal (a file read half-way) is fine: the lists in force stay
		}
	})
	wg.Go(func() {
		for i := range n {
			in.line(signed(t, 4_000_000+uint64(i)))
		}
	})
	seen := map[string]bool{}
	for range n {
		rec := r.next(t)
		want := withKey1
		if rec.Verdict != mark.Accept {
			want = withoutKey1
			if rec.Verdict != mark.Reject || len(rec.Reasons) != 1 || rec.Reasons[0] != mark.ReasonUnknownKey {
				t.Errorf("%s: %s %v, want ACCEPT or REJECT [UNKNOWN_KEY]", rec.Text[:16], rec.Verdict, rec.Reasons)
			}
		}
		if rec.Versions.Keyring != want {
			t.Errorf("%s %v recorded under keyring %s, judged under %s", rec.Verdict, rec.Reasons, rec.Versions.Keyring, want)
		}
		if seen[rec.Text] {
			t.Errorf("scan %s judged twice", rec.Text)
		}
		seen[rec.Text] = true
		got, err := r.Store.Get(context.Background(), rec.ID)
		if err != nil || got.Verdict != rec.Verdict || got.Versions != rec.Versions {
			t.Errorf("stored %s under %+v (%v), returned %s under %+v", got.Verdict, got.Versions, err, rec.Verdict, rec.Versions)
		}
	}
	close(done)
	wg.Wait()
	counts, err := r.Store.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, k := range counts {
		total += k
	}
	if total != n || len(seen) != n {
		t.Errorf("%d scans fed, %d judged, %d stored (%v)", n, len(seen), total, counts)
	}
}
