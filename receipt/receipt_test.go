package receipt

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
)

const batchID = "019ac3f2-7b40-7c1e-9d3a-5e8f0a1b2c3d"

var msk = time.FixedZone("MSK", 3*3600)

// sample is a receipt of n accepted items (classes and tariffs cycling)
// and three rejected ones.
func sample(n int) Receipt {
	t0 := testdata.Now()
	r := Receipt{
		BatchID: batchID, Office: 426000, OfficeName: "Ижевск ОПС-0", Counter: "окно 3", Operator: "Светлана Петрова",
		Contract: 1004417, Opened: t0, Closed: t0.Add(47 * time.Minute), Location: msk,
	}
	for i := range n {
		it := Item{Serial: 7100000001 + uint64(i), MailClass: uint8(i%4 + 1), WeightG: 20 + i%3*20, TariffKop: 10500}
		switch it.MailClass {
		case mark.ClassSimpleLetter:
			it.TariffKop = 5000
		case mark.ClassPrintedMatter:
			it.TariffKop = 28000
		default:
			it.Notice = i%8 == 1
		}
		if it.MailClass != mark.ClassSimpleLetter {
			it.Tracking = issuer.Tracking(426000, uint64(i+1))
		}
		r.Accepted = append(r.Accepted, it)
	}
	r.Rejected = []Rejected{
		{At: t0.Add(5 * time.Minute), Serial: 7100000900, Tracking: issuer.Tracking(426000, 900), Reasons: []mark.Reason{mark.ReasonUnderpaid}},
		{At: t0.Add(6 * time.Minute), Serial: 7100000901, Reasons: []mark.Reason{mark.ReasonOtherContract, mark.ReasonReused}},
		{At: t0.Add(7 * time.Minute), Reasons: []mark.Reason{mark.ReasonMalformed}},
	}
	return r
}

func TestTotalsAndFormats(t *testing.T) {
	r := sample(12)
	got := r.Totals()
	want := Totals{Count: 12, SumKop: 3*5000 + 3*10500 + 3*28000 + 3*10500, Rejected: 3, ByClass: []ClassTotal{
		{1, 3, 15000}, {2, 3, 31500}, {3, 3, 84000}, {4, 3, 31500}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("totals %+v, want %+v", got, want)
	}
	for kop, s := range map[int64]string{0: "0,00", 5: "0,05", 10500: "105,00", 143200: "1 432,00", 123456789: "1 234 567,89", -150: "-1,50"} {
		if g := FormatRub(kop); g != s {
			t.Errorf("FormatRub(%d) = %q, want %q", kop, g, s)
		}
	}
	for n, w := range map[int]string{0: "отправлений", 1: "отправление", 2: "отправления", 5: "отправлений", 11: "отправлений",
		14: "отправлений", 21: "отправление", 104: "отправления", 111: "отправлений"} {
		if g := plural(n); g != w {
			t.Errorf("plural(%d) = %q, want %q", n, g, w)
		}
	}
	if g := FormatTime(time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC), msk); g != "25.11.2026 10:00 MSK" {
		t.Errorf("FormatTime = %q", g)
	}
	if g := ClassName(3, true); g != "заказная бандероль с уведомлением" {
		t.Errorf("ClassName = %q", g)
	}
}

