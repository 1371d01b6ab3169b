package batch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"markd/batchlist"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/store"
)

// TestPanelKeptEqualsFull: the reconciliation the panel's reads keep
// (StatusRows of an open batch) equals the one made from the store whole
// after every step of a random sequence: scans on the list, not on it,
// of another weight, repeated, rejected, stamped earlier than the last,
// the list replaced by this process or by another one on the same store
// (markd batch expect), overrides, cancel, close.
func TestPanelKeptEqualsFull(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			path := filepath.Join(t.TempDir(), "markd.db")
			clock := testdata.Now()
			now := func() time.Time { return clock }
			open := func() (*Service, *store.DB) {
				db, err := store.OpenWith(ctx, path, store.Options{Log: quiet, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				return New(Options{Store: db, Office: 426000, Counter: "A", Location: time.UTC, Log: quiet, Now: now}), db
			}
			s, db := open()
			other, _ := open() // another process: markd batch expect
			tr := func(s uint64) string { return fmt.Sprintf("%014d", issuer.Tracking(426000, s)) }
			list := func() string {
				var b strings.Builder
				b.WriteString("n,serial,tracking,mail_class,weight_g,tariff_kop\n")
				perm := rng.Perm(60) // a mark is listed once
				for i := 1; i <= 10+rng.IntN(30); i++ {
					sr := uint64(1 + perm[i])
					switch rng.IntN(6) {
					case 0:
						fmt.Fprintf(&b, "%d,,%s,2,20,10500\n", i, tr(sr))
					case 1:
						fmt.Fprintf(&b, "%d,,,1,%d,10500\n", i, 20+5*rng.IntN(2)) // a simple letter listed without keys
					default:
						fmt.Fprintf(&b, "%d,%d,%s,2,20,10500\n", i, sr, tr(sr))
					}
				}
				return b.String()
			}
			var b mark.Batch
			var last []*mark.Record
			steps := map[string]int{}
			for step := range 150 {
				clock = clock.Add(time.Duration(1+rng.IntN(90)) * time.Second)
				what := ""
				switch x := rng.IntN(100); {
				case b.ID == "" || b.State != mark.BatchOpen:
					nb, err := s.Open(ctx, 1004417, "ivanova")
					if err != nil {
						t.Fatal(err)
					}
					b, what = nb, "open"
					if _, err := s.Expect(ctx, b.ID, []byte(list()), "ivanova"); err != nil {
						t.Fatal(err)
					}
				case x < 74: // a scan: on the list or not, its weight, accepted, repeated or rejected
					sr := uint64(1 + rng.IntN(70))
					at := clock
					if rng.IntN(10) == 0 {
						at = at.Add(-time.Hour) // stamped before the scans read already
					}
					rec := &mark.Record{At: at, Office: 426000, Counter: "A", Source: "test", Text: fmt.Sprintf("EPM1:P%d", sr),
						Verdict: mark.Accept, Mark: &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: sr, Contract: 1004417,
							MailClass: 2, WeightG: uint16(20 + 5*rng.IntN(2)), TariffKop: 10500, Office: 426000, Issued: 9820, ValidUntil: 9910}}
					if rng.IntN(3) > 0 {
						rec.Mark.Tracking = issuer.Tracking(426000, sr)
					} else if rng.IntN(2) == 0 {
						rec.Mark.MailClass = 1 // a simple letter, matched by class, weight and tariff
					}
					if rng.IntN(6) == 0 {
						rec.Verdict, rec.Reasons = mark.Reject, []mark.Reason{mark.ReasonUnderpaid}
					}
					if err := db.SaveBatch(ctx, []*mark.Record{rec}, time.Minute); err != nil {
						t.Fatal(err)
					}
					last = append(last, rec)
					what = "scan " + string(rec.Verdict)
				case x < 80:
					if _, err := s.Expect(ctx, b.ID, []byte(list()), "ivanova"); err != nil {
						t.Fatal(err)
					}
					what = "list replaced"
				case x < 86:
					if _, err := other.Expect(ctx, b.ID, []byte(list()), "engineer"); err != nil {
						t.Fatal(err)
					}
					what = "list replaced by another process"
				case x < 91 && len(last) > 0:
					rec := last[rng.IntN(len(last))]
					if err := db.OverrideAccept(ctx, rec.ID, "petrova", "paid"); err != nil {
						what = "override refused"
					} else {
						what = "override"
					}
				case x < 94:
					nb, err := s.Cancel(ctx, b.ID, "ivanova")
					if err != nil {
						t.Fatal(err)
					}
					b, what, last = nb, "cancel", nil
				case x < 97:
					nb, err := s.Close(ctx, b.ID, "ivanova")
					if err != nil {
						t.Fatal(err)
					}
					b, what, last = nb, "close", nil
				default:
					what = "refresh"
				}
				steps[what]++
				want := fullDiffs(t, db, b.ID)
				for _, rows := range []int{PanelRows, 3, -1} {
					st, err := s.StatusRows(ctx, b.ID, rows)
					if err != nil {
						t.Fatal(err)
					}
					w := want
					if rows >= 0 && rows < len(w) {
						w = w[:rows]
					}
					got, exp := st.JSON().Differences, (Status{Diffs: w}).JSON().Differences
					if st.NDiffs != len(want) || !reflect.DeepEqual(got, exp) {
						t.Fatalf("step %d (%s), rows %d: panel %d differences\n%+v\nfrom the store %d\n%+v", step, what, rows, st.NDiffs, got, len(want), exp)
					}
				}
			}
			t.Logf("steps: %v", steps)
		})
	}
}

// fullDiffs reconciles batch id from the store whole, as the receipt does.
func fullDiffs(t *testing.T, db *store.DB, id string) []batchlist.Diff {
	t.Helper()
	ctx := context.Background()
	items, err := db.BatchItems(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := db.BatchRecords(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ovs, err := db.BatchOverrides(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	l := batchlist.List{Items: make([]batchlist.Item, len(items))}
	for i, it := range items {
		l.Items[i] = batchlist.Item(it)
	}
	return batchlist.Reconcile(l, Scanned(Counted(recs, ovs)))
}

// TestPanelReadsTogether: tabs and the cash desk read the open batch
// while scans come; run with -race: the kept reconciliation is shared.
func TestPanelReadsTogether(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	b, err := s.Open(ctx, 0, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	list.WriteString("n,serial,tracking,mail_class,weight_g,tariff_kop\n")
	for i := uint64(1); i <= 60; i++ {
		fmt.Fprintf(&list, "%d,%d,%014d,2,20,10500\n", i, i, issuer.Tracking(426000, i))
	}
	if _, err := s.Expect(ctx, b.ID, []byte(list.String()), "ivanova"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 3)
	for range 3 {
		go func() {
			for range 40 {
				st, err := s.StatusRows(ctx, b.ID, 5)
				if err != nil {
					done <- err
					return
				}
				_ = st.JSON()
			}
			done <- nil
		}()
	}
	for i := uint64(1); i <= 40; i++ {
		fill(t, db, i, 1)
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.StatusRows(ctx, b.ID, -1)
	if err != nil {
		t.Fatal(err)
	}
	if want := fullDiffs(t, db, b.ID); st.NDiffs != len(want) || st.NDiffs != 20 {
		t.Fatalf("after the scans: %d differences, the store %d, want 20 MISSING", st.NDiffs, len(want))
	}
}
