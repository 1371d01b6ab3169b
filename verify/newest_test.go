package verify_test

import (
	"path/filepath"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

// TestNewest: the newest date the lists name (a key's valid_from,
// valid_until or revoked_from, a tariff version's effective day), the
// anchor of the counter's upper bound on its own clock.
func TestNewest(t *testing.T) {
	td := testdata.Dir(t)
	tariffs, err := verify.LoadTariffs(filepath.Join(td, "tariffs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, keyring, want string }{
		{"valid_until", "keys:\n" + goodKey, "2027-12-31"},
		{"revoked_from after valid_until", "keys:\n" + goodKey[:len(goodKey)-1] + "\n    revoked_from: 2028-03-01\n", "2028-03-01"},
		{"an old key only: the tariffs' 2026-01-01", "keys:\n  - {id: 4, alg: ed25519, public: YDhp3GdEj3YzBabN4Z5nRZGTBWyOH5Pzj+lFrEb56L0=, valid_from: 2024-01-01, valid_until: 2025-12-31}\n", "2026-01-01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, err := verify.ParseKeyring("ring.yaml", []byte(c.keyring))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := mark.ParseDay(c.want)
			if got := verify.New(k, tariffs, nil).Newest(); got != want {
				t.Fatalf("Newest = %s, want %s", got, want)
			}
		})
	}
}

// TestHolderOnSwap: every swap that changes the verifier in use calls
// the holder's OnSwap function (the daemon moves its clock's upper bound
// with the lists); a CompareAndSwap that lost does not.
func TestHolderOnSwap(t *testing.T) {
	a, b := testdata.Verifier(t), testdata.Verifier(t)
	h := verify.NewHolder(a)
	calls := 0
	h.OnSwap(func() { calls++ })
	h.Swap(b)
	if calls != 1 {
		t.Fatalf("Swap: %d calls, want 1", calls)
	}
	if h.CompareAndSwap(a, a) || calls != 1 {
		t.Fatalf("a CompareAndSwap that lost: %d calls, want 1", calls)
	}
	if !h.CompareAndSwap(b, a) || calls != 2 {
		t.Fatalf("a CompareAndSwap that swapped: %d calls, want 2", calls)
	}
}
