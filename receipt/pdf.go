package receipt

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Page geometry in points (A4 portrait, 595 × 842).
const (
	pageW, pageH = 595.0, 842.0
	marginX      = 40.0
	marginTop    = 40.0
	contentW     = pageW - 2*marginX
	bottomLimit  = pageH - 52 // content ends above the footer
	footerY      = pageH - 34
	rowH         = 14.0 // one table line
	lineH        = 11.0 // one wrapped line inside a row
	cellPad      = 3.0
	bodySize     = 9
	qrSize       = 92.0
)

// Font families registered in every document: the Go fonts, which cover
// Cyrillic (WGL4) and are embedded as subsets.
const (
	fontRegular = "GoRegular"
	fontBold    = "GoBold"
)

// column is one table column: its heading, width and alignment.
type column struct {
	title string
	w     float64
	right bool
}

var (
	itemTable = []column{{itemCols[0], 32, true}, {itemCols[1], 98, false}, {itemCols[2], 78, false},
		{itemCols[3], 167, false}, {itemCols[4], 58, true}, {itemCols[5], 82, true}}
	rejectedTable = []column{{rejectedCols[0], 32, true}, {rejectedCols[1], 52, false}, {rejectedCols[2], 78, false},
		{rejectedCols[3], 98, false}, {rejectedCols[4], 255, false}}
	// with "26.11.2026 00:05:00" in the time column
	rejectedTableDated = []column{{rejectedCols[0], 32, true}, {rejectedCols[1], 92, false}, {rejectedCols[2], 78, false},
		{rejectedCols[3], 98, false}, {rejectedCols[4], 215, false}}
	againTable = []column{{againCols[0], 32, true}, {againCols[1], 78, false}, {againCols[2], 98, false}, {againCols[3], 307, false}}
	diffTable  = []column{{diffCols[0], 24, true}, {diffCols[1], 84, false}, {diffCols[2], 72, true},
		{diffCols[3], 88, false}, {diffCols[4], 62, false}, {diffCols[5], 92, false}, {diffCols[6], 93, false}}
)

// pdfDoc carries the document and the cursor while the pages are laid out.
type pdfDoc struct {
	gp *gopdf.GoPdf
	v  view
	y  float64
}

// WritePDF writes the receipt as an A4 PDF: a head with the QR code of
// the batch id on the first page, the accepted items (the table heading
// repeated on every page), the totals, the rejected items with their
// reasons, the marks presented again after their acceptance, signature lines, and "Стр. N из M" with the batch id on every
// page.
func WritePDF(w io.Writer, r Receipt) error { return WritePDFThen(w, r, nil) }

// WritePDFThen is WritePDF calling laidOut, when not nil, once the pages
// are laid out and before they are written: for a long receipt each half
// takes about half the time (a close says which it is at).
func WritePDFThen(w io.Writer, r Receipt, laidOut func()) error {
	v := r.view()
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	// The creation date in office time to the second, whatever zone and
	// precision the time came in (the clock's at closing, UTC from the
	// store later): the receipt made again is the same bytes.
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	created := cmp.Or(r.Closed, r.Opened).In(loc).Truncate(time.Second)
	gp.SetInfo(gopdf.PdfInfo{Title: v.Title + " " + v.BatchID, Subject: "Партия " + v.BatchID,
		Creator: "markd", Producer: "markd", CreationDate: created})
	if err := gp.AddTTFFontData(fontRegular, goregular.TTF); err != nil {
		return fmt.Errorf("receipt pdf: font: %w", err)
	}
	if err := gp.AddTTFFontData(fontBold, gobold.TTF); err != nil {
		return fmt.Errorf("receipt pdf: font: %w", err)
	}
	d := &pdfDoc{gp: gp, v: v}
	if err := d.layout(r.BatchID); err != nil {
		return fmt.Errorf("receipt pdf: %w", err)
	}
	if err := d.footers(); err != nil {
		return fmt.Errorf("receipt pdf: %w", err)
	}
	if laidOut != nil {
		laidOut()
	}
	if err := gp.Write(w); err != nil {
		return fmt.Errorf("receipt pdf: write: %w", err)
	}
	return nil
}