func TestFromRecords(t *testing.T) {
	t0 := testdata.Now()
	b := mark.Batch{ID: batchID, Office: 426000, Counter: "3", Operator: "sveta", Contract: 7, Opened: t0, Closed: t0.Add(time.Hour)}
	m := func(serial uint64, w uint16) *mark.Mark {
		return &mark.Mark{Serial: serial, MailClass: 2, WeightG: w, TariffKop: 10500, Tracking: issuer.Tracking(426000, serial%1000), Flags: 1}
	}
	recs := []mark.Record{
		{At: t0, Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonOverweight}, Mark: m(1, 20)}, // accepted later
		{At: t0, Verdict: mark.Accept, Mark: m(2, 20)},
		{At: t0, Verdict: mark.DuplicateScan, Mark: m(2, 20)},
		{At: t0, Verdict: mark.NotAMark},
		{At: t0, Verdict: mark.Accept, Mark: m(1, 40)},
		{At: t0.Add(time.Minute), Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonMalformed}},
		{At: t0, Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonReused}, Mark: m(3, 20)},
	}
	r := FromRecords(b, recs, msk)
	if len(r.Accepted) != 2 || r.Accepted[0].Serial != 2 || r.Accepted[1].WeightG != 40 || !r.Accepted[0].Notice {
		t.Errorf("accepted %+v", r.Accepted)
	}
	if len(r.Rejected) != 2 || r.Rejected[0].Serial != 0 || r.Rejected[1].Serial != 3 {
		t.Errorf("rejected %+v", r.Rejected)
	}
	if r.Contract != 7 || r.Operator != "sveta" || r.Location != msk {
		t.Errorf("head %+v", r)
	}
}

// need skips a test when a command of poppler-utils (or tidy) is missing.
func need(t testing.TB, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed (Debian packages poppler-utils, tidy; .ci/packages.txt lists them)", c)
		}
	}
}

