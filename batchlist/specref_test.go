package batchlist

// An independent reference reading of BATCH-LIST.md (and of MARK-FORMAT
// §5 for the tracking number's check digit), written from the spec's text
// and the readings docs/notes/batch.md records where the spec is silent,
// not from this package's code. FuzzBatchListReference holds Parse and
// Reconcile to it on generated lists; TestBatchListReferenceBoundaries
// holds both to the boundaries, one line each.
//
// What the reference takes from the spec, sentence by sentence:
//
//   - "First row is the header. Separator ';' or ',', taken from the
//     header row."  The header is the first row that is not blank
//     (batch.md: a blank first row is skipped); ';' when the header row
//     has one outside quotes, else ','.
//   - "Encoding UTF-8 (a BOM is allowed) or Windows-1251; a file that is
//     not valid UTF-8 is read as Windows-1251."
//   - "Column names are matched case-insensitively, English or Russian,
//     in any order; unknown columns are ignored."  (White space around
//     and inside a name does not count: "Масса,г".)
//   - The column table: n optional; tracking 14 digits, spaces ignored,
//     required except for class 1; mail_class 1–4 or the four Russian
//     names; weight_g whole grams (1–65535, the mark's field); tariff_kop
//     whole kopecks or tariff_rub with a decimal comma or point; notice
//     1/0/да/нет; serial the mark's serial.
//   - JSON: {"contract": N, "items": [...]} with the same keys.
//   - Reconciliation: an item matches a scan by serial when the list
//     gives one, else by tracking; MISSING, EXTRA (an accepted scan not on
//     the list), CLASS, WEIGHT, TARIFF, NOTICE.
//   - "A list that cannot be read is refused whole, naming line and
//     column; nothing is half-imported."

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// refItem is an item as the reference reads it.
type refItem struct {
	Line     int
	N        int
	Tracking string
	Class    uint8
	Weight   int
	Kop      int64
	Notice   *bool
	Serial   uint64
}

// refRefusal is a list the reference refuses, with the line it names
// (0: the reference does not say which line).
type refRefusal struct {
	line int
	why  string
}

func (r *refRefusal) Error() string { return fmt.Sprintf("line %d: %s", r.line, r.why) }

func refuse(line int, f string, a ...any) *refRefusal {
	return &refRefusal{line: line, why: fmt.Sprintf(f, a...)}
}

// refColumns: the spec's table, English and Russian names.
var refColumns = map[string]string{
	"n": "n", "№": "n",
	"tracking": "tracking", "шпи": "tracking",
	"mail_class": "mail_class", "вид": "mail_class",
	"weight_g": "weight_g", "масса,г": "weight_g",
	"tariff_kop": "tariff_kop", "плата,коп": "tariff_kop",
	"tariff_rub": "tariff_rub", "плата,руб": "tariff_rub",
	"notice": "notice", "уведомление": "notice",
	"serial": "serial", "сериязнака": "serial",
}

var refClassNames = map[string]uint8{
	"простое письмо": 1, "заказное письмо": 2, "заказная бандероль": 3, "заказная карточка": 4,
}

func refNormName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if !unicode.IsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// refCheckDigit is MARK-FORMAT §5: S = 3·(d1+d3+…+d13) + (d2+…+d12),
// check = (10 − S mod 10) mod 10.
func refCheckDigit(first13 string) byte {
	s := 0
	for i := 0; i < 13; i++ {
		d := int(first13[i] - '0')
		if i%2 == 0 { // d1, d3, …
			s += 3 * d
		} else {
			s += d
		}
	}
	return byte('0' + (10-s%10)%10)
}

func refDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func refTracking(v string) (string, bool) {
	t := strings.ReplaceAll(v, " ", "")
	if len(t) != 14 || !refDigits(t) || refCheckDigit(t[:13]) != t[13] {
		return "", false
	}
	return t, true
}

func refClass(v string) (uint8, bool) {
	if len(v) == 1 && v[0] >= '1' && v[0] <= '4' {
		return v[0] - '0', true
	}
	c, ok := refClassNames[strings.Join(strings.Fields(strings.ToLower(v)), " ")]
	return c, ok
}

func refWeight(v string) (int, bool) {
	if !refDigits(v) || len(v) > 6 {
		return 0, false
	}
	w, _ := strconv.Atoi(v)
	return w, w >= 1 && w <= 65535
}

func refKop(v string) (int64, bool) {
	if !refDigits(v) || len(v) > 10 {
		return 0, false
	}
	k, _ := strconv.ParseInt(v, 10, 64)
	return k, k <= 1<<32-1 // the mark's tariff_kop is 4 bytes
}

