package batch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"markd/batchlist"
	"markd/issuer"
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
// batch status says about it: the items on the list, those not handed in
// (MISSING), those not on the list (EXTRA) and those whose data differ,
// each named, in the PDF and in the HTML page.
func TestReceiptListReconciliation(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	b, err := s.Open(ctx, 0, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 5) // serials 1–5, registered letters of 20 g, 105,00
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
	st, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[batchlist.DiffKind]int{}
	for _, d := range st.Diffs {
		kinds[d.Kind]++
	}
	if st.Items != 5 || kinds[batchlist.DiffMissing] != 2 || kinds[batchlist.DiffExtra] != 2 || kinds[batchlist.DiffWeight] != 1 {
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
		fmt.Sprintf("не предъявлено: %d", kinds[batchlist.DiffMissing]),
		fmt.Sprintf("нет в списке: %d", kinds[batchlist.DiffExtra]),
		fmt.Sprintf("расхождения в данных: %d", kinds[batchlist.DiffWeight]),
		tr(6), tr(7), // missing, by their tracking numbers
		"Не предъявлено", "Нет в списке", "Масса, г",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt PDF lacks %q:\n%s", want, text)
		}
		if !strings.Contains(html, want) {
			t.Errorf("receipt page lacks %q", want)
		}
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
	db, err := store.OpenWith(ctx, filepath.Join(t.TempDir(), "markd.db"), store.Options{Log: quiet,
		Now: func() time.Time { return time.Date(2026, 11, 26, 3, 30, 5, 123456789, pcZone) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	msk := time.FixedZone("MSK", 3*3600)
	s := New(Options{Store: db, Office: 426000, Counter: "A", Location: msk, Log: quiet})
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
	stored, err := db.GetBatch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.receiptOf(ctx, stored)
	if err != nil {
		t.Fatal(err)
	}
	var later bytes.Buffer
	if err := receipt.WritePDF(&later, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(later.Bytes(), atClose) {
		t.Errorf("receipt made again from the store differs from the one made at close (%d vs %d bytes)", later.Len(), len(atClose))
	}
	// 03:30:05 at +05:00 is 01:30:05 in Moscow
	if want := []byte("/CreationDate(D:20261126013005+03'00')"); !bytes.Contains(atClose, want) {
		i := bytes.Index(atClose, []byte("/CreationDate"))
		t.Errorf("PDF creation date %q, want %q (office time)", atClose[i:i+40], want)
	}
}
