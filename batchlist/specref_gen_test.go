package batchlist

// The generator of lists and scans, the comparison of markd's Parse and
// Reconcile with the reference reading of specref_test.go, and the tests
// that run them.

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

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