// refRub: roubles, a decimal comma or point, at most two decimals;
// grouped thousands (spaces) allowed.
func refRub(v string) (int64, bool) {
	v = strings.NewReplacer(" ", "", "\u00a0", "").Replace(v)
	whole, frac, has := strings.Cut(strings.Replace(v, ",", ".", 1), ".")
	if !refDigits(whole) || (has && (len(frac) < 1 || len(frac) > 2 || !refDigits(frac))) || len(whole) > 8 {
		return 0, false
	}
	r, _ := strconv.ParseInt(whole, 10, 64)
	var k int64
	if has {
		k, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			k *= 10
		}
	}
	k += r * 100
	return k, k <= 1<<32-1
}

func refNotice(v string) (*bool, bool) {
	yes, no := true, false
	switch strings.ToLower(v) {
	case "":
		return nil, true
	case "1", "да", "true", "yes":
		return &yes, true
	case "0", "нет", "false", "no":
		return &no, true
	}
	return nil, false
}

func refSerial(v string) (uint64, bool) {
	if !refDigits(v) {
		return 0, false
	}
	s, err := strconv.ParseUint(v, 10, 64)
	return s, err == nil && s >= 1
}

func refN(v string) (int, bool) {
	if !refDigits(v) || len(v) > 9 {
		return 0, false
	}
	n, _ := strconv.Atoi(v)
	return n, n >= 1
}

// refValues reads one item's values given by column name ("" = not given);
// at gives the line each value is on (a refusal names the value's own
// line: a quoted cell before it may span lines).
func refValues(line, pos int, v map[string]string, at map[string]int) (refItem, *refRefusal) {
	it := refItem{Line: line, N: pos}
	var ok bool
	refuse := func(f string, format string, a ...any) *refRefusal {
		l := line
		if at[f] != 0 {
			l = at[f]
		}
		return &refRefusal{line: l, why: fmt.Sprintf(format, a...)}
	}
	if s := v["n"]; s != "" {
		if it.N, ok = refN(s); !ok {
			return it, refuse("n", "n %q", s)
		}
	}
	if it.Class, ok = refClass(v["mail_class"]); !ok {
		return it, refuse("mail_class", "mail_class %q", v["mail_class"])
	}
	if s := v["tracking"]; strings.TrimSpace(s) != "" {
		if it.Tracking, ok = refTracking(s); !ok {
			return it, refuse("tracking", "tracking %q", s)
		}
	} else if it.Class != 1 {
		return it, refuse("tracking", "tracking missing for class %d", it.Class)
	}
	if it.Weight, ok = refWeight(v["weight_g"]); !ok {
		return it, refuse("weight_g", "weight_g %q", v["weight_g"])
	}
	kop, rub := v["tariff_kop"], v["tariff_rub"]
	switch {
	case kop == "" && rub == "":
		return it, refuse("tariff_kop", "no tariff")
	case kop != "":
		if it.Kop, ok = refKop(kop); !ok {
			return it, refuse("tariff_kop", "tariff_kop %q", kop)
		}
		if rub != "" {
			if r, ok := refRub(rub); !ok || r != it.Kop {
				return it, refuse("tariff_rub", "tariff_rub %q against tariff_kop %q", rub, kop)
			}
		}
	default:
		if it.Kop, ok = refRub(rub); !ok {
			return it, refuse("tariff_rub", "tariff_rub %q", rub)
		}
	}
	if it.Notice, ok = refNotice(v["notice"]); !ok {
		return it, refuse("notice", "notice %q", v["notice"])
	}
	if it.Notice != nil && *it.Notice && it.Class == 1 {
		return it, refuse("notice", "notice on a simple letter")
	}
	if s := v["serial"]; s != "" {
		if it.Serial, ok = refSerial(s); !ok {
			return it, refuse("serial", "serial %q", s)
		}
	}
	return it, nil
}

// refWhole: the rules over the list: at least one item, a serial or a
// tracking number listed once (batch.md).
func refWhole(items []refItem, at []map[string]int) *refRefusal {
	lineOf := func(i int, f string) int {
		if at != nil && at[i][f] != 0 {
			return at[i][f]
		}
		return items[i].Line
	}
	if len(items) == 0 {
		return refuse(1, "no items")
	}
	serials, tracks := map[uint64]bool{}, map[string]bool{}
	for i, it := range items {
		if it.Serial != 0 {
			if serials[it.Serial] {
				return refuse(lineOf(i, "serial"), "serial %d twice", it.Serial)
			}
			serials[it.Serial] = true
		}
		if it.Tracking != "" {
			if tracks[it.Tracking] {
				return refuse(lineOf(i, "tracking"), "tracking %s twice", it.Tracking)
			}
			tracks[it.Tracking] = true
		}
	}
	return nil
}
