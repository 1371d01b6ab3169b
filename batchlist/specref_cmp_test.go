package batchlist

// The comparison of markd's Parse and Reconcile with the reference reading
// (specref_test.go) on the generated lists (specref_gen_test.go), and the
// tests that run it.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// ---- comparison with markd ----

func asRef(l List) []refItem {
	out := make([]refItem, len(l.Items))
	for i, it := range l.Items {
		out[i] = refItem{it.Line, it.N, it.Tracking, it.MailClass, it.WeightG, it.TariffKop, it.Notice, it.Serial}
	}
	return out
}

func markdDiffs(l List, scans []Scanned) []refDiff {
	var out []refDiff
	for _, d := range Reconcile(l, scans) {
		rd := refDiff{Kind: string(d.Kind), Item: -1, Scan: -1, Want: d.Want, Got: d.Got}
		if d.Item != nil {
			for i := range l.Items {
				if &l.Items[i] == d.Item {
					rd.Item = i
				}
			}
		}
		if d.Scan != nil {
			for j := range scans {
				if &scans[j] == d.Scan {
					rd.Scan = j
				}
			}
		}
		out = append(out, rd)
	}
	return out
}

// compareParse parses data with both readings and fails on a difference:
// refused by one only, another line named (CSV), other items.
func compareParse(t *testing.T, data []byte, isJSON bool) (List, bool) {
	t.Helper()
	l, err := Parse(data)
	contract, want, ref := refParse(data)
	switch {
	case err != nil && ref != nil:
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("markd's refusal is not a *ParseError: %T %v", err, err)
		}
		if !isJSON && ref.line != 0 && pe.Line != ref.line {
			t.Fatalf("both refuse, markd names line %d, the reference line %d (%s)\nmarkd: %v\ninput: %q", pe.Line, ref.line, ref.why, err, data)
		}
		return l, false
	case err != nil:
		t.Fatalf("markd refuses a list the spec reads:\nmarkd: %v\nreference: %+v\ninput: %q", err, want, data)
	case ref != nil:
		t.Fatalf("markd reads a list the spec refuses (%v):\nmarkd: %+v\ninput: %q", ref, l.Items, data)
	}
	got := asRef(l)
	if isJSON { // the reference does not follow lines in JSON
		for i := range got {
			got[i].Line = 0
		}
	}
	if l.Contract != contract || !reflect.DeepEqual(got, want) {
		t.Fatalf("items differ\nmarkd:     %d %s\nreference: %d %s\ninput: %q", l.Contract, showRef(got), contract, showRef(want), data)
	}
	return l, true
}

func showRef(items []refItem) string {
	var b strings.Builder
	for _, it := range items {
		n := "-"
		if it.Notice != nil {
			n = strconv.FormatBool(*it.Notice)
		}
		fmt.Fprintf(&b, "\n  {line %d n %d tr %q cl %d w %d kop %d notice %s serial %d}", it.Line, it.N, it.Tracking, it.Class, it.Weight, it.Kop, n, it.Serial)
	}
	return b.String()
}

var refStats = map[string]int{}

// refCase runs one generated case from a seed.
func refCase(t *testing.T, seed1, seed2 uint64) {
	rng := rand.New(rand.NewPCG(seed1, seed2))
	items := genItems(rng)
	broken := rng.IntN(4) == 0
	if broken {
		breakOne(rng, items)
	}
	o := genOpts(rng, items)
	isJSON := rng.IntN(3) == 0
	var data []byte
	if isJSON {
		data = renderJSON(rng, o, items, pick(rng, uint32(0), 1004417, 1<<32-1))
	} else {
		data, _ = renderCSV(rng, o, items)
	}
	l, ok := compareParse(t, data, isJSON)
	refStats[fmt.Sprintf("json=%v read=%v", isJSON, ok)]++
	if !ok {
		return
	}
	scans := genScans(rng, items)
	want := refReconcile(asRef(l), scans)
	if got := markdDiffs(l, scans); !reflect.DeepEqual(got, want) {
		t.Fatalf("reconciliation differs\nmarkd:     %+v\nreference: %+v\nlist: %s\nscans: %+v", got, want, showRef(asRef(l)), scans)
	}
}

// FuzzBatchListReference: generated lists (both forms, encodings,
// separators, headers in either language, any order and case, BOMs,
// quoting, line ends, blank rows, trailing separators, roubles, edges,
// duplicates, missing optional columns) read by Parse and by the
// reference to the same items or refused by both at the same line; their
// reconciliation with generated scans the same differences.
func FuzzBatchListReference(f *testing.F) {
	for i := uint64(0); i < 64; i++ {
		f.Add(i, i*7919+1)
	}
	f.Fuzz(func(t *testing.T, a, b uint64) { refCase(t, a, b) })
}

// TestBatchListReferenceRandom runs the generator on a fixed set of seeds
// in every test run (the fuzz corpus holds only the seeds above).
func TestBatchListReferenceRandom(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		refCase(t, uint64(i), 0x5eed)
	}
	t.Log(refStats)
}

