package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"markd/batchlist"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/store"
)

var quiet = slog.New(slog.DiscardHandler)

func openService(t testing.TB) (*Service, *store.DB) {
	t.Helper()
	return openServiceAt(t, nil, time.UTC)
}

// openServiceAt is openService with the store's clock now (nil: the
// wall clock) and the office in loc.
func openServiceAt(t testing.TB, now func() time.Time, loc *time.Location) (*Service, *store.DB) {
	t.Helper()
	db, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "markd.db"), store.Options{Log: quiet, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return New(Options{Store: db, Office: 426000, Counter: "A", Location: loc, Log: quiet}), db
}

// fill records n accepted scans of contract 1004417 at counter A through
// the store's own write path (they join the open batch).
func fill(t testing.TB, db *store.DB, first uint64, n int) {
	t.Helper()
	at := testdata.Now()
	recs := make([]*mark.Record, n)
	for i := range recs {
		s := first + uint64(i)
		recs[i] = &mark.Record{At: at, Office: 426000, Counter: "A", Source: "test", Text: fmt.Sprintf("EPM1:TEST%d", s),
			Verdict: mark.Accept, Mark: &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: s, Contract: 1004417,
				MailClass: 2, WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9820, ValidUntil: 9910,
				Tracking: issuer.Tracking(426000, s)}}
	}
	for i := 0; i < n; i += 500 {
		if err := db.SaveBatch(context.Background(), recs[i:min(i+500, n)], time.Minute); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServiceLifecycle(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	b, err := s.Open(ctx, 0, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 5)
	if _, err := s.Receipt(ctx, b.ID); !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("receipt of an open batch: %v, want ErrConflict", err)
	}
	tr := func(s uint64) string { return fmt.Sprintf("%014d", issuer.Tracking(426000, s)) }
	list := "n,serial,tracking,mail_class,weight_g,tariff_kop\n1,1," + tr(1) + ",2,20,10500\n2,2," + tr(2) + ",2,20,10500\n" +
		"3,3," + tr(3) + ",3,20,10500\n6,6," + tr(6) + ",2,20,10500\n"
	if _, err := s.Expect(ctx, b.ID, []byte(list), "ivanova"); err != nil {
		t.Fatal(err)
	}
	var pe *batchlist.ParseError
	if _, err := s.Expect(ctx, b.ID, []byte("n,serial,mail_class,weight_g,tariff_kop\n1,x,1,20,5000\n"), "ivanova"); !errors.As(err, &pe) || pe.Line != 2 {
		t.Fatalf("bad list: %v", err)
	}
	st, kinds := statusKinds(t, s, b.ID)
	if st.Batch.Contract != 1004417 || st.Items != 4 || st.Totals.Accepted != 5 ||
		kinds[batchlist.DiffMissing] != 1 || kinds[batchlist.DiffExtra] != 2 || kinds[batchlist.DiffClass] != 1 {
		t.Fatalf("status %+v, diffs %v", st, kinds)
	}
	j := st.JSON()
	if j.Paid != "525,00 ₽" || len(j.Differences) != 4 || j.Differences[0].Kind != batchlist.DiffClass || j.Differences[0].Want != "3" {
		t.Fatalf("JSON %+v", j)
	}
	if _, err := s.Close(ctx, b.ID, "ivanova"); err != nil {
		t.Fatal(err)
	}
	pdf, err := db.Receipt(ctx, b.ID)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("stored receipt: %.10q %v", pdf, err)
	}
	var page bytes.Buffer
	if err := s.ReceiptHTML(ctx, &page, b.ID); err != nil || !bytes.Contains(page.Bytes(), []byte(b.ID)) {
		t.Fatalf("receipt page: %v", err)
	}
	if _, err := s.Current(ctx); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("current after close: %v", err)
	}
}

// BenchmarkClose1000 is the issue's goal "a 1 000-item batch closed and
// its PDF made in ≤ 1 s": EndBatch, reading the 1 000 records, laying out
// the receipt PDF and storing it. The batch is filled outside the timer.
func BenchmarkClose1000(b *testing.B) {
	ctx := context.Background()
	s, db := openService(b)
	b.ReportAllocs()
	var size int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bt, err := s.Open(ctx, 1004417, "ivanova")
		if err != nil {
			b.Fatal(err)
		}
		fill(b, db, uint64(1+i*1000), 1000)
		b.StartTimer()
		if _, err := s.Close(ctx, bt.ID, "ivanova"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		pdf, err := db.Receipt(ctx, bt.ID)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/1024, "pdf-KiB")
}

