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
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
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

// refParse reads a list as the reference does.
func refParse(data []byte) (uint32, []refItem, *refRefusal) {
	body := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	lead := bytes.TrimLeft(body, " \t\r\n")
	if len(lead) > 0 && (lead[0] == '{' || lead[0] == '[') {
		return refJSON(body)
	}
	var text string
	if utf8.Valid(body) {
		text = string(body)
	} else {
		var err error
		if text, err = charmap.Windows1251.NewDecoder().String(string(data)); err != nil {
			return 0, nil, refuse(1, "windows-1251: %v", err)
		}
	}
	items, at, r := refCSV(text)
	if r != nil {
		return 0, nil, r
	}
	if r := refWhole(items, at); r != nil {
		return 0, nil, r
	}
	return 0, items, nil
}

// refRecord is one CSV row: its first line and its cells.
type refRecord struct {
	line  int
	cells []string
	lines []int // the line each cell starts on
}

// refRows splits text into rows (LF or CRLF ends a row outside quotes;
// "" is a quote inside a quoted cell).
func refRows(text string, sep byte) ([]refRecord, *refRefusal) {
	var (
		rows   []refRecord
		cells  []string
		cell   strings.Builder
		line   = 1
		start  = 1
		quoted bool // inside quotes
		wasQ   bool // the cell was quoted and its quotes closed
	)
	var lines []int
	cellLine := line
	endCell := func() {
		lines = append(lines, cellLine)
		cells = append(cells, cell.String())
		cellLine = line
		cell.Reset()
		wasQ = false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quoted && c == '"' && i+1 < len(text) && text[i+1] == '"':
			cell.WriteByte('"')
			i++
		case quoted && c == '"':
			quoted, wasQ = false, true
		case quoted:
			if c == '\n' {
				line++
			}
			cell.WriteByte(c)
		case c == '"' && cell.Len() == 0 && !wasQ:
			quoted = true
		case c == '"':
			return rows, refuse(line, "a quote inside an unquoted cell")
		case c == sep:
			endCell()
		case c == '\n' || (c == '\r' && (i+1 == len(text) || text[i+1] == '\n')):
			// LF or CRLF ends a row; a lone CR only at the end of the file
			// (batch.md: lone-CR line ends are not line ends).
			if c == '\r' && i+1 < len(text) {
				i++
			}
			endCell()
			rows = append(rows, refRecord{start, cells, lines})
			cells, lines = nil, nil
			line++
			start = line
			cellLine = line
			continue
		default:
			if wasQ {
				return rows, refuse(line, "text after a closing quote")
			}
			cell.WriteByte(c)
		}
	}
	if quoted {
		return rows, refuse(start, "a quote not closed")
	}
	if cell.Len() > 0 || len(cells) > 0 || wasQ {
		endCell()
		rows = append(rows, refRecord{start, cells, lines})
	}
	return rows, nil
}

func refBlank(r refRecord) bool {
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// refSep: ';' when the header row (the first row not blank) has one
// outside quotes, else ','.
func refSep(text string) byte {
	quoted, seen := false, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ';':
			return ';'
		case c == '\n':
			if seen {
				return ','
			}
		case c != ' ' && c != '\t' && c != '\r' && c != ',':
			seen = true
		}
	}
	return ','
}

func refCSV(text string) ([]refItem, []map[string]int, *refRefusal) {
	// A row that cannot be split is refused when it is reached: what
	// is wrong in the rows before it is named first.
	rows, splitErr := refRows(text, refSep(text))
	for len(rows) > 0 && refBlank(rows[0]) {
		rows = rows[1:]
	}
	if len(rows) == 0 {
		if splitErr != nil {
			return nil, nil, splitErr
		}
		return nil, nil, refuse(1, "no header")
	}
	head := rows[0]
	cols := make([]string, len(head.cells))
	seen := map[string]bool{}
	for i, h := range head.cells {
		name := refColumns[refNormName(h)]
		if name != "" && seen[name] {
			return nil, nil, refuse(head.line, "column %s twice", name)
		}
		seen[name] = true
		cols[i] = name
	}
	if !seen["mail_class"] || !seen["weight_g"] || (!seen["tariff_kop"] && !seen["tariff_rub"]) {
		return nil, nil, refuse(head.line, "a required column is missing")
	}
	var items []refItem
	var ats []map[string]int
	for _, row := range rows[1:] {
		if refBlank(row) {
			continue
		}
		v, at := map[string]string{}, map[string]int{}
		for i, c := range row.cells {
			if i >= len(cols) {
				if strings.TrimSpace(c) != "" {
					return nil, nil, refuse(row.lines[i], "a value past the last column")
				}
				continue
			}
			if cols[i] != "" {
				v[cols[i]] = strings.TrimSpace(c)
				at[cols[i]] = row.lines[i]
			}
		}
		it, r := refValues(row.line, len(items)+1, v, at)
		if r != nil {
			return nil, nil, r
		}
		items = append(items, it)
		ats = append(ats, at)
		if r := refWhole(items, ats); r != nil && len(items) > 1 {
			return nil, nil, r
		}
	}
	if splitErr != nil {
		return nil, nil, splitErr
	}
	return items, ats, nil
}

