package batch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"markd/batchlist"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/receipt"
	"markd/store"
)

// pdfText reads a PDF back as text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (Debian package poppler-utils, in .ci/packages.txt)")
	}
	path := filepath.Join(t.TempDir(), "receipt.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestReceiptListReconciliation: with the customer's list imported (here
// a Windows-1251 CSV with Russian headers), the receipt states what the
// batch status says about it: the items on the list, those not presented
// (MISSING: not scanned in the batch), those accepted but not on the list
// (EXTRA) and those whose data differ (a listed envelope handed in and
// rejected is compared with its mark: here TARIFF), each named, in the
// PDF and in the HTML page.
func TestReceiptListReconciliation(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	b, err := s.Open(ctx, 0, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 5) // serials 1–5, registered letters of 20 g, 105,00
	// serial 6 is on the list and was handed in, but rejected (underpaid)
	rej := &mark.Record{At: testdata.Now(), Office: 426000, Counter: "A", Source: "test", Text: "EPM1:TEST6",
		Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: &mark.Mark{Version: 1, Alg: 1, KeyID: 1,
			Serial: 6, Contract: 1004417, MailClass: 2, WeightG: 20, TariffKop: 1000, Office: 426000, Issued: 9820,
			ValidUntil: 9910, Tracking: issuer.Tracking(426000, 6)}}
	if err := db.SaveBatch(ctx, []*mark.Record{rej}, time.Minute); err != nil {
		t.Fatal(err)
	}
	tr := func(s uint64) string { return fmt.Sprintf("%014d", issuer.Tracking(426000, s)) }
	csv := "№;ШПИ;Вид;Масса, г;Плата, руб;Серия знака\n" +
		"1;" + tr(1) + ";заказное письмо;20;105,00;1\n" +
		"2;" + tr(2) + ";заказное письмо;20;105,00;2\n" +
		"3;" + tr(3) + ";заказное письмо;40;105,00;3\n" +
		"4;" + tr(6) + ";заказное письмо;20;105,00;6\n" +
		"5;" + tr(7) + ";заказное письмо;20;105,00;7\n"
	cp1251, err := charmap.Windows1251.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expect(ctx, b.ID, []byte(cp1251), "Иванова"); err != nil {
		t.Fatal(err)
	}
	st, kinds := statusKinds(t, s, b.ID)
	if st.Items != 5 || kinds[batchlist.DiffMissing] != 1 || kinds[batchlist.DiffExtra] != 2 || kinds[batchlist.DiffWeight] != 1 ||
		kinds[batchlist.DiffTariff] != 1 {
		t.Fatalf("status: %d items, diffs %v", st.Items, kinds)
	}
	if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil {
		t.Fatal(err)
	}
	pdf, err := s.Receipt(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := s.ReceiptHTML(ctx, &page, b.ID); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	html := page.String()
	for _, want := range []string{
		"Сверка со списком клиента",
		fmt.Sprintf("По списку клиента: %d шт.", st.Items),
		fmt.Sprintf("из них не предъявлено: %d", kinds[batchlist.DiffMissing]),
		fmt.Sprintf("принято сверх списка: %d", kinds[batchlist.DiffExtra]),
		fmt.Sprintf("расхождения в данных: %d", kinds[batchlist.DiffWeight]+kinds[batchlist.DiffTariff]),
		tr(6), tr(7), // the rejected one's tariff and the missing one, by their tracking numbers
		"Не предъявлено", "Нет в списке", "Масса, г", "Плата, руб.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt PDF lacks %q:\n%s", want, text)
		}
		if !strings.Contains(html, want) {
			t.Errorf("receipt page lacks %q", want)
		}
	}
	// serial 6 was handed in and refused: not "not presented"
	if strings.Count(text, "Не предъявлено") != 1 {
		t.Errorf("the receipt names %d envelopes not presented, want 1 (serial 7; serial 6 was handed in):\n%s",
			strings.Count(text, "Не предъявлено"), text)
	}
}