// BenchmarkStatus1000 is the operator screen's reload after a scan in a
// 1 000-item batch with a 1 000-item list: totals and reconciliation.
func BenchmarkStatus1000(b *testing.B) {
	ctx := context.Background()
	s, db := openService(b)
	bt, err := s.Open(ctx, 1004417, "ivanova")
	if err != nil {
		b.Fatal(err)
	}
	fill(b, db, 1, 1000)
	var list bytes.Buffer
	list.WriteString("n;serial;tracking;mail_class;weight_g;tariff_kop\n")
	for i := 1; i <= 1000; i++ {
		fmt.Fprintf(&list, "%d;%d;%014d;2;20;10500\n", i, i, issuer.Tracking(426000, uint64(i)))
	}
	if _, err := s.Expect(ctx, bt.ID, list.Bytes(), "ivanova"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Status(ctx, bt.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExpectOneLineJSON: a JSON list written on one line (what a program
// sends) has every item on line 1; it is imported whole, in list order.
func TestExpectOneLineJSON(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	b, err := s.Open(ctx, 1004417, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 2)
	list := fmt.Sprintf(`{"contract":1004417,"items":[{"n":1,"serial":3,"tracking":"%014d","mail_class":2,"weight_g":20,"tariff_kop":10500},`+
		`{"n":2,"serial":1,"tracking":"%014d","mail_class":2,"weight_g":20,"tariff_kop":10500},`+
		`{"n":3,"serial":2,"tracking":"%014d","mail_class":2,"weight_g":40,"tariff_kop":10500}]}`,
		issuer.Tracking(426000, 3), issuer.Tracking(426000, 1), issuer.Tracking(426000, 2))
	l, err := s.Expect(ctx, b.ID, []byte(list), "ivanova")
	if err != nil {
		t.Fatalf("one-line JSON list: %v", err)
	}
	if len(l.Items) != 3 || l.Items[0].Line != l.Items[2].Line {
		t.Fatalf("list %+v: want 3 items on one line", l.Items)
	}
	items, err := db.BatchItems(ctx, b.ID)
	if err != nil || len(items) != 3 || items[0].N != 1 || items[1].N != 2 || items[2].N != 3 {
		t.Fatalf("stored list %+v %v", items, err)
	}
	st, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Items != 3 || len(st.Diffs) != 2 || st.Diffs[0].Kind != batchlist.DiffMissing || st.Diffs[0].Item.N != 1 ||
		st.Diffs[1].Kind != batchlist.DiffWeight || st.Diffs[1].Item.N != 3 {
		t.Fatalf("status %d items, diffs %+v", st.Items, st.Diffs)
	}
}

// TestStatusOpenedInOfficeTime: the status gives the opening time in the
// office's time zone for people (the operator screen), beside opened_at.
func TestStatusOpenedInOfficeTime(t *testing.T) {
	ctx := context.Background()
	s, _ := openServiceAt(t, func() time.Time { return time.Date(2026, 11, 25, 22, 30, 5, 0, time.UTC) }, time.FixedZone("MSK", 3*3600))
	b, err := s.Open(ctx, 0, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	// With its zone: a program reading it cannot take it for UTC.
	if got := st.JSON().OpenedLocal; got != "2026-11-26 01:30:05 +03:00" {
		t.Errorf("opened in office time %q, want 2026-11-26 01:30:05 +03:00 (the next day in Moscow)", got)
	}
	if got := st.JSON().Opened.Format(time.RFC3339); got != "2026-11-25T22:30:05Z" {
		t.Errorf("opened_at %q, want UTC", got)
	}
}

// TestReceiptHintByState: the receipt of an open batch is refused with
// the hint to close it first; that of a cancelled batch, which can no
// longer be closed, says it has none (until 2026-12-04 it too said "close
// the batch first", which the API then refuses with 409).
func TestReceiptHintByState(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	b, err := s.Open(ctx, 0, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 2)
	if _, err := s.Receipt(ctx, b.ID); !errors.Is(err, mark.ErrConflict) || mark.Hint(err) != "close the batch first" {
		t.Fatalf("receipt of an open batch: %v (hint %q), want ErrConflict with the hint to close it", err, mark.Hint(err))
	}
	if _, err := s.Cancel(ctx, b.ID, "ivanova"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Receipt(ctx, b.ID)
	if !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("receipt of a cancelled batch: %v, want ErrConflict", err)
	}
	if h := mark.Hint(err); h == "" || h == "close the batch first" {
		t.Errorf("receipt of a cancelled batch: hint %q, want one saying a cancelled batch has no receipt", h)
	}
	err = s.ReceiptHTML(ctx, &bytes.Buffer{}, b.ID)
	if h := mark.Hint(err); !errors.Is(err, mark.ErrConflict) || h == "" || h == "close the batch first" {
		t.Errorf("receipt page of a cancelled batch: %v (hint %q), want ErrConflict saying a cancelled batch has no receipt", err, h)
	}
}

// statusJSON reads batch id's status as the API sends it (Status, its
// JSON form, marshalled) into v.
func statusJSON(t *testing.T, s *Service, id string, v any) {
	t.Helper()
	st, err := s.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(st.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j, v); err != nil {
		t.Fatal(err)
	}
}

// checkTotals holds a status's totals (as JSON numbers) to want, key by
// key.
func checkTotals(t *testing.T, got map[string]any, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("status totals %s = %v, want %v (all: %v)", k, got[k], w, got)
		}
	}
}

// statusKinds is batch id's status and how many differences of each kind
// its reconciliation has.
func statusKinds(t *testing.T, s *Service, id string) (Status, map[batchlist.DiffKind]int) {
	t.Helper()
	st, err := s.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[batchlist.DiffKind]int{}
	for _, d := range st.Diffs {
		kinds[d.Kind]++
	}
	return st, kinds
}