func (d *pdfDoc) layout(batchID string) error {
	gp := d.gp
	gp.AddPage()
	if err := d.text(fontBold, 14, marginX, marginTop, contentW-qrSize-10, d.v.Title, false); err != nil {
		return err
	}
	if err := d.qr(batchID, pageW-marginX-qrSize, marginTop-6); err != nil {
		return err
	}
	y := marginTop + 28
	// A value is wrapped, never cut: a name on the receipt is printed whole.
	valueW := contentW - 90 - qrSize - 10
	for _, kv := range d.v.Head {
		if err := d.text(fontRegular, 10, marginX, y, 90, kv[0]+":", false); err != nil {
			return err
		}
		if err := gp.SetFont(fontBold, "", 10); err != nil {
			return err
		}
		for i, l := range d.wrap(kv[1], valueW) {
			if i > 0 {
				y += 12
			}
			if err := d.text(fontBold, 10, marginX+90, y, valueW, l, false); err != nil {
				return err
			}
		}
		y += 15
	}
	d.y = y + 12

	if err := d.section("Принятые отправления"); err != nil {
		return err
	}
	if len(d.v.Items) == 0 {
		if err := d.para(fontRegular, 10, "Нет принятых отправлений."); err != nil {
			return err
		}
	} else if err := d.table(itemTable, d.v.Items); err != nil {
		return err
	}
	if len(d.v.Decisions) > 0 {
		d.y += 4
		for _, l := range d.v.Decisions {
			if err := d.wrapped(fontRegular, 9, l); err != nil {
				return err
			}
		}
	}

	d.y += 8
	if err := d.need(14 + 13*float64(len(d.v.ByClass)+1)); err != nil {
		return err
	}
	if err := d.para(fontBold, 10, d.v.Summary); err != nil {
		return err
	}
	for _, l := range d.v.ByClass {
		if err := d.para(fontRegular, 10, "    "+l); err != nil {
			return err
		}
	}
	if d.v.RejectedNote != "" {
		if err := d.para(fontBold, 10, d.v.RejectedNote); err != nil {
			return err
		}
	}
	if d.v.AgainNote != "" {
		if err := d.wrapped(fontBold, 10, d.v.AgainNote); err != nil {
			return err
		}
	}

	if d.v.ListNote != "" {
		d.y += 10
		if err := d.section("Сверка со списком клиента"); err != nil {
			return err
		}
		if err := d.wrapped(fontRegular, 10, d.v.ListNote); err != nil {
			return err
		}
		if len(d.v.Diffs) > 0 {
			d.y += 4
			if err := d.table(diffTable, d.v.Diffs); err != nil {
				return err
			}
		}
	}

	d.y += 10
	if err := d.section("Не принятые отправления (возвращены отправителю)"); err != nil {
		return err
	}
	if len(d.v.Rejected) == 0 {
		if err := d.para(fontRegular, 10, "Нет."); err != nil {
			return err
		}
	} else {
		cols := rejectedTable
		if d.v.RejectedDated {
			cols = rejectedTableDated
		}
		if err := d.table(cols, d.v.Rejected); err != nil {
			return err
		}
	}

	if len(d.v.Again) > 0 {
		d.y += 10
		if err := d.section(againTitle); err != nil {
			return err
		}
		if err := d.table(againTable, d.v.Again); err != nil {
			return err
		}
	}

	d.y += 24
	half := contentW / 2
	if err := gp.SetFont(fontRegular, "", 8); err != nil {
		return err
	}
	// the captions wrapped (the operator's name whole), the lines kept
	// on one page with them
	captions := make([][]string, len(d.v.Signs))
	rows := 1
	for i, label := range d.v.Signs {
		captions[i] = d.wrap(label, half-20-2*cellPad)
		rows = max(rows, len(captions[i]))
	}
	if err := d.need(30 + 10*float64(rows)); err != nil {
		return err
	}
	gp.SetStrokeColor(0, 0, 0)
	gp.SetLineWidth(0.5)
	for i, lines := range captions {
		x := marginX + float64(i)*half
		gp.Line(x, d.y+14, x+half-20, d.y+14)
		for k, l := range lines {
			if err := d.text(fontRegular, 8, x, d.y+16+10*float64(k), half-20, l, false); err != nil {
				return err
			}
		}
	}
	d.y += 20 + 10*float64(rows)
	return nil
}