// TestReceiptSameWhenMadeAgain: the receipt made when the batch closes
// and one made again later from the store (as Receipt does when closing
// could not store it) are the same bytes, whatever zone the PC's clock
// gives its times in; the PDF's creation date is in the office's time.
// Closing again (a retry) gives the stored receipt unchanged.
func TestReceiptSameWhenMadeAgain(t *testing.T) {
	ctx := context.Background()
	pcZone := time.FixedZone("PC", 5*3600) // the counter PC's own zone, not the office's
	s, db := openServiceAt(t, func() time.Time { return time.Date(2026, 11, 26, 3, 30, 5, 123456789, pcZone) }, time.FixedZone("MSK", 3*3600))
	b, err := s.Open(ctx, 0, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 3)
	if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil {
		t.Fatal(err)
	}
	atClose, err := s.Receipt(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil {
		t.Fatalf("close again: %v", err)
	}
	if again, err := s.Receipt(ctx, b.ID); err != nil || !bytes.Equal(again, atClose) {
		t.Fatalf("receipt after closing again: %d bytes, %v; want the %d stored", len(again), err, len(atClose))
	}
	sameRemade(t, s, db, b.ID, atClose)
	// 03:30:05 at +05:00 is 01:30:05 in Moscow
	if want := []byte("/CreationDate(D:20261126013005+03'00')"); !bytes.Contains(atClose, want) {
		i := bytes.Index(atClose, []byte("/CreationDate"))
		t.Errorf("PDF creation date %q, want %q (office time)", atClose[i:i+40], want)
	}
}

// TestReceiptMatchesStatus closes batches of 1 envelope, of none accepted
// (all rejected, one of them scanned twice) and of 10 000 envelopes
// through the store and reads the stored PDF back: its totals are the
// status's (accepted count and sum, per class, the envelopes handed
// back), every accepted serial is printed once on a whole row, each page
// has the table heading and "Стр. N из M", the totals come once at the
// end, and the QR code on page 1 reads (zbarimg) as the batch id.
func TestReceiptMatchesStatus(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "zbarimg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (poppler-utils, zbar-tools in .ci/packages.txt)", tool)
		}
	}
	ctx := context.Background()
	for _, c := range []struct {
		name          string
		accepted      int
		rejected      []uint64 // serials of rejected scans, in order
		handedBack    int      // distinct envelopes among them
		pagesFrom, to int
	}{
		{"one", 1, nil, 0, 1, 1},
		{"all rejected", 0, []uint64{900001, 900002, 900001}, 2, 1, 1},
		{"10 000", 10000, []uint64{900001, 900002, 900003}, 3, 150, 260},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, db := openService(t)
			b, err := s.Open(ctx, 1004417, "Иванова")
			if err != nil {
				t.Fatal(err)
			}
			fill(t, db, 1, c.accepted)
			for i, sr := range c.rejected {
				rec := &mark.Record{At: testdata.Now().Add(time.Duration(i) * time.Hour), Office: 426000, Counter: "A", Source: "test",
					Text: fmt.Sprintf("EPM1:REJ%d", sr), Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid},
					Mark: &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: sr, Contract: 1004417, MailClass: 2, WeightG: 20,
						TariffKop: 1000, Office: 426000, Issued: 9820, ValidUntil: 9910, Tracking: issuer.Tracking(426000, sr)}}
				if err := db.SaveBatch(ctx, []*mark.Record{rec}, time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			st, err := s.Status(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Totals.Accepted != c.accepted || st.Totals.Rejected != len(c.rejected) || st.Totals.HandedBack != c.handedBack {
				t.Fatalf("status totals %+v", st.Totals)
			}
			if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil {
				t.Fatal(err)
			}
			pdf, err := s.Receipt(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d accepted: a receipt of %d KiB", c.accepted, len(pdf)>>10)
			if len(pdf) > 2<<20 {
				t.Errorf("receipt of %d items is %d KiB", c.accepted, len(pdf)>>10)
			}
			text := pdfText(t, pdf)
			pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
			if len(pages) < c.pagesFrom || len(pages) > c.to {
				t.Errorf("%d pages, want %d–%d", len(pages), c.pagesFrom, c.to)
			}
			flat := strings.Join(strings.Fields(text), " ")
			sum := fmt.Sprintf("Итого принято: %d %s на сумму %s руб.", st.Totals.Accepted,
				map[bool]string{true: "отправление", false: "отправлений"}[st.Totals.Accepted == 1], receipt.FormatRub(st.Totals.PaidKop))
			if n := strings.Count(flat, sum); n != 1 {
				t.Errorf("%q printed %d times, want once", sum, n)
			}
			for class, n := range st.Totals.PerClass {
				line := fmt.Sprintf("%s: %d шт., %s руб.", receipt.ClassName(class, false), n, receipt.FormatRub(int64(n)*10500))
				if !strings.Contains(flat, line) {
					t.Errorf("per class line %q missing", line)
				}
			}
			back := fmt.Sprintf("Не принято: %d шт.", c.handedBack)
			if (c.handedBack > 0) != strings.Contains(flat, back) {
				t.Errorf("handed back: %q present %v", back, strings.Contains(flat, back))
			}
			if !strings.HasSuffix(strings.TrimSpace(pages[len(pages)-1]), fmt.Sprintf("Стр. %d из %d", len(pages), len(pages))) {
				t.Errorf("last page does not end with its number")
			}
			// every accepted item once, on a whole row: number, ШПИ, serial, class, weight, tariff
			seen := map[string]int{}
			for i, pg := range pages {
				if !strings.Contains(pg, fmt.Sprintf("Стр. %d из %d", i+1, len(pages))) || !strings.Contains(pg, "Партия "+b.ID) {
					t.Errorf("page %d has no footer with its number and the batch id", i+1)
				}
				rows := 0
				for _, l := range strings.Split(pg, "\n") {
					f := strings.Fields(l)
					if len(f) == 7 && f[3]+" "+f[4] == "заказное письмо" && f[5] == "20" && f[6] == "105,00" && f[0] == f[2] {
						seen[f[2]]++
						rows++
					}
				}
				if rows > 0 && !strings.Contains(pg, "Вид отправления") {
					t.Errorf("page %d has items but no table heading", i+1)
				}
			}
			if len(seen) != c.accepted {
				t.Errorf("%d accepted items printed whole, want %d", len(seen), c.accepted)
			}
			for sr, n := range seen {
				if n != 1 {
					t.Errorf("serial %s printed %d times", sr, n)
				}
			}
			// the QR code of page 1
			dir := t.TempDir()
			path := filepath.Join(dir, "r.pdf")
			if err := os.WriteFile(path, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", path, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, out)
			}
			pngs, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
			if len(pngs) != 1 {
				t.Fatalf("pdftoppm made %v", pngs)
			}
			out, err := exec.Command("zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", pngs[0]).Output()
			if got := strings.TrimSpace(string(out)); err != nil || got != b.ID {
				t.Errorf("zbarimg read %q (%v), want the batch id %s", got, err, b.ID)
			}
		})
	}
}

