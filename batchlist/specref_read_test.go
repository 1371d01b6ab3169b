package batchlist

// The reference's reading of a whole list: its rows (CSV, either
// separator, quoting), its JSON form, and its reconciliation with the
// scans of a batch (the values of each cell: specref_test.go).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

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