// TestBatchListReferenceBoundaries: the edges of each rule, read by Parse
// and by the reference alike; want is the refused line (0: read) and, for
// a list read, its first item's values as the spec gives them.
func TestBatchListReferenceBoundaries(t *testing.T) {
	const h = "n;tracking;mail_class;weight_g;tariff_kop;tariff_rub;notice;serial\n"
	tr := "42600000000015" // check digit 5 (MARK-FORMAT §5)
	yes, no := true, false
	type want struct {
		line   int // refused at; 0 read
		class  uint8
		weight int
		kop    int64
		notice *bool
		serial uint64
		track  string
	}
	read := func(class uint8, weight int, kop int64) want { return want{class: class, weight: weight, kop: kop} }
	for _, tc := range []struct {
		name string
		data string
		want want
	}{
		// weight_g: whole grams, the mark's 1..65535
		{"weight 1", h + "1;;1;1;5000;;;\n", read(1, 1, 5000)},
		{"weight 65535", h + "1;;1;65535;5000;;;\n", read(1, 65535, 5000)},
		{"weight 0", h + "1;;1;0;5000;;;\n", want{line: 2}},
		{"weight 65536", h + "1;;1;65536;5000;;;\n", want{line: 2}},
		{"weight not whole", h + "1;;1;20,5;5000;;;\n", want{line: 2}},
		{"weight empty", h + "1;;1;;5000;;;\n", want{line: 2}},
		// tariffs: whole kopecks up to the mark's 4 bytes, roubles with comma or point
		{"kop 0", h + "1;;1;20;0;;;\n", read(1, 20, 0)},
		{"kop max", h + "1;;1;20;4294967295;;;\n", read(1, 20, 4294967295)},
		{"kop over", h + "1;;1;20;4294967296;;;\n", want{line: 2}},
		{"kop negative", h + "1;;1;20;-1;;;\n", want{line: 2}},
		{"rub comma", h + "1;;1;20;;105,00;;\n", read(1, 20, 10500)},
		{"rub point", h + "1;;1;20;;105.00;;\n", read(1, 20, 10500)},
		{"rub one decimal", h + "1;;1;20;;105,5;;\n", read(1, 20, 10550)},
		{"rub whole", h + "1;;1;20;;105;;\n", read(1, 20, 10500)},
		{"rub a kopeck", h + "1;;1;20;;0,01;;\n", read(1, 20, 1)},
		{"rub max", h + "1;;1;20;;42949672,95;;\n", read(1, 20, 4294967295)},
		{"rub over", h + "1;;1;20;;42949672,96;;\n", want{line: 2}},
		{"rub three decimals", h + "1;;1;20;;105,001;;\n", want{line: 2}},
		{"rub both and agree", h + "1;;1;20;10500;105,00;;\n", read(1, 20, 10500)},
		{"rub both and differ", h + "1;;1;20;10500;105,01;;\n", want{line: 2}},
		{"no tariff", h + "1;;1;20;;;;\n", want{line: 2}},
		{"rub in a ',' list quoted", strings.ReplaceAll(h, ";", ",") + "1,,1,20,,\"105,00\",,\n", read(1, 20, 10500)},
		{"rub in a ',' list unquoted", strings.ReplaceAll(h, ";", ",") + "1,,1,20,,105,00,,\n", want{line: 2}},
		// mail_class
		{"class 0", h + "1;;0;20;5000;;;\n", want{line: 2}},
		{"class 5", h + "1;;5;20;5000;;;\n", want{line: 2}},
		{"class words any case", h + "1;" + tr + ";ЗАКАЗНАЯ Бандероль;20;5000;;;\n", want{class: 3, weight: 20, kop: 5000, track: tr}},
		// tracking: 14 digits, spaces ignored, required but for class 1
		{"tracking spaced", h + "1;426000 00 00001 5;2;20;5000;;;\n", want{class: 2, weight: 20, kop: 5000, track: tr}},
		{"tracking 13 digits", h + "1;4260000000001;2;20;5000;;;\n", want{line: 2}},
		{"tracking 15 digits", h + "1;426000000000150;2;20;5000;;;\n", want{line: 2}},
		{"tracking check digit", h + "1;42600000000016;2;20;5000;;;\n", want{line: 2}},
		{"tracking absent, registered", h + "1;;4;20;5000;;;\n", want{line: 2}},
		{"tracking absent, simple", h + "1;;1;20;5000;;;\n", read(1, 20, 5000)},
		{"tracking on a simple letter", h + "1;" + tr + ";1;20;5000;;;\n", want{class: 1, weight: 20, kop: 5000, track: tr}},
		{"no tracking column, simple letters", "mail_class;weight_g;tariff_kop\n1;20;5000\n", read(1, 20, 5000)},
		{"no tracking column, registered", "mail_class;weight_g;tariff_kop\n2;20;5000\n", want{line: 2}},
		// notice
		{"notice да", h + "1;" + tr + ";2;20;5000;;да;\n", want{class: 2, weight: 20, kop: 5000, track: tr, notice: &yes}},
		{"notice НЕТ", h + "1;" + tr + ";2;20;5000;;НЕТ;\n", want{class: 2, weight: 20, kop: 5000, track: tr, notice: &no}},
		{"notice 0 on a simple letter", h + "1;;1;20;5000;;0;\n", want{class: 1, weight: 20, kop: 5000, notice: &no}},
		{"notice 1 on a simple letter", h + "1;;1;20;5000;;1;\n", want{line: 2}},
		{"notice 2", h + "1;" + tr + ";2;20;5000;;2;\n", want{line: 2}},
		// serial: the mark's, 8 bytes
		{"serial max", h + "1;;1;20;5000;;;18446744073709551615\n", want{class: 1, weight: 20, kop: 5000, serial: 1<<64 - 1}},
		{"serial over", h + "1;;1;20;5000;;;18446744073709551616\n", want{line: 2}},
		// the whole list
		{"header only", h, want{line: 1}},
		{"empty", "", want{line: 1}},
		{"serial twice", h + "1;;1;20;5000;;;7\n2;;1;20;5000;;;7\n", want{line: 3}},
		{"tracking twice", h + "1;" + tr + ";2;20;5000;;;\n2;426000 00 00001 5;2;20;5000;;;\n", want{line: 3}},
		{"required column missing", "n;tracking;mail_class;tariff_kop\n1;;1;5000\n", want{line: 1}},
		{"known column twice", "mail_class;weight_g;tariff_kop;Вид\n1;20;5000;1\n", want{line: 1}},
		{"bad value on the 3rd line", h + "1;;1;20;5000;;;\n2;;1;0;5000;;;\n", want{line: 3}},
		// CSV forms
		{"BOM", "\uFEFF" + h + "1;;1;20;5000;;;\n", read(1, 20, 5000)},
		{"CRLF", strings.ReplaceAll(h+"1;;1;20;5000;;;\n", "\n", "\r\n"), read(1, 20, 5000)},
		{"no final line end", h + "1;;1;20;5000;;;", read(1, 20, 5000)},
		{"trailing separators", strings.TrimSuffix(h, "\n") + ";\n1;;1;20;5000;;;;\n", read(1, 20, 5000)},
		{"empty lines", "\n" + h + "\n;;;;;;;\n1;;1;20;5000;;;\n\n", read(1, 20, 5000)},
		{"quoted cells", h + "\"1\";\"\";\"простое письмо\";\"20\";\"5000\";\"\";\"\";\"\"\n", read(1, 20, 5000)},
		{"quoted unknown with separator, newline, quote", "Адрес;mail_class;weight_g;tariff_kop\n\"a;\nb \"\"c\"\"\";1;20;5000\n", read(1, 20, 5000)},
		{"value after a multi-line cell names its own line", "Адрес;mail_class;weight_g;tariff_kop\n\"a\nb\";1;0;5000\n", want{line: 3}},
		{"stray quote", h + "1;;1;2\"0;5000;;;\n", want{line: 2}},
		{"Russian, Windows-1251", string(must(charmap.Windows1251.NewEncoder().Bytes([]byte("Вид;МАССА, Г;плата, руб\nпростое письмо;20;50,00\n")))), read(1, 20, 5000)},
		{"Russian header, ',' quoted", "\"Вид\",\"Масса, г\",\"Плата, коп\"\n1,20,5000\n", read(1, 20, 5000)},
		// JSON
		{"JSON as the spec", `{"contract": 1004417, "items": [{"n": 1, "tracking": "42600000000015", "mail_class": 2, "weight_g": 20, "tariff_kop": 10500, "notice": false, "serial": 7100000001}]}`,
			want{class: 2, weight: 20, kop: 10500, track: tr, notice: &no, serial: 7100000001}},
		{"JSON strings and null", `{"items": [{"tracking": null, "mail_class": "простое письмо", "weight_g": "20", "tariff_rub": "50,00"}]}`, read(1, 20, 5000)},
		{"JSON weight 0", `{"items": [{"mail_class": 1, "weight_g": 0, "tariff_kop": 5000}]}`, want{line: 1}},
		{"JSON no items", `{"contract": 1004417, "items": []}`, want{line: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			isJSON := strings.HasPrefix(tc.data, "{")
			l, ok := compareParse(t, data, isJSON)
			if tc.want.line != 0 {
				if ok {
					t.Fatalf("read, want refused at line %d: %+v", tc.want.line, l.Items)
				}
				if _, err := Parse(data); err.(*ParseError).Line != tc.want.line {
					t.Fatalf("refused at %v, want line %d", err, tc.want.line)
				}
				return
			}
			if !ok {
				t.Fatal("refused, want read")
			}
			it := l.Items[0]
			w := tc.want
			if it.MailClass != w.class || it.WeightG != w.weight || it.TariffKop != w.kop || it.Serial != w.serial ||
				it.Tracking != w.track || !reflect.DeepEqual(it.Notice, w.notice) {
				t.Fatalf("item %+v, want %+v", it, w)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