// presentAgain records the mark of serial s (as fill makes it) scanned
// again at at with text: after its acceptance the store judges it REUSED.
func presentAgain(t *testing.T, db *store.DB, s uint64, text string, at time.Time) {
	t.Helper()
	rec := &mark.Record{At: at, Office: 426000, Counter: "A", Source: "test", Text: text,
		Verdict: mark.Accept, Mark: &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: s, Contract: 1004417,
			MailClass: 2, WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9820, ValidUntil: 9910,
			Tracking: issuer.Tracking(426000, s)}}
	if err := db.SaveBatch(context.Background(), []*mark.Record{rec}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if rec.Verdict != mark.Reject || !slices.Contains(rec.Reasons, mark.ReasonReused) {
		t.Fatalf("serial %d presented again: %s %v, want REJECT REUSED", s, rec.Verdict, rec.Reasons)
	}
}

// TestReceiptPresentedAgain: a mark accepted in the batch and presented
// again later in it (the same envelope after the re-scan window, then a
// copy of the mark) is on the receipt the store makes, in its own
// section with the times, and not among the envelopes handed back; the
// receipt made again from the store is the same bytes.
func TestReceiptPresentedAgain(t *testing.T) {
	ctx := context.Background()
	s, db := openServiceAt(t, testdata.Now, time.FixedZone("MSK", 3*3600))
	b, err := s.Open(ctx, 0, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 3) // at 10:00 Moscow
	presentAgain(t, db, 2, "EPM1:TEST2", testdata.Now().Add(20*time.Minute))
	presentAgain(t, db, 2, "EPM1:COPY2", testdata.Now().Add(21*time.Minute))
	pdf, texts := closedReceipt(t, s, b.ID)
	for name, text := range texts {
		flat := strings.Join(strings.Fields(text), " ")
		for _, want := range []string{
			"Итого принято: 3 отправления на сумму 315,00 руб.",
			"Повторно предъявлено марок, уже принятых в этой партии: 1 (отказано 2 раза, см. ниже)",
			"принята 10:00:00, не принята 2 раза: 10:20:00, 10:21:00",
			fmt.Sprintf("%014d", issuer.Tracking(426000, 2)),
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("receipt %s lacks %q:\n%s", name, want, text)
			}
		}
		if strings.Contains(flat, "Не принято:") {
			t.Errorf("receipt %s counts the mark presented again as an envelope handed back:\n%s", name, text)
		}
	}
	sameRemade(t, s, db, b.ID, pdf)
}

