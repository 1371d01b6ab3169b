package batchlist

// The generator of lists and scans, the comparison of markd's Parse and
// Reconcile with the reference reading of specref_test.go, and the tests
// that run them.

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

// ---- generator ----

// genItem is an item the generator writes, with the cells it writes.
type genItem struct {
	n        int
	tracking string // 14 digits or ""
	class    uint8
	weight   int
	kop      int64
	notice   *bool
	serial   uint64
}

func genTracking(rng *rand.Rand) string {
	first := fmt.Sprintf("%06d%07d", 100000+rng.IntN(900000), rng.IntN(10000000))
	return first + string(refCheckDigit(first))
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

func genItems(rng *rand.Rand) []genItem {
	n := 1 + rng.IntN(6)
	items := make([]genItem, n)
	serialBase := pick(rng, uint64(1), 7100000001, 1<<63, 1<<64-10)
	for i := range items {
		it := &items[i]
		it.n = i + 1
		it.class = uint8(1 + rng.IntN(4))
		if it.class != 1 || rng.IntN(3) == 0 {
			it.tracking = genTracking(rng)
		}
		it.weight = pick(rng, 1, 20, 480, 65535, 1+rng.IntN(65535))
		it.kop = pick(rng, 0, 5000, 10500, 1<<32-1, int64(rng.IntN(1_000_000)))
		switch rng.IntN(3) {
		case 0:
			b := it.class != 1 && rng.IntN(2) == 0
			it.notice = &b
		case 1:
			b := false
			it.notice = &b
		}
		if rng.IntN(4) != 0 {
			it.serial = serialBase + uint64(i)
		}
	}
	return items
}

// renderOpts is how one list is written.
type renderOpts struct {
	sep       byte
	russian   []bool // per column
	upper     []bool
	order     []int // permutation of the columns written
	rub       bool  // tariff_rub instead of tariff_kop
	both      bool  // both tariff columns
	quoteAll  bool
	eol       string
	bom       bool
	cp1251    bool
	blankRows bool
	trailSep  bool
	noN       bool
	noNotice  bool
	noSerial  bool
	noTrack   bool // only possible when every item is class 1
	unknown   bool
	spacedTr  bool
	classWord bool
	noticeRU  bool
	rubPoint  bool
	blankLead bool
	finalEOL  bool
}

var refEN = []string{"n", "tracking", "mail_class", "weight_g", "tariff_kop", "tariff_rub", "notice", "serial"}
var refRU = []string{"№", "ШПИ", "Вид", "Масса, г", "Плата, коп", "Плата, руб", "Уведомление", "Серия знака"}
var refClassWord = []string{"", "простое письмо", "заказное письмо", "заказная бандероль", "заказная карточка"}

func genOpts(rng *rand.Rand, items []genItem) renderOpts {
	o := renderOpts{
		sep: pick(rng, byte(';'), byte(',')), rub: rng.IntN(2) == 0, both: rng.IntN(6) == 0,
		quoteAll: rng.IntN(4) == 0, eol: pick(rng, "\n", "\r\n", "\n", "\r\n", "\r"), bom: rng.IntN(4) == 0,
		cp1251: rng.IntN(3) == 0, blankRows: rng.IntN(4) == 0, trailSep: rng.IntN(5) == 0,
		noN: rng.IntN(4) == 0, noNotice: rng.IntN(4) == 0, noSerial: rng.IntN(5) == 0,
		unknown: rng.IntN(3) == 0, spacedTr: rng.IntN(3) == 0, classWord: rng.IntN(2) == 0,
		noticeRU: rng.IntN(2) == 0, rubPoint: rng.IntN(2) == 0, blankLead: rng.IntN(8) == 0,
		finalEOL: rng.IntN(4) != 0,
	}
	allSimple := true
	for _, it := range items {
		allSimple = allSimple && it.class == 1 && it.tracking == ""
	}
	o.noTrack = allSimple && rng.IntN(2) == 0
	o.russian, o.upper = make([]bool, 8), make([]bool, 8)
	for i := range o.russian {
		o.russian[i], o.upper[i] = rng.IntN(2) == 0, rng.IntN(4) == 0
	}
	o.order = rng.Perm(8)
	return o
}

// cellFor writes one item's value of column c.
func cellFor(rng *rand.Rand, o renderOpts, it genItem, c int) string {
	switch c {
	case 0:
		return strconv.Itoa(it.n)
	case 1:
		if it.tracking != "" && o.spacedTr {
			tr := it.tracking
			return tr[:6] + " " + tr[6:8] + " " + tr[8:13] + " " + tr[13:]
		}
		return it.tracking
	case 2:
		if o.classWord {
			w := refClassWord[it.class]
			if rng.IntN(3) == 0 {
				w = strings.ToUpper(w)
			}
			return w
		}
		return strconv.Itoa(int(it.class))
	case 3:
		return strconv.Itoa(it.weight)
	case 4:
		return strconv.FormatInt(it.kop, 10)
	case 5:
		dec := ","
		if o.rubPoint {
			dec = "."
		}
		switch rng.IntN(4) {
		case 0:
			if it.kop%100 == 0 {
				return strconv.FormatInt(it.kop/100, 10)
			}
		case 1:
			if it.kop%10 == 0 {
				return fmt.Sprintf("%d%s%d", it.kop/100, dec, it.kop%100/10)
			}
		}
		return fmt.Sprintf("%d%s%02d", it.kop/100, dec, it.kop%100)
	case 6:
		if it.notice == nil {
			return ""
		}
		if o.noticeRU {
			return map[bool]string{true: "да", false: "нет"}[*it.notice]
		}
		return map[bool]string{true: "1", false: "0"}[*it.notice]
	case 7:
		if it.serial == 0 {
			return ""
		}
		return strconv.FormatUint(it.serial, 10)
	}
	return ""
}

func (o renderOpts) columns() []int {
	var cols []int
	for _, c := range o.order {
		switch {
		case c == 0 && o.noN, c == 1 && o.noTrack, c == 6 && o.noNotice, c == 7 && o.noSerial,
			c == 4 && o.rub && !o.both, c == 5 && !o.rub && !o.both:
			continue
		}
		cols = append(cols, c)
	}
	return cols
}

func quoteCell(s string, sep byte, always bool) string {
	if always || strings.ContainsAny(s, ";,\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// renderCSV writes items as a CSV list; it also gives each item's line.
func renderCSV(rng *rand.Rand, o renderOpts, items []genItem) ([]byte, []int) {
	cols := o.columns()
	var b strings.Builder
	line := 1
	if o.blankLead {
		b.WriteString(o.eol)
		line++
	}
	var head []string
	unknownAt := -1
	if o.unknown {
		unknownAt = rng.IntN(len(cols) + 1)
	}
	unknownName := pick(rng, "Получатель", "Comment; note", "Адрес \"дом\"", "weight")
	if unknownName == "weight" { // not a column: weight_g is
		unknownName = "weight_kg"
	}
	for i, c := range cols {
		if i == unknownAt {
			head = append(head, quoteCell(unknownName, o.sep, o.quoteAll))
		}
		name := refEN[c]
		if o.russian[c] {
			name = refRU[c]
		}
		if o.upper[c] {
			name = strings.ToUpper(name)
		}
		head = append(head, quoteCell(name, o.sep, o.quoteAll))
	}
	if unknownAt == len(cols) {
		head = append(head, quoteCell(unknownName, o.sep, o.quoteAll))
	}
	b.WriteString(strings.Join(head, string(o.sep)))
	if o.trailSep {
		b.WriteByte(o.sep)
	}
	b.WriteString(o.eol)
	line++
	lines := make([]int, len(items))
	for k, it := range items {
		if o.blankRows && rng.IntN(3) == 0 {
			b.WriteString(pick(rng, strings.Repeat(string(o.sep), len(head)-1), "", " ") + o.eol)
			line++
		}
		lines[k] = line
		var row []string
		for i, c := range cols {
			if i == unknownAt {
				u := pick(rng, "Иванов, И. И.", "a \"b\"; c", "two\nlines", "")
				row = append(row, quoteCell(u, o.sep, o.quoteAll))
				line += strings.Count(u, "\n")
			}
			row = append(row, quoteCell(cellFor(rng, o, it, c), o.sep, o.quoteAll))
		}
		if unknownAt == len(cols) {
			row = append(row, quoteCell("x", o.sep, o.quoteAll))
		}
		b.WriteString(strings.Join(row, string(o.sep)))
		if o.trailSep {
			b.WriteByte(o.sep)
		}
		if k < len(items)-1 || o.finalEOL {
			b.WriteString(o.eol)
		}
		line++
	}
	if o.blankRows && o.finalEOL {
		b.WriteString(o.eol + o.eol)
	}
	out := []byte(b.String())
	if o.cp1251 {
		enc, err := charmap.Windows1251.NewEncoder().Bytes(out)
		if err == nil {
			out = enc
		}
	} else if o.bom {
		out = append([]byte("\xEF\xBB\xBF"), out...)
	}
	return out, lines
}

// renderJSON writes items as the JSON form; numbers now as numbers, now
// as strings.
func renderJSON(rng *rand.Rand, o renderOpts, items []genItem, contract uint32) []byte {
	var objs []string
	for _, it := range items {
		var kv []string
		for _, c := range o.columns() {
			v := cellFor(rng, o, it, c)
			key := refEN[c]
			switch {
			case v == "" && rng.IntN(2) == 0:
				continue
			case v == "":
				kv = append(kv, fmt.Sprintf("%q: null", key))
			case c == 6:
				kv = append(kv, fmt.Sprintf("%q: %t", key, *it.notice))
			case c == 5 || c == 1 || c == 2 && o.classWord || rng.IntN(4) == 0:
				kv = append(kv, fmt.Sprintf("%q: %q", key, v))
			default:
				kv = append(kv, fmt.Sprintf("%q: %s", key, v))
			}
		}
		if o.unknown {
			kv = append(kv, `"recipient": {"name": "Иванов"}`)
		}
		rng.Shuffle(len(kv), func(i, j int) { kv[i], kv[j] = kv[j], kv[i] })
		objs = append(objs, "{"+strings.Join(kv, ", ")+"}")
	}
	arr := "[" + strings.Join(objs, ",\n ") + "]"
	var out string
	switch {
	case contract == 0 && rng.IntN(2) == 0:
		out = arr
	case contract == 0:
		out = fmt.Sprintf("{\"items\": %s}", arr)
	default:
		out = fmt.Sprintf("{\"contract\": %d,\n \"items\": %s}", contract, arr)
	}
	if o.bom {
		return append([]byte("\xEF\xBB\xBF"), out...)
	}
	return []byte(out)
}

// breakOne writes one wrong value (or duplicate) into an item, to be
// refused by both readings at that item's line.
func breakOne(rng *rand.Rand, items []genItem) {
	k := rng.IntN(len(items))
	it := &items[k]
	switch rng.IntN(7) {
	case 0: // a registered item without tracking
		it.class, it.tracking = uint8(2+rng.IntN(3)), ""
	case 1: // notice on a simple letter
		yes := true
		it.class, it.notice = 1, &yes
	case 2: // weight out of the mark's range
		it.weight = pick(rng, 0, 65536)
	case 3: // a serial listed twice
		if len(items) > 1 && k > 0 {
			items[k].serial = max(items[0].serial, 1)
			items[0].serial = items[k].serial
		} else {
			it.weight = 0
		}
	case 4: // a tracking number listed twice
		if len(items) > 1 && k > 0 && items[0].tracking != "" {
			it.tracking = items[0].tracking
		} else {
			it.class, it.tracking = 2, ""
		}
	case 5: // a wrong check digit
		tr := genTracking(rng)
		it.tracking = tr[:13] + string('0'+(tr[13]-'0'+1)%10)
		if it.class == 1 {
			it.class = 2
		}
	case 6: // a tariff over the mark's four bytes
		it.kop = 1 << 32
	}
}

// genScans: the scans of a batch for items: some missing, some with
// another class, weight, tariff or notice, some rejected (alone, before
// or after an accepted one, repeated), some not listed, in any order.
func genScans(rng *rand.Rand, items []genItem) []Scanned {
	var scans []Scanned
	used := map[uint64]bool{}
	for _, it := range items {
		used[it.serial] = true
	}
	next := uint64(9_000_000_000)
	serialFor := func() uint64 {
		for used[next] {
			next++
		}
		used[next] = true
		return next
	}
	for i, it := range items {
		if rng.IntN(5) == 0 {
			continue // MISSING
		}
		s := Scanned{RecordID: fmt.Sprintf("r%d", i), Serial: it.serial, Tracking: it.tracking, MailClass: it.class,
			WeightG: it.weight, TariffKop: it.kop, Notice: it.notice != nil && *it.notice}
		if s.Serial == 0 {
			s.Serial = serialFor()
		}
		if it.serial != 0 && rng.IntN(6) == 0 {
			s.Tracking = genTracking(rng) // the list's tracking differs: not reported
		}
		if it.serial == 0 && it.tracking == "" && rng.IntN(4) == 0 {
			s.Tracking = genTracking(rng) // a simple letter's mark with a tracking the list left out
		}
		switch rng.IntN(6) {
		case 0:
			s.MailClass = uint8(1 + rng.IntN(4))
		case 1:
			s.WeightG++
		case 2:
			s.TariffKop += 100
		case 3:
			s.Notice = !s.Notice
		}
		switch rng.IntN(6) {
		case 0: // rejected only (UNDERPAID, OTHER_CONTRACT, REUSED…)
			s.Rejected = true
		case 1: // and scanned again, rejected (REUSED, DUPLICATE_SCAN)
			again := s
			again.RecordID += "again"
			again.Rejected = true
			scans = append(scans, again)
		}
		scans = append(scans, s)
	}
	for k := rng.IntN(3); k > 0; k-- { // EXTRA, or a simple letter for an anonymous item
		s := Scanned{RecordID: fmt.Sprintf("x%d", k), Serial: serialFor(), MailClass: uint8(1 + rng.IntN(4)), WeightG: 20, TariffKop: 5000}
		if s.MailClass != 1 || rng.IntN(2) == 0 {
			s.Tracking = genTracking(rng)
		}
		s.Rejected = rng.IntN(3) == 0
		scans = append(scans, s)
	}
	rng.Shuffle(len(scans), func(i, j int) { scans[i], scans[j] = scans[j], scans[i] })
	return scans
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