// footers writes the batch id and "Стр. N из M" on every page, once the
// number of pages is known.
func (d *pdfDoc) footers() error {
	n := d.gp.GetNumberOfPages()
	for p := 1; p <= n; p++ {
		if err := d.gp.SetPage(p); err != nil {
			return err
		}
		d.gp.SetStrokeColor(150, 150, 150)
		d.gp.SetLineWidth(0.5)
		d.gp.Line(marginX, footerY-4, pageW-marginX, footerY-4)
		if err := d.text(fontRegular, 8, marginX, footerY, contentW/2, "Партия "+d.v.BatchID, false); err != nil {
			return err
		}
		if err := d.text(fontRegular, 8, marginX+contentW/2, footerY, contentW/2, fmt.Sprintf("Стр. %d из %d", p, n), true); err != nil {
			return err
		}
	}
	return nil
}

// newPage starts a continuation page with a one-line head.
func (d *pdfDoc) newPage() error {
	d.gp.AddPage()
	d.y = marginTop
	if err := d.text(fontRegular, 8, marginX, d.y, contentW, d.v.Title+" · партия "+d.v.BatchID+" (продолжение)", false); err != nil {
		return err
	}
	d.y += 18
	return nil
}

// need starts a new page unless h points fit below the cursor.
func (d *pdfDoc) need(h float64) error {
	if d.y+h > bottomLimit {
		return d.newPage()
	}
	return nil
}

func (d *pdfDoc) section(title string) error {
	if err := d.need(18 + 2*rowH); err != nil { // a heading never ends a page
		return err
	}
	if err := d.text(fontBold, 11, marginX, d.y, contentW, title, false); err != nil {
		return err
	}
	d.y += 18
	return nil
}

func (d *pdfDoc) para(font string, size float64, s string) error {
	if err := d.need(13); err != nil {
		return err
	}
	if err := d.text(font, size, marginX, d.y, contentW, s, false); err != nil {
		return err
	}
	d.y += 13
	return nil
}

// wrapped writes a paragraph broken between words over as many lines as
// it needs.
func (d *pdfDoc) wrapped(font string, size float64, s string) error {
	if err := d.gp.SetFont(font, "", size); err != nil {
		return err
	}
	for _, l := range d.wrap(s, contentW-2*cellPad) {
		if err := d.para(font, size, l); err != nil {
			return err
		}
	}
	return nil
}

// table lays out rows under a heading row that is repeated on every page
// the table continues on. The last column wraps; other cells are cut to
// fit with "…".
func (d *pdfDoc) table(cols []column, rows [][]string) error {
	gp := d.gp
	if err := d.header(cols); err != nil {
		return err
	}
	last := len(cols) - 1
	if err := gp.SetFont(fontRegular, "", bodySize); err != nil {
		return err
	}
	for i, row := range rows {
		lines := d.wrap(row[last], cols[last].w-2*cellPad)
		h := rowH + lineH*float64(len(lines)-1)
		if d.y+h > bottomLimit {
			if err := d.newPage(); err != nil {
				return err
			}
			if err := d.header(cols); err != nil {
				return err
			}
			if err := gp.SetFont(fontRegular, "", bodySize); err != nil {
				return err
			}
		}
		if i%2 == 1 {
			gp.SetFillColor(242, 242, 242)
			gp.RectFromUpperLeftWithStyle(marginX, d.y, contentW, h, "F")
			d.ink()
		}
		x := marginX
		for c, col := range cols {
			if c == last {
				for k, l := range lines {
					if err := d.cell(x, d.y+float64(k)*lineH, col, l); err != nil {
						return err
					}
				}
				break
			}
			if err := d.cell(x, d.y, col, row[c]); err != nil {
				return err
			}
			x += col.w
		}
		d.y += h
	}
	gp.SetStrokeColor(120, 120, 120)
	gp.SetLineWidth(0.5)
	gp.Line(marginX, d.y, marginX+contentW, d.y)
	return nil
}