// TestStatusCountsAsReceipt: the batch status (the local API, the
// operator screen, the batch CSV) counts what the receipt prints, with
// the same definitions: the envelopes handed back (each mark once however
// often it was scanned, an unread code by its text, not a mark accepted
// in the batch), the marks accepted and presented again and their
// refusals, beside the rejected scans.
func TestStatusCountsAsReceipt(t *testing.T) {
	ctx := context.Background()
	s, db := openServiceAt(t, testdata.Now, time.FixedZone("MSK", 3*3600))
	b, err := s.Open(ctx, 0, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	t0 := testdata.Now()
	fill(t, db, 1, 3)
	save := func(r *mark.Record) {
		t.Helper()
		r.Office, r.Counter, r.Source = 426000, "A", "test"
		if err := db.SaveBatch(ctx, []*mark.Record{r}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(s uint64, tariff uint32) *mark.Mark {
		return &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: s, Contract: 1004417, MailClass: 2, WeightG: 20,
			TariffKop: tariff, Office: 426000, Issued: 9820, ValidUntil: 9910, Tracking: issuer.Tracking(426000, s)}
	}
	underpaid := []mark.Reason{mark.ReasonUnderpaid}
	for i := range 2 { // one envelope scanned twice
		save(&mark.Record{At: t0.Add(time.Duration(5+i) * time.Minute), Text: "EPM1:REJ900001", Verdict: mark.Reject, Reasons: underpaid, Mark: mk(900001, 1000)})
		save(&mark.Record{At: t0.Add(time.Duration(5+i) * time.Minute), Text: "EPM1:BAD", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonMalformed}})
	}
	// the customer paid the difference: rejected, then accepted
	save(&mark.Record{At: t0.Add(7 * time.Minute), Text: "EPM1:TEST7", Verdict: mark.Reject, Reasons: underpaid, Mark: mk(7, 1000)})
	save(&mark.Record{At: t0.Add(8 * time.Minute), Text: "EPM1:TEST7", Verdict: mark.Accept, Mark: mk(7, 10500)})
	presentAgain(t, db, 2, "EPM1:TEST2", t0.Add(20*time.Minute))
	presentAgain(t, db, 2, "EPM1:COPY2", t0.Add(21*time.Minute))

	var got struct {
		Totals map[string]any `json:"totals"`
	}
	statusJSON(t, s, b.ID, &got)
	want := map[string]float64{"accepted": 4, "rejected": 7, "handed_back": 2, "presented_again": 1, "refused_again": 2}
	checkTotals(t, got.Totals, want)
	if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil {
		t.Fatal(err)
	}
	r := storedReceipt(t, s, db, b.ID)
	if rt := r.Totals(); float64(rt.Count) != want["accepted"] || float64(rt.Rejected) != want["handed_back"] ||
		float64(rt.Again) != want["presented_again"] || float64(rt.RefusedAgain) != want["refused_again"] {
		t.Errorf("receipt totals %+v, want the status's %v", rt, want)
	}
	pdf, err := s.Receipt(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	for _, w := range []string{"Не принято: 2 шт.", "уже принятых в этой партии: 1 (отказано 2 раза"} {
		if !strings.Contains(flat, w) {
			t.Errorf("receipt lacks %q:\n%s", w, flat)
		}
	}
}

// storedReceipt is the receipt of batch id made again from the store.
// closedReceipt closes batch id and returns its receipt's PDF and the
// receipt's text as the PDF and the page give it ("PDF", "page").
func closedReceipt(t *testing.T, s *Service, id string) ([]byte, map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Close(ctx, id, "Иванова"); err != nil {
		t.Fatal(err)
	}
	pdf, err := s.Receipt(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := s.ReceiptHTML(ctx, &page, id); err != nil {
		t.Fatal(err)
	}
	return pdf, map[string]string{"PDF": pdfText(t, pdf), "page": page.String()}
}

func storedReceipt(t *testing.T, s *Service, db *store.DB, id string) receipt.Receipt {
	t.Helper()
	ctx := context.Background()
	stored, err := db.GetBatch(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.receiptOf(ctx, stored)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sameRemade checks that the receipt of batch id made again from the
// store is the PDF made at close, byte for byte.
func sameRemade(t *testing.T, s *Service, db *store.DB, id string, atClose []byte) {
	t.Helper()
	var later bytes.Buffer
	if err := receipt.WritePDF(&later, storedReceipt(t, s, db, id)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(later.Bytes(), atClose) {
		t.Errorf("receipt made again from the store differs from the one made at close (%d vs %d bytes)", later.Len(), len(atClose))
	}
}
