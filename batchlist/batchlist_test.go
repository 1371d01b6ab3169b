package batchlist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"markd/mark"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr(b bool) *bool { return &b }

// sampleItems is what the three sample files of the spec hold (the
// twelve accepted marks of the shared test vectors).
func sampleItems() []Item {
	no := ptr(false)
	mk := func(n int, tr string, class uint8, w int, kop int64, notice *bool, serial uint64) Item {
		return Item{Line: n + 1, N: n, Tracking: tr, MailClass: class, WeightG: w, TariffKop: kop, Notice: notice, Serial: serial}
	}
	return []Item{
		mk(1, "42600000000015", 2, 20, 10500, no, 7100000001),
		mk(2, "42600000000022", 2, 20, 10500, no, 7100000002),
		mk(3, "42600000000039", 2, 20, 10500, no, 7100000003),
		mk(4, "", 1, 20, 5000, no, 7100000004),
		mk(5, "42600000000053", 3, 480, 28000, no, 7100000005),
		mk(6, "42600000000060", 2, 20, 21500, ptr(true), 7100000006),
		mk(7, "42600000000077", 2, 20, 10600, no, 7100000007),
		mk(8, "42600000000084", 2, 20, 9200, no, 7100000008),
		mk(9, "42600000000091", 2, 40, 12500, no, 7100000009),
		mk(10, "42600000000107", 1, 20, 5000, no, 7100000010),
		mk(11, "42600000000114", 2, 20, 10500, no, 7100000011),
		mk(12, "42600000000251", 2, 20, 10500, no, 7100000025),
	}
}

// withoutLines drops Line, which differs between the forms.
func withoutLines(items []Item) []Item {
	out := append([]Item(nil), items...)
	for i := range out {
		out[i].Line = 0
	}
	return out
}

func TestParseSamples(t *testing.T) {
	want := sampleItems()
	for _, tc := range []struct {
		file     string
		contract uint32
		lines    bool // Line is the CSV line (n+1)
	}{
		{"list-utf8.csv", 0, true},
		{"list-cp1251.csv", 0, true},
		{"list.json", 1004417, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			l, err := Parse(readSample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if l.Contract != tc.contract {
				t.Errorf("contract %d, want %d", l.Contract, tc.contract)
			}
			got, exp := l.Items, want
			if !tc.lines {
				got, exp = withoutLines(got), withoutLines(exp)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("items differ:\n got %+v\nwant %+v", got, exp)
			}
		})
	}
}