func (d *pdfDoc) header(cols []column) error {
	gp := d.gp
	gp.SetFillColor(220, 220, 220)
	gp.RectFromUpperLeftWithStyle(marginX, d.y, contentW, rowH+2, "F")
	d.ink()
	if err := gp.SetFont(fontBold, "", bodySize); err != nil {
		return err
	}
	x := marginX
	for _, col := range cols {
		if err := d.cell(x, d.y+1, col, col.title); err != nil {
			return err
		}
		x += col.w
	}
	d.y += rowH + 2
	return nil
}

// ink sets black for text after a fill: gopdf draws text with the current
// fill colour.
func (d *pdfDoc) ink() {
	d.gp.SetFillColor(0, 0, 0)
	d.gp.SetTextColor(0, 0, 0)
}

// cell writes s in the current font inside a column, cut to fit.
func (d *pdfDoc) cell(x, y float64, col column, s string) error {
	gp := d.gp
	s = d.fit(s, col.w-2*cellPad)
	opt := gopdf.CellOption{Align: gopdf.Left | gopdf.Top}
	if col.right {
		opt.Align = gopdf.Right | gopdf.Top
	}
	gp.SetXY(x+cellPad, y+cellPad)
	return gp.CellWithOption(&gopdf.Rect{W: col.w - 2*cellPad, H: rowH - cellPad}, s, opt)
}

// text writes one line in the given font, cut to width w.
func (d *pdfDoc) text(font string, size, x, y, w float64, s string, right bool) error {
	if err := d.gp.SetFont(font, "", size); err != nil {
		return err
	}
	return d.cell(x-cellPad, y-cellPad, column{w: w + 2*cellPad, right: right}, s)
}

// wrap breaks s into lines at most w points wide in the current font,
// between words; a word wider than w on its own is broken between
// letters, so nothing is cut.
func (d *pdfDoc) wrap(s string, w float64) []string {
	if width, err := d.gp.MeasureTextWidth(s); err != nil || width <= w {
		return []string{s}
	}
	var words []string
	for _, word := range strings.Fields(s) {
		words = append(words, d.breakWord(word, w)...)
	}
	var lines []string
	line := ""
	for _, word := range words {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if width, err := d.gp.MeasureTextWidth(try); err == nil && width > w && line != "" {
			lines = append(lines, line)
			line = word
			continue
		}
		line = try
	}
	return append(lines, line)
}

// breakWord splits a word wider than w into pieces that fit.
func (d *pdfDoc) breakWord(word string, w float64) []string {
	if width, err := d.gp.MeasureTextWidth(word); err != nil || width <= w {
		return []string{word}
	}
	var out []string
	r := []rune(word)
	for len(r) > 0 {
		n := len(r)
		for n > 1 {
			if width, err := d.gp.MeasureTextWidth(string(r[:n])); err == nil && width <= w {
				break
			}
			n--
		}
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return out
}

// fit cuts s with "…" until it is at most w points wide in the current
// font.
func (d *pdfDoc) fit(s string, w float64) string {
	width, err := d.gp.MeasureTextWidth(s)
	if err != nil || width <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		t := strings.TrimRight(string(r), " ") + "…"
		if width, err := d.gp.MeasureTextWidth(t); err == nil && width <= w {
			return t
		}
	}
	return "…"
}

// qr draws the batch id as a QR code of black squares (vector, so it
// prints sharp at any resolution) with its quiet zone.
func (d *pdfDoc) qr(text string, x, y float64) error {
	m, err := qrMatrix(text)
	if err != nil {
		return err
	}
	n := len(m) + 2*qrQuiet
	mod := qrSize / float64(n)
	d.gp.SetFillColor(0, 0, 0)
	for r := range darkRuns(m) {
		// a hair wider than the run so that neighbouring runs never
		// show a white seam in a viewer's anti-aliasing
		d.gp.RectFromUpperLeftWithStyle(x+float64(r.start+qrQuiet)*mod, y+float64(r.row+qrQuiet)*mod,
			float64(r.end-r.start)*mod+0.05, mod+0.05, "F")
	}
	return nil
}