func writePDF(t *testing.T, r Receipt) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePDF(&buf, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "receipt.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdfText runs pdftotext on pages first..last (0: all) with the layout kept.
func pdfText(t *testing.T, path string, first, last int) string {
	t.Helper()
	args := []string{"-layout", "-enc", "UTF-8"}
	if first > 0 {
		args = append(args, "-f", fmt.Sprint(first), "-l", fmt.Sprint(last))
	}
	out, err := exec.Command("pdftotext", append(args, path, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestPDFText(t *testing.T) {
	need(t, "pdftotext")
	path := writePDF(t, sample(12))
	text := pdfText(t, path, 0, 0)
	flat := strings.Join(strings.Fields(text), " ") // wrapped cells read on
	for _, want := range []string{
		"Квитанция о приёме партионных почтовых отправлений",
		"426000 Ижевск ОПС-0", "окно 3", "Светлана Петрова", "1004417", batchID,
		"25.11.2026 10:00 MSK", "25.11.2026 10:47 MSK",
		"ШПИ", "Серия знака", "Вид отправления", "Масса, г", "Плата, руб.",
		"42600000000022", "7100000012", "заказное письмо с уведомлением", "заказная бандероль", "заказная карточка", "280,00",
		"Итого принято: 12 отправлений на сумму 1 620,00 руб.",
		"простое письмо: 3 шт., 150,00 руб.", "заказная бандероль: 3 шт., 840,00 руб.",
		"Не принятые отправления", "Оплачено меньше тарифа", "Марка другого договора, не этой партии; Марка уже использована",
		"Марка повреждена или заполнена неверно", "не прочитана", "10:05:00",
		"Сдал (клиент), подпись", "Принял (оператор Светлана Петрова), подпись", "Не принято: 3 шт. (возвращены отправителю, см. ниже)", "Стр. 1 из 1",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("pdftotext lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("text:\n%s", text)
	}
}

// TestPDFPages: a long batch goes over several pages, each with the
// table heading and its number.
func TestPDFPages(t *testing.T) {
	need(t, "pdftotext", "pdfinfo")
	r := sample(300)
	path := writePDF(t, r)
	info, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	for _, l := range strings.Split(string(info), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Pages:" {
			fmt.Sscan(f[1], &pages)
		}
		if strings.HasPrefix(l, "Page size:") && !strings.Contains(l, "595 x 842") {
			t.Errorf("not A4: %s", l)
		}
	}
	if pages < 5 || pages > 9 {
		t.Fatalf("%d pages for 300 items", pages)
	}
	all := pdfText(t, path, 0, 0)
	for i := 1; i <= 300; i++ {
		if s := fmt.Sprint(7100000000 + i); !strings.Contains(all, s) {
			t.Errorf("item %d (serial %s) missing", i, s)
		}
	}
	for p := 1; p <= pages; p++ {
		text := pdfText(t, path, p, p)
		if want := fmt.Sprintf("Стр. %d из %d", p, pages); !strings.Contains(text, want) {
			t.Errorf("page %d lacks %q", p, want)
		}
		if !strings.Contains(text, "Партия "+batchID) {
			t.Errorf("page %d lacks the batch id", p)
		}
		if p < pages-1 && !strings.Contains(text, "Серия знака") {
			t.Errorf("page %d lacks the table heading", p)
		}
	}
	if !strings.Contains(all, "Итого принято: 300 отправлений на сумму 40 500,00 руб.") {
		t.Errorf("totals missing")
	}
}

// TestPDFRender renders the first page as PNG (kept in testdata/artifacts
// to look at) and reads the batch id back from its QR code.
func TestPDFRender(t *testing.T) {
	need(t, "pdftoppm")
	path := writePDF(t, sample(60))
	out := filepath.Join(t.TempDir(), "page")
	if err := exec.Command("pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "2", path, out).Run(); err != nil {
		t.Fatalf("pdftoppm: %v", err)
	}
	pngs, _ := filepath.Glob(out + "*.png")
	if len(pngs) != 2 {
		t.Fatalf("pdftoppm made %v", pngs)
	}
	f, err := os.Open(pngs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 820 || b.Dx() > 830 || b.Dy() < 1165 || b.Dy() > 1175 {
		t.Errorf("page 1 is %v at 100 dpi, want A4 (827 × 1170)", b)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("QR code on page 1 not readable: %v", err)
	}
	if res.GetText() != batchID {
		t.Errorf("QR code says %q, want %q", res.GetText(), batchID)
	}
	if dir := os.Getenv("MARKD_ARTIFACTS"); dir != "" {
		for i, p := range pngs {
			b, _ := os.ReadFile(p)
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("receipt-page%d.png", i+1)), b, 0o644)
		}
	}
}

// TestPDFEmpty: a batch closed without items still gets a receipt.
func TestPDFEmpty(t *testing.T) {
	need(t, "pdftotext")
	r := sample(0)
	r.Rejected = nil
	r.Contract = 0
	text := pdfText(t, writePDF(t, r), 0, 0)
	for _, want := range []string{"Нет принятых отправлений.", "Итого принято: 0 отправлений на сумму 0,00 руб.", "Договор №:", "Стр. 1 из 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
}

func BenchmarkWritePDF1000(b *testing.B) {
	r := sample(1000)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WritePDF(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1024, "KiB")
}

func BenchmarkWriteHTML1000(b *testing.B) {
	r := sample(1000)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteHTML(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFromRecordsRescanned: an envelope scanned again after a rejection is
// one item to hand back, with its last scan's reasons, in the place of its
// first scan.
func TestFromRecordsRescanned(t *testing.T) {
	t0 := testdata.Now()
	b := mark.Batch{ID: batchID, Office: 426000, Counter: "3", Contract: 7, Opened: t0, Closed: t0.Add(time.Hour)}
	m := func(serial uint64) *mark.Mark {
		return &mark.Mark{Serial: serial, MailClass: 2, WeightG: 20, TariffKop: 10500, Tracking: issuer.Tracking(426000, serial)}
	}
	rej := func(min int, rs mark.Reason, mk *mark.Mark, text string) mark.Record {
		return mark.Record{At: t0.Add(time.Duration(min) * time.Minute), Verdict: mark.Reject, Reasons: []mark.Reason{rs}, Mark: mk, Text: text}
	}
	type want struct {
		serial uint64
		reason mark.Reason
		min    int
	}
	for _, tc := range []struct {
		name string
		recs []mark.Record
		want []want
	}{
		{"other contract twice", []mark.Record{rej(0, mark.ReasonOtherContract, m(5), "EPM1:A"), rej(1, mark.ReasonOtherContract, m(5), "EPM1:A")},
			[]want{{5, mark.ReasonOtherContract, 1}}},
		{"reweighed", []mark.Record{rej(0, mark.ReasonOverweight, m(5), "EPM1:A"), rej(2, mark.ReasonExpired, m(6), "EPM1:B"),
			rej(3, mark.ReasonUnderpaid, m(5), "EPM1:A")},
			[]want{{5, mark.ReasonUnderpaid, 3}, {6, mark.ReasonExpired, 2}}},
		{"unread text twice", []mark.Record{rej(0, mark.ReasonMalformed, nil, "EPM1:XX"), rej(1, mark.ReasonMalformed, nil, "EPM1:XX"),
			rej(2, mark.ReasonMalformed, nil, "EPM1:YY")},
			[]want{{0, mark.ReasonMalformed, 1}, {0, mark.ReasonMalformed, 2}}},
		{"two marks", []mark.Record{rej(0, mark.ReasonExpired, m(5), "EPM1:A"), rej(1, mark.ReasonExpired, m(6), "EPM1:B")},
			[]want{{5, mark.ReasonExpired, 0}, {6, mark.ReasonExpired, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := FromRecords(b, tc.recs, msk)
			if len(r.Rejected) != len(tc.want) || r.Totals().Rejected != len(tc.want) {
				t.Fatalf("rejected %+v, want %d items", r.Rejected, len(tc.want))
			}
			for i, w := range tc.want {
				got := r.Rejected[i]
				if got.Serial != w.serial || len(got.Reasons) != 1 || got.Reasons[0] != w.reason || !got.At.Equal(t0.Add(time.Duration(w.min)*time.Minute)) {
					t.Errorf("item %d: %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

// TestPDFLongNames: long Cyrillic names of the office, counter and
// operator are printed whole on the receipt (wrapped, never cut with
// "…"), in the head and under the operator's signature line, and a
// notice-of-delivery printed matter names its class whole.
func TestPDFLongNames(t *testing.T) {
	need(t, "pdftotext")
	r := sample(3)
	r.OfficeName = "Ижевский почтамт УФПС Удмуртской Республики, отделение почтовой связи Ижевск 426000"
	r.Counter = "окно приёма партионной почты юридических лиц № 3 (второй этаж)"
	r.Operator = "Константинопольская-Преображенская Александра Вениаминовна"
	r.Accepted[2] = Item{Serial: 7100000003, Tracking: issuer.Tracking(426000, 3), MailClass: mark.ClassPrintedMatter,
		WeightG: 1999, TariffKop: 123456, Notice: true}
	text := pdfText(t, writePDF(t, r), 0, 0)
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"426000 " + r.OfficeName, r.Counter, r.Operator, "Принял (оператор " + r.Operator + "), подпись",
		"заказная бандероль с уведомлением",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("pdftotext lacks %q", want)
		}
	}
	if strings.Contains(text, "…") {
		t.Errorf("a field is cut with …:\n%s", text)
	}
}

// TestRejectedTimesOverMidnight: a batch that runs past midnight in
// office time prints the date with the time of a rejection on another
// day than the opening, so "00:05:00" is not read as before the opening;
// a rejection on the opening day keeps the bare time.
func TestRejectedTimesOverMidnight(t *testing.T) {
	need(t, "pdftotext")
	opened := time.Date(2026, 11, 25, 20, 50, 0, 0, time.UTC) // 23:50 in Moscow
	r := Receipt{BatchID: batchID, Office: 426000, Counter: "A", Operator: "Иванова", Contract: 1004417,
		Opened: opened, Closed: opened.Add(40 * time.Minute), Location: msk,
		Rejected: []Rejected{
			{At: opened.Add(5 * time.Minute), Serial: 7100000900, Reasons: []mark.Reason{mark.ReasonUnderpaid}},
			{At: opened.Add(15 * time.Minute), Serial: 7100000901, Reasons: []mark.Reason{mark.ReasonUnderpaid}},
		}}
	for name, text := range map[string]string{"pdf": pdfText(t, writePDF(t, r), 0, 0), "html": func() string { _, s := writeHTML(t, r); return s }()} {
		flat := strings.Join(strings.Fields(text), " ")
		for _, want := range []string{"23:55:00", "26.11.2026 00:05:00"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if strings.Contains(flat, "25.11.2026 23:55:00") {
			t.Errorf("%s dates a rejection of the opening day", name)
		}
	}
}

// TestFromRecordsPresentedAgain: a mark accepted in the batch and refused
// later in it as REUSED (the same envelope scanned again after the
// re-scan window, or a copy of the mark on a second envelope) is not left
// out: it has its own section, "accepted once, refused N times" with the
// times, and is not counted among the envelopes handed back. A rejection
// before the acceptance (the customer paid the difference) stays out, and
// a mark first accepted outside this batch is an ordinary rejection.
func TestFromRecordsPresentedAgain(t *testing.T) {
	need(t, "pdftotext")
	t0 := testdata.Now() // 10:00 in Moscow
	b := mark.Batch{ID: batchID, Office: 426000, Counter: "3", Operator: "sveta", Contract: 7, Opened: t0, Closed: t0.Add(time.Hour)}
	m := func(serial uint64) *mark.Mark {
		return &mark.Mark{Serial: serial, MailClass: 2, WeightG: 20, TariffKop: 10500, Tracking: issuer.Tracking(426000, serial)}
	}
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	reused := []mark.Reason{mark.ReasonReused}
	recs := []mark.Record{
		{At: at(1), Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: m(5), Text: "EPM1:A"}, // paid the difference
		{At: at(2), Verdict: mark.Accept, Mark: m(5), Text: "EPM1:A"},
		{At: at(3), Verdict: mark.Accept, Mark: m(6), Text: "EPM1:B"},
		{At: at(4), Verdict: mark.DuplicateScan, Mark: m(6), Text: "EPM1:B"},
		{At: at(21), Verdict: mark.Reject, Reasons: reused, Mark: m(5), Text: "EPM1:A"},  // after the window
		{At: at(22), Verdict: mark.Reject, Reasons: reused, Mark: m(9), Text: "EPM1:C"},  // accepted elsewhere before
		{At: at(23), Verdict: mark.Reject, Reasons: reused, Mark: m(5), Text: "EPM1:A2"}, // a copy
		{At: at(24), Verdict: mark.Reject, Reasons: reused, Mark: m(6), Text: "EPM1:B2"},
	}
	r := FromRecords(b, recs, msk)
	if len(r.Accepted) != 2 || len(r.Rejected) != 1 || r.Rejected[0].Serial != 9 {
		t.Fatalf("accepted %+v, rejected %+v: want 5 and 6 accepted, 9 handed back", r.Accepted, r.Rejected)
	}
	want := []Again{
		{Serial: 5, Tracking: issuer.Tracking(426000, 5), Accepted: at(2), Refused: []time.Time{at(21), at(23)}},
		{Serial: 6, Tracking: issuer.Tracking(426000, 6), Accepted: at(3), Refused: []time.Time{at(24)}},
	}
	if !reflect.DeepEqual(r.Again, want) {
		t.Fatalf("presented again %+v, want %+v", r.Again, want)
	}
	if tot := r.Totals(); tot.Count != 2 || tot.Rejected != 1 || tot.Again != 2 || tot.RefusedAgain != 3 {
		t.Errorf("totals %+v: want 2 accepted, 1 handed back, 2 marks presented again, refused 3 times", tot)
	}
	_, page := writeHTML(t, r)
	for name, text := range map[string]string{"pdf": pdfText(t, writePDF(t, r), 0, 0), "html": page} {
		flat := strings.Join(strings.Fields(text), " ")
		for _, want := range []string{
			"Не принято: 1 шт. (возвращены отправителю, см. ниже)",
			"Повторно предъявлено марок, уже принятых в этой партии: 2 (отказано 3 раза, см. ниже)",
			"Предъявлены повторно: приняты один раз, повторно не приняты",
			"принята 10:02:00, не принята 2 раза: 10:21:00, 10:23:00",
			"принята 10:03:00, не принята 1 раз: 10:24:00",
			FormatTracking(issuer.Tracking(426000, 5)),
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, text)
			}
		}
	}
}
