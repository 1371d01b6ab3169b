package receipt

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"
)

//go:embed templates/receipt.html
var templates embed.FS

// receiptHTML is parsed when the first page is written, not at the start
// of every markd command (0.4–0.6 ms and 600 allocations of package init).
var receiptHTML = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(templates, "templates/receipt.html"))
})

// htmlView is the view plus what only the page needs.
type htmlView struct {
	view
	ItemCols, RejectedCols, DiffCols, AgainCols []string
	AgainTitle                                  string
	ItemNum                                     []bool // right-aligned item columns
	QRSize                                      int
	QRPath                                      string
}

// WriteHTML writes the receipt as one self-contained printable page
// (lang="ru", no external resources, the QR code as inline SVG): on paper
// the table heading repeats on every page, rows are not split, and the
// page margin shows the batch id and "Стр. N из M".
func WriteHTML(w io.Writer, r Receipt) error {
	v := htmlView{view: r.view(), ItemCols: itemCols, RejectedCols: rejectedCols, DiffCols: diffCols,
		AgainCols: againCols, AgainTitle: againTitle,
		ItemNum: []bool{true, false, false, false, true, true}}
	m, err := qrMatrix(r.BatchID)
	if err != nil {
		return fmt.Errorf("receipt html: %w", err)
	}
	v.QRSize = len(m) + 2*qrQuiet
	v.QRPath = svgPath(m)
	if err := receiptHTML().Execute(w, v); err != nil {
		return fmt.Errorf("receipt html: %w", err)
	}
	return nil
}

// svgPath draws the dark runs of each row as rectangles "Mx yhWv1h-Wz",
// offset by the quiet zone.
func svgPath(m [][]bool) string {
	var b strings.Builder
	for r := range darkRuns(m) {
		n := strconv.Itoa(r.end - r.start)
		b.WriteString("M" + strconv.Itoa(r.start+qrQuiet) + " " + strconv.Itoa(r.row+qrQuiet) + "h" + n + "v1h-" + n + "z")
	}
	return b.String()
}