// refJSON reads the JSON form: an object with contract and items, or
// (batch.md) a bare array of items; values as numbers or strings, null is
// absent, unknown keys ignored. Lines are not checked for JSON.
func refJSON(body []byte) (uint32, []refItem, *refRefusal) {
	if !utf8.Valid(body) {
		return 0, nil, refuse(0, "JSON not UTF-8")
	}
	var raw []map[string]json.RawMessage
	var contract uint32
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if trimmed[0] == '[' {
		if err := json.Unmarshal(body, &raw); err != nil {
			return 0, nil, refuse(0, "json: %v", err)
		}
	} else {
		var doc struct {
			Contract *json.RawMessage             `json:"contract"`
			Items    []map[string]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return 0, nil, refuse(0, "json: %v", err)
		}
		if doc.Contract != nil {
			var c uint64
			raw := bytes.Trim(*doc.Contract, `"`) // numbers or strings for every value
			if err := json.Unmarshal(raw, &c); err != nil || c == 0 || c > 1<<32-1 {
				return 0, nil, refuse(0, "contract %s", *doc.Contract)
			}
			contract = uint32(c)
		}
		raw = doc.Items
	}
	var items []refItem
	for i, obj := range raw {
		v := map[string]string{}
		for k, m := range obj {
			var s string
			var b bool
			switch {
			case string(m) == "null":
				continue
			case json.Unmarshal(m, &s) == nil:
				v[k] = strings.TrimSpace(s)
			case json.Unmarshal(m, &b) == nil:
				v[k] = map[bool]string{true: "1", false: "0"}[b]
			default:
				v[k] = string(m)
			}
		}
		it, r := refValues(0, i+1, v, nil)
		if r != nil {
			return 0, nil, r
		}
		items = append(items, it)
		if r := refWhole(items, nil); r != nil {
			return 0, nil, r
		}
	}
	if r := refWhole(items, nil); r != nil {
		return 0, nil, r
	}
	return contract, items, nil
}

// refDiff is one difference as the reference reports it: the kind, the
// item's index on the list (-1 for EXTRA), the scan's index (-1 for
// MISSING), the list's and the mark's values.
type refDiff struct {
	Kind       string
	Item, Scan int
	Want, Got  string
}

// refReconcile: an item matches a scan of the batch (its mark verified,
// accepted or not: MISSING is "on the list, not scanned in the batch") by
// serial when the list gives one, else by tracking; each scan at most
// once, the first accepted scan that fits, else the first rejected one;
// items without either (simple letters, batch.md) then take a leftover
// scan of the same class, weight and tariff (accepted first, those
// without a tracking number first). Differences in list order, then EXTRA
// ("an accepted scan not on the list") in scan order.
func refReconcile(items []refItem, scans []Scanned) []refDiff {
	taken := make([]bool, len(scans))
	match := make([]int, len(items))
	for i, it := range items {
		match[i] = -1
		if it.Serial == 0 && it.Tracking == "" {
			continue
		}
		fits := func(s Scanned) bool {
			if it.Serial != 0 {
				return s.Serial == it.Serial
			}
			return strings.ReplaceAll(s.Tracking, " ", "") == it.Tracking
		}
		first := -1
		for j, s := range scans {
			if fits(s) && !s.Rejected {
				first = j
				break
			}
		}
		for j, s := range scans {
			if first < 0 && fits(s) {
				first = j
			}
		}
		if first >= 0 && !taken[first] {
			taken[first], match[i] = true, first
		}
	}
	for _, rejected := range []bool{false, true} {
		for _, untracked := range []bool{true, false} {
			for i, it := range items {
				if match[i] >= 0 || it.Serial != 0 || it.Tracking != "" {
					continue
				}
				for j, s := range scans {
					if !taken[j] && s.Rejected == rejected && (s.Tracking == "") == untracked &&
						s.MailClass == it.Class && s.WeightG == it.Weight && s.TariffKop == it.Kop {
						taken[j], match[i] = true, j
						break
					}
				}
			}
		}
	}
	var out []refDiff
	for i, it := range items {
		j := match[i]
		if j < 0 {
			out = append(out, refDiff{"MISSING", i, -1, "", ""})
			continue
		}
		s := scans[j]
		if it.Class != s.MailClass {
			out = append(out, refDiff{"CLASS", i, j, fmt.Sprint(it.Class), fmt.Sprint(s.MailClass)})
		}
		if it.Weight != s.WeightG {
			out = append(out, refDiff{"WEIGHT", i, j, fmt.Sprint(it.Weight), fmt.Sprint(s.WeightG)})
		}
		if it.Kop != s.TariffKop {
			out = append(out, refDiff{"TARIFF", i, j, fmt.Sprint(it.Kop), fmt.Sprint(s.TariffKop)})
		}
		if it.Notice != nil && *it.Notice != s.Notice {
			b := map[bool]string{true: "1", false: "0"}
			out = append(out, refDiff{"NOTICE", i, j, b[*it.Notice], b[s.Notice]})
		}
	}
	for j := range scans {
		if !taken[j] && !scans[j].Rejected {
			out = append(out, refDiff{"EXTRA", -1, j, "", ""})
		}
	}
	return out
}