// TestParseJSONLines checks that JSON items know the line their object
// starts on (the sample has one key per line: item k starts on line 4+9(k-1)).
func TestParseJSONLines(t *testing.T) {
	l, err := Parse(readSample(t, "list.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range l.Items {
		if want := 4 + 9*i; it.Line != want {
			t.Errorf("item %d on line %d, want %d", i+1, it.Line, want)
		}
	}
}

// TestParseCSVForms: the same list with BOM, CRLF, Windows-1251, the other
// separator, other header case and order, extra columns, quotes.
func TestParseCSVForms(t *testing.T) {
	utf := string(readSample(t, "list-utf8.csv"))
	cp, err := charmap.Windows1251.NewEncoder().String(utf)
	if err != nil {
		t.Fatal(err)
	}
	cpYaYu, err := charmap.Windows1251.NewEncoder().String("яю," + strings.ReplaceAll(utf, "\n", "\n,"))
	if err != nil {
		t.Fatal(err)
	}
	want := withoutLines(sampleItems())
	for _, tc := range []struct {
		name string
		data string
	}{
		{"bom", "\uFEFF" + utf},
		{"crlf", strings.ReplaceAll(utf, "\n", "\r\n")},
		{"semicolon", strings.ReplaceAll(utf, ",", ";")},
		{"cp1251-english", cp},
		{"upper-case-header", strings.Replace(utf, "n,tracking,mail_class,weight_g,tariff_kop,notice,serial", "N,TRACKING,Mail_Class,WEIGHT_G,Tariff_Kop,NOTICE,Serial", 1)},
		{"extra-columns", strings.NewReplacer("\n", ",x\n").Replace(strings.Replace(utf, "serial\n", "serial,comment\n", 1))},
		{"quoted", strings.ReplaceAll(utf, ",42600000000015,", `,"426000 00 00001 5",`)},
		{"trailing-empty-rows", utf + ",,,,,,\n\n"},
		{"blank-lines-before-semicolon-header", "\n \r\n;;\n" + strings.ReplaceAll(utf, ",", ";")},
		{"cp1251-header-starting-yayu", cpYaYu}, // FF FE, not UTF-16
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse([]byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if got := withoutLines(l.Items); !reflect.DeepEqual(got, want) {
				t.Errorf("items differ:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseRussianReordered(t *testing.T) {
	data := "Серия знака;плата, КОП;Масса,г;ВИД;Примечание;шпи;№\n" +
		"7100000001;10500;20;Заказное  письмо;—;426000 00 00001 5;7\n" +
		"7100000004;5000;20;ПРОСТОЕ ПИСЬМО;;;8\n" +
		"7100000005;28000;480;3;;42600000000053;9\n"
	l, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{
		{Line: 2, N: 7, Tracking: "42600000000015", MailClass: 2, WeightG: 20, TariffKop: 10500, Serial: 7100000001},
		{Line: 3, N: 8, MailClass: 1, WeightG: 20, TariffKop: 5000, Serial: 7100000004},
		{Line: 4, N: 9, Tracking: "42600000000053", MailClass: 3, WeightG: 480, TariffKop: 28000, Serial: 7100000005},
	}
	if !reflect.DeepEqual(l.Items, want) {
		t.Errorf("got %+v\nwant %+v", l.Items, want)
	}
}

func TestParseValues(t *testing.T) {
	for _, tc := range []struct {
		rub  string
		kop  int64
		fail bool
	}{
		{"105,00", 10500, false}, {"105.00", 10500, false}, {"105", 10500, false},
		{"105,5", 10550, false}, {"1 050,00", 105000, false}, {"1\u00a0050,00", 105000, false},
		{"0,07", 7, false}, {"105,", 0, true}, {"105,001", 0, true}, {"1,050.00", 0, true},
		{"-5", 0, true}, {"руб", 0, true}, {"42949672,96", 0, true}, {"42949672,95", 4294967295, false},
	} {
		k, msg := parseRub(tc.rub)
		if (msg != "") != tc.fail || k != tc.kop {
			t.Errorf("parseRub(%q) = %d, %q; want %d, fail %v", tc.rub, k, msg, tc.kop, tc.fail)
		}
	}
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"42600000000015", "42600000000015"}, {"426000 00 00001 5", "42600000000015"},
		{" 4 2 6 0 0 0 0 0 0 0 0 0 1 5 ", "42600000000015"}, {"42600000000016", ""},
		{"4260000000001", ""}, {"426000000000150", ""}, {"4260000000001-5", ""},
	} {
		got, _ := parseTracking(tc.in)
		if got != tc.want {
			t.Errorf("parseTracking(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for kop, want := range map[int64]string{0: "0,00", 7: "0,07", 10500: "105,00", 123456: "1234,56", -50: "-0,50"} {
		if got := FormatRub(kop); got != want {
			t.Errorf("FormatRub(%d) = %q, want %q", kop, got, want)
		}
	}
}

const hdr = "n;tracking;mail_class;weight_g;tariff_kop;notice;serial\n"

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		data        string
		line, col   int
		field       string
		msgContains string
	}{
		{"empty", "", 1, 0, "", "empty"},
		{"utf16", "\xff\xfen\x00;\x00", 1, 0, "", "UTF-16"},
		{"xlsx", "PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", 1, 0, "", "Excel workbook"},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", 1, 0, "", "Excel workbook"},
		{"header-only", hdr, 1, 0, "", "no items"},
		{"no-class-column", "n;tracking;weight_g;tariff_kop\n1;42600000000015;20;10500\n", 1, 0, "mail_class", "no mail class column"},
		{"no-tariff-column", "tracking;mail_class;weight_g\n42600000000015;2;20\n", 1, 0, "tariff_kop", "no tariff column"},
		{"twice-column", "tracking;mail_class;weight_g;tariff_kop;ШПИ\n", 1, 5, "tracking", "appears twice"},
		{"bad-check-digit", hdr + "1;42600000000015;2;20;10500;0;1\n2;42600000000016;2;20;10500;0;2\n", 3, 2, "tracking", "check digit"},
		{"short-tracking", hdr + "1;4260000000001;2;20;10500;0;1\n", 2, 2, "tracking", "has 13"},
		{"letters-in-tracking", hdr + "1;RA123456789RU;2;20;10500;0;1\n", 2, 2, "tracking", "14 digits"},
		{"registered-without-tracking", hdr + "1;;2;20;10500;0;1\n", 2, 2, "tracking", "registered item needs"},
		{"bad-class", hdr + "1;42600000000015;5;20;10500;0;1\n", 2, 3, "mail_class", "unknown mail class"},
		{"bad-class-name", hdr + "1;42600000000015;посылка;20;10500;0;1\n", 2, 3, "mail_class", "заказное письмо"},
		{"no-class", hdr + "1;42600000000015;;20;10500;0;1\n", 2, 3, "mail_class", "required"},
		{"zero-weight", hdr + "1;42600000000015;2;0;10500;0;1\n", 2, 4, "weight_g", "1 to 65535"},
		{"fraction-weight", hdr + "1;42600000000015;2;20,5;10500;0;1\n", 2, 4, "weight_g", "whole grams"},
		{"heavy", hdr + "1;42600000000015;2;65536;10500;0;1\n", 2, 4, "weight_g", "1 to 65535"},
		{"negative-kop", hdr + "1;42600000000015;2;20;-1;0;1\n", 2, 5, "tariff_kop", "whole kopecks"},
		{"rub-in-kop", hdr + "1;42600000000015;2;20;105,00;0;1\n", 2, 5, "tariff_kop", "whole kopecks"},
		{"no-tariff", hdr + "1;42600000000015;2;20;;0;1\n", 2, 5, "tariff_kop", "tariff is required"},
		{"kop-rub-disagree", "tracking;mail_class;weight_g;tariff_kop;tariff_rub\n42600000000015;2;20;10500;105,01\n", 2, 5, "tariff_rub", "disagree"},
		{"bad-notice", hdr + "1;42600000000015;2;20;10500;может;1\n", 2, 6, "notice", "да or нет"},
		{"notice-simple", hdr + "1;;1;20;5000;да;1\n", 2, 6, "notice", "registered classes"},
		{"bad-serial", hdr + "1;42600000000015;2;20;10500;0;7e9\n", 2, 7, "serial", "whole number"},
		{"zero-n", hdr + "0;42600000000015;2;20;10500;0;1\n", 2, 1, "n", "1 or more"},
		{"short-row", hdr + "1;42600000000015;2\n", 2, 4, "weight_g", "required"},
		{"dup-serial", hdr + "1;42600000000015;2;20;10500;0;7\n2;42600000000022;2;20;10500;0;7\n", 3, 7, "serial", "first on line 2"},
		{"dup-tracking", hdr + "1;42600000000015;2;20;10500;0;\n2;426000 00 00001 5;2;20;10500;0;\n", 3, 2, "tracking", "first on line 2"},
		{"dup-serial-after-blank-and-multiline", hdr + "1;\"426000\n0000001 5\";2;20;10500;0;7\n;;;;;;\n2;42600000000022;2;20;10500;0;\"\n7\"\n", 5, 7, "serial", "first on line 3"},
		{"json-dup-serial", "{\"items\": [\n {\"tracking\": \"42600000000015\", \"mail_class\": 2, \"weight_g\": 20, \"tariff_kop\": 10500, \"serial\": 7},\n {\"tracking\": \"42600000000022\", \"mail_class\": 2, \"weight_g\": 20, \"tariff_kop\": 10500,\n  \"serial\": 7}]}", 4, 13, "serial", "first on line 2"},
		{"json-dup-tracking", "[{\"tracking\": \"42600000000015\", \"mail_class\": 2, \"weight_g\": 20, \"tariff_kop\": 10500},\n {\"mail_class\": 2, \"tracking\": 42600000000015, \"weight_g\": 20, \"tariff_kop\": 10500}]", 2, 32, "tracking", "first on line 1"},
		{"bare-quote", hdr + "1;42600000000015;2;20;10500;0;7\n2;\"426;2;20\n", 3, 0, "", "cannot be read"},
		{"bare-quote-field", hdr + "1;4260\"0000000015;2;20;10500;0;7\n", 2, 2, "", "bare \""},
		{"open-quote-field", hdr + "1;42600000000015;2;20;10500;0;7\n2;42600000000022;\"2;20;10500;0;8\n", 3, 3, "", "cannot be read"},
		{"value-after-multiline-field", hdr + "1;\"426000\n00000015\";2;20;x;0;7\n", 3, 5, "tariff_kop", "whole kopecks"},
		{"decimal-comma-unquoted", "mail_class,weight_g,tariff_rub\n1,20,50,50\n", 2, 4, "", "must be in quotes"},
		{"value-past-header", "mail_class;weight_g;tariff_kop\n1;20;5000;;note\n", 2, 5, "", "the header 3 columns"},
		{"kop-too-large", hdr + "1;42600000000015;2;20;4294967296;0;1\n", 2, 5, "tariff_kop", "more than a mark can carry"},
		{"rub-too-large", "mail_class;weight_g;tariff_rub\n1;20;42949672,96\n", 2, 3, "tariff_rub", "more than a mark can carry"},
		{"json-syntax", "{\"items\": [\n {\"n\": 1,,}\n]}", 2, 0, "", "malformed"},
		{"json-truncated", "{\"items\": [\n {\"n\": 1", 2, 0, "", "ends too early"},
		{"json-bad-tracking", "{\"contract\": 5, \"items\": [\n {\"tracking\": \"42600000000016\", \"mail_class\": 2,\n  \"weight_g\": 20, \"tariff_kop\": 10500}]}", 2, 15, "tracking", "check digit"},
		{"json-no-weight", "{\"items\": [\n {\"tracking\": \"42600000000015\", \"mail_class\": 2, \"tariff_kop\": 1}]}", 2, 2, "weight_g", "required"},
		{"json-object-value", "{\"items\": [{\"mail_class\": {\"x\": 1}}]}", 1, 27, "", "must be a number"},
		{"json-bad-value-line", "{\"items\": [\n {\"mail_class\": 2,\n  \"tracking\": \"42600000000016\",\n  \"weight_g\": 20, \"tariff_kop\": 10500}]}", 3, 15, "tracking", "check digit"},
		{"json-items-twice", "{\"items\": [{\"mail_class\": 1, \"weight_g\": 20, \"tariff_kop\": 5000}],\n \"items\": [{\"mail_class\": 1, \"weight_g\": 40, \"tariff_kop\": 7000}]}", 2, 2, "items", "twice"},
		{"json-bad-contract", "{\"contract\": -4, \"items\": []}", 1, 14, "contract", "1 to 4294967295"},
		{"json-no-items", "{\"contract\": 4}", 1, 0, "items", "no \"items\""},
		{"json-item-not-object", "{\"items\": [1]}", 1, 12, "", "must be an object"},
		{"json-trailing", "[{\"mail_class\": 1, \"weight_g\": 20, \"tariff_kop\": 5000}] x", 1, 57, "", "after the end"},
		{"json-dup-key", "[{\"mail_class\": 1, \"weight_g\": 20, \"tariff_kop\": 5000, \"weight_g\": 21}]", 1, 56, "weight_g", "twice"},
		// a key in another case was ignored as unknown: the serial dropped
		// (the item matched by tracking), the list's contract not checked
		{"json-key-case", "[{\"mail_class\": 1, \"weight_g\": 20, \"tariff_kop\": 5000, \"Serial\": 7}]", 1, 56, "serial", `unknown key "Serial" (did you mean "serial"?)`},
		{"json-top-key-case", "{\"Contract\": 5, \"items\": []}", 1, 2, "contract", `unknown key "Contract" (did you mean "contract"?)`},
		{"json-not-utf8", "[{\"mail_class\": \"\xe7\xe0\xea\"}]", 1, 18, "", "UTF-8"},
		{"not-json-is-csv", "\"x\"", 1, 0, "mail_class", "no mail class column"},
		{"json-number", "[[1]]", 1, 2, "", "must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse([]byte(tc.data))
			if err == nil {
				t.Fatalf("accepted: %+v", l)
			}
			if !errors.Is(err, mark.ErrInvalid) {
				t.Errorf("error does not wrap mark.ErrInvalid: %v", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *ParseError: %T %v", err, err)
			}
			if pe.Line != tc.line || (tc.col != 0 && pe.Column != tc.col) || pe.Field != tc.field || !strings.Contains(pe.Msg, tc.msgContains) {
				t.Errorf("got line %d col %d field %q msg %q\nwant line %d col %d field %q msg containing %q\n(%v)",
					pe.Line, pe.Column, pe.Field, pe.Msg, tc.line, tc.col, tc.field, tc.msgContains, err)
			}
			if len(l.Items) != 0 {
				t.Errorf("half-imported: %d items beside the error", len(l.Items))
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	_, err := Parse([]byte(hdr + "1;42600000000016;2;20;10500;0;1\n"))
	want := `batch list: line 2, column 2 (tracking): value "42600000000016": the check digit (the last digit) of the tracking number is wrong: mistyped number?`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// TestParseCP1251Errors: an error in a Windows-1251 file quotes the value
// in readable Cyrillic.
func TestParseCP1251Errors(t *testing.T) {
	src := "№;ШПИ;Вид;Масса, г;Плата, руб\n1;42600000000015;бандероль;20;105,00\n"
	cp, err := charmap.Windows1251.NewEncoder().String(src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse([]byte(cp))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Value != "бандероль" || pe.Line != 2 || pe.Column != 3 {
		t.Fatalf("got %v", err)
	}
}

func TestParseTooMany(t *testing.T) {
	var b strings.Builder
	b.WriteString("mail_class,weight_g,tariff_kop\n")
	for range MaxItems + 1 {
		b.WriteString("1,20,5000\n")
	}
	_, err := Parse([]byte(b.String()))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != MaxItems+2 {
		t.Fatalf("got %v", err)
	}
}

// TestParseMixedEncodingNamed: a UTF-8 list with one cell in Windows-1251
// is not valid UTF-8, so BATCH-LIST.md reads it all as Windows-1251 and
// its UTF-8 Russian header is not recognised. The refusal says so and
// names the byte that made it so, by line and column; until 2026-12-04 it
// said only that the header had no class column, quoting the header as
// "РЁРџР…". A real Windows-1251 list's refusals carry no such note.
func TestParseMixedEncodingNamed(t *testing.T) {
	ivanov, err := charmap.Windows1251.NewEncoder().String("Иванов")
	if err != nil {
		t.Fatal(err)
	}
	src := "n;ШПИ;Вид;Масса, г;Плата, руб;кто\n1;42600000000015;2;20;105,00;Пётр\n2;42600000000022;2;20;105,00;" + ivanov + "\n"
	_, err = Parse([]byte(src))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Field != "mail_class" {
		t.Fatalf("got %v, want the header refused", err)
	}
	if !strings.Contains(pe.Msg, "UTF-8 but for the byte 0xC8 at line 3, column 30") || !strings.Contains(pe.Msg, "Windows-1251") {
		t.Errorf("message %q does not name the byte that is not UTF-8 (0xC8 at line 3, column 30)", pe.Msg)
	}
	// A Windows-1251 list with a mistake: no note.
	cp, err := charmap.Windows1251.NewEncoder().String("№;ШПИ;Вид;Масса, г;Плата, руб\n1;42600000000015;бандероль;20;105,00\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte(cp)); !errors.As(err, &pe) || strings.Contains(pe.Msg, "UTF-8") {
		t.Errorf("Windows-1251 list: %v; want its refusal without an encoding note", err)
	}
}

// TestParseHeaderQuotedShort: a refusal for a missing column quotes the
// header row, but not a header of thousands of columns or one long line
// whole (until 2026-12-04 a 1.9 MB one-line file gave a 2.3 MB message,
// in the API's answer and on the operator screen): the first 12 columns,
// each at most 40 characters, and the number of columns.
func TestParseHeaderQuotedShort(t *testing.T) {
	cols := make([]string, 5000)
	for i := range cols {
		cols[i] = fmt.Sprintf("column%d", i)
	}
	cols[3] = strings.Repeat("x", 500)
	_, err := Parse([]byte(strings.Join(cols, ",") + "\n1,2,3\n"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Field != "mail_class" {
		t.Fatalf("got %v, want the header refused for its class column", err)
	}
	if len(pe.Error()) > 1000 || !strings.Contains(pe.Msg, "column0 | column1") || !strings.Contains(pe.Msg, "(5000 columns)") {
		t.Errorf("message of %d bytes: %.300q…; want the first columns and the count, under 1000 bytes", len(pe.Error()), pe.Error())
	}
	// A short header is quoted whole, as before.
	_, err = Parse([]byte("n;tracking;weight_g;tariff_kop\n1;42600000000015;20;10500\n"))
	if !errors.As(err, &pe) || !strings.HasSuffix(pe.Msg, "the header has: n | tracking | weight_g | tariff_kop") {
		t.Errorf("short header: %v", err)
	}
}
