package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/batch"
	"markd/batchlist"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/verify"
)

// TestReceiptTotalsMatchAPI: the receipt of a batch and the local API's
// status of it (GET /api/batches/{id}, docs/local-api.md) give the same
// totals and the same reconciliation, for one batch that has every kind
// of scan at once: accepted marks, a DUPLICATE_SCAN, a mark presented
// again after the re-scan window (REUSED, twice), an envelope rejected
// twice and accepted by a supervisor while the batch is open, one of
// another contract, an unreadable code, a mark rejected and then accepted,
// and a customer's list with a missing item, an extra scan, a weight
// difference and a listed envelope that was rejected. An override after
// the close changes neither (accepted_later counts it).
func TestReceiptTotalsMatchAPI(t *testing.T) {
	signer := testdata.Signer(t)
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "markd.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var clock atomic.Int64
	clock.Store(testdata.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	h := verify.NewHolder(testdata.Verifier(t))
	pipe := pipeline.New(pipeline.Options{Verifier: h, Store: db, Office: 426000, Counter: "A", Location: time.UTC,
		RescanWindow: 10 * time.Minute, Now: now, Log: log})
	svc := batch.New(batch.Options{Store: db, Office: 426000, Counter: "A", Location: time.UTC, Log: log})
	srv := New(Options{Store: db, Feed: pipe, Versions: h.Versions, StoreErr: pipe.StoreErr, Location: time.UTC, Log: log,
		Scans: pipe, Counter: "A", Batches: svc})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &batchEnv{ts: ts, srv: srv, db: db}
	day := testdata.Today(nil)
	const contract = 1004417
	text := func(serial uint64, c uint32) string {
		m := testdata.ValidMark(serial, day)
		m.Contract, m.TariffKop = c, 50000
		return signer(m)
	}

	var st batch.StatusJSON
	if code := e.do(t, "POST", "/api/batches", fmt.Sprintf(`{"contract": %d}`, contract), &st); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	id := st.ID
	scan := func(txt string, weight int, want mark.Verdict, reason mark.Reason) ScanResult {
		t.Helper()
		var res ScanResult
		if code := e.do(t, "POST", "/api/scans", scanBody(txt, weight, id), &res); code != 200 || res.Verdict != want ||
			(reason != "" && !slices.Contains(res.Reasons, reason)) {
			t.Fatalf("scan %.20q: %d %s %v, want %s %s", txt, code, res.Verdict, res.Reasons, want, reason)
		}
		clock.Add(int64(time.Second))
		return res
	}
	for s := uint64(1); s <= 3; s++ {
		scan(text(s, contract), 0, mark.Accept, "")
	}
	scan(text(1, contract), 0, mark.DuplicateScan, "")                       // the same envelope again at once
	scan(text(6, contract), 50, mark.Reject, mark.ReasonOverweight)          // too heavy on the scale…
	scan(text(6, contract), 0, mark.Accept, "")                              // …weighed again: accepted
	over1 := scan(text(4, contract), 50, mark.Reject, mark.ReasonOverweight) // rejected twice,
	scan(text(4, contract), 50, mark.Reject, mark.ReasonOverweight)          // then accepted by a supervisor
	other := scan(text(5, 555), 0, mark.Reject, mark.ReasonOtherContract)
	scan("EPM1:NOTAREALMARK", 0, mark.Reject, mark.ReasonMalformed)
	clock.Add(int64(11 * time.Minute))
	scan(text(2, contract), 0, mark.Reject, mark.ReasonReused) // presented again after the window,
	scan(text(2, contract), 0, mark.Reject, mark.ReasonReused) // twice
	if err := db.OverrideAccept(context.Background(), over1.ID, "petrova", "weighed again by hand"); err != nil {
		t.Fatal(err)
	}

	// The list: 1, 2, 3 at 25 g, 4, 5 (rejected: another contract), 6, 99
	// never brought.
	var list strings.Builder
	list.WriteString("№;ШПИ;Вид;Масса, г;Плата, руб;Серия знака\n")
	for i, s := range []uint64{1, 2, 3, 4, 5, 6, 99} {
		w := 20
		if s == 3 {
			w = 25
		}
		fmt.Fprintf(&list, "%d;%014d;заказное письмо;%d;500,00;%d\n", i+1, issuer.Tracking(426000, s), w, s)
	}
	if code := e.do(t, "POST", "/api/batches/"+id+"/expect", list.String(), &st); code != 200 {
		t.Fatalf("expect: %d", code)
	}
	if code := e.do(t, "GET", "/api/batches/"+id, "", &st); code != 200 {
		t.Fatalf("status: %d", code)
	}
	kinds := map[batchlist.DiffKind]int{}
	for _, d := range st.Differences {
		kinds[d.Kind]++
	}
	tot := st.Totals
	// What the batch is, by the rules of docs/local-api.md: 1, 2, 3, 6 and
	// the overridden 4 accepted; 5 and the unread code handed back; 2
	// presented again, refused twice.
	if tot.Accepted != 5 || tot.Overridden != 1 || tot.PaidKop != 5*50000 || tot.PerClass[2] != 5 || tot.HandedBack != 2 ||
		tot.PresentedAgain != 1 || tot.RefusedAgain != 2 || tot.Duplicates != 1 || tot.Rejected != 6 {
		t.Fatalf("status totals %+v", tot)
	}
	if st.ListItems != 7 || kinds[batchlist.DiffMissing] != 1 || kinds[batchlist.DiffWeight] != 1 || len(st.Differences) != 2 {
		t.Fatalf("status differences %+v", st.Differences)
	}

	if code := e.do(t, "POST", "/api/batches/"+id+"/close", "", &st); code != 200 {
		t.Fatalf("close: %d", code)
	}
	var page bytes.Buffer
	if err := svc.ReceiptHTML(context.Background(), &page, id); err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{"page": flatHTML(page.String())}
	code, pdf := e.doRaw(t, "GET", "/api/batches/"+id+"/receipt.pdf", "")
	if code != 200 {
		t.Fatalf("receipt.pdf: %d", code)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		cmd := exec.Command("pdftotext", "-layout", "-", "-")
		cmd.Stdin = bytes.NewReader(pdf)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		texts["pdf"] = strings.Join(strings.Fields(string(out)), " ")
	}
	want := []string{
		fmt.Sprintf("Итого принято: %d отправлений на сумму %s руб.", tot.Accepted, strings.TrimSuffix(st.Paid, " ₽")),
		fmt.Sprintf("Не принято: %d шт.", tot.HandedBack),
		fmt.Sprintf("уже принятых в этой партии: %d (отказано %d раза", tot.PresentedAgain, tot.RefusedAgain),
		fmt.Sprintf("По списку клиента: %d шт.; из них не предъявлено: %d; принято сверх списка: %d; расхождения в данных: %d.",
			st.ListItems, kinds[batchlist.DiffMissing], kinds[batchlist.DiffExtra], len(st.Differences)-kinds[batchlist.DiffMissing]-kinds[batchlist.DiffExtra]),
		"принято по решению руководителя petrova",
	}
	for name, txt := range texts {
		for _, w := range want {
			if !strings.Contains(txt, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("receipt %s lacks the status's %q:\n%s", name, w, txt)
			}
		}
		if n := len(regexp.MustCompile(`принято по решению руководителя`).FindAllString(txt, -1)); n != tot.Overridden {
			t.Errorf("receipt %s names %d overrides, the status %d", name, n, tot.Overridden)
		}
	}

	// After the close: an override is a later decision; the totals stay
	// the receipt's, the receipt is the same bytes.
	if err := db.OverrideAccept(context.Background(), other.ID, "petrova", "the customer's other contract"); err != nil {
		t.Fatal(err)
	}
	var after batch.StatusJSON
	if code := e.do(t, "GET", "/api/batches/"+id, "", &after); code != 200 {
		t.Fatalf("status after: %d", code)
	}
	later := tot
	later.AcceptedLater = 1
	if fmt.Sprint(after.Totals) != fmt.Sprint(later) || len(after.Differences) != len(st.Differences) {
		t.Errorf("after a later override: totals %+v, want %+v; differences %d, were %d", after.Totals, later, len(after.Differences), len(st.Differences))
	}
	if _, again := e.doRaw(t, "GET", "/api/batches/"+id+"/receipt.pdf", ""); !bytes.Equal(again, pdf) {
		t.Error("the receipt changed after a later override")
	}
}

// flatHTML is the text of a page, tags dropped, white space collapsed.
func flatHTML(s string) string {
	s = regexp.MustCompile(`(?s)<style.*?</style>|<svg.*?</svg>`).ReplaceAllString(s, " ")
	s = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, " ")
	s = html.UnescapeString(s)
	s = strings.Join(strings.Fields(s), " ")
	// a tag inside a sentence leaves a space before punctuation
	return regexp.MustCompile(` ([.,;:)])`).ReplaceAllString(s, "$1")
}
