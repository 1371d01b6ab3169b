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

	"golang.org/x/text/encoding/charmap"

	"markd/batchlist"
	"markd/issuer"
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
