package batchlist

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// decodeText returns the CSV as UTF-8: as it is when it is valid UTF-8,
// else read as Windows-1251 (the customer's Excel on a Russian Windows).
// Every byte sequence is valid Windows-1251, so this never fails.
func decodeText(data []byte) []byte {
	if utf8.Valid(data) {
		return data
	}
	out, err := charmap.Windows1251.NewDecoder().Bytes(data)
	if err != nil { // cannot happen: every byte maps to a rune
		return bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	return out
}

// separator picks ';' or ',' from the header row: ';' when the row holds
// one outside quotes ("Масса, г" has a comma inside a ';' header), else ','.
// The header row is the first line that is not blank (only separators
// and white space), as parseCSV reads it.
func separator(text []byte) rune {
	for {
		i := bytes.IndexByte(text, '\n')
		if i < 0 || len(bytes.Trim(text[:i], " \t\r;,")) > 0 {
			break
		}
		text = text[i+1:]
	}
	quoted := false
	for _, c := range text {
		switch c {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				return ';'
			}
		case '\n':
			if !quoted {
				return ','
			}
		}
	}
	return ','
}

func parseCSV(data []byte) (List, error) {
	l, err := parseCSVText(data)
	var pe *ParseError
	if errors.As(err, &pe) {
		if note := mixedNote(data); note != "" {
			pe.Msg += note
		}
	}
	return l, err
}

// mixedNote explains a refusal of a list that is UTF-8 but for a byte or
// a few (a name pasted from another program, one cell saved in Windows-1251):
// BATCH-LIST.md reads a file that is not valid UTF-8 as Windows-1251, so
// its UTF-8 Russian headers and class names read as "РЁРџР"… and the
// refusal quotes them so. The note names the first byte that is not UTF-8.
// A Windows-1251 list gets none: "" unless the file is not valid UTF-8 and
// holds a UTF-8 Cyrillic letter (D0 or D1 then a byte 80–BF: in
// Windows-1251 "Р" or "С" before one of Ђ…ї, which no Russian text has).
func mixedNote(data []byte) string {
	if utf8.Valid(data) {
		return ""
	}
	cyrillic := false
	for i := 0; i+1 < len(data); i++ {
		if (data[i] == 0xD0 || data[i] == 0xD1) && data[i+1] >= 0x80 && data[i+1] <= 0xBF {
			cyrillic = true
			break
		}
	}
	if !cyrillic {
		return ""
	}
	off := firstInvalidUTF8(data)
	line, col := lineCol(data, off)
	return fmt.Sprintf(" (the file is UTF-8 but for the byte 0x%02X at line %d, column %d, so it was read as Windows-1251,"+
		" as a list that is not valid UTF-8 is: save the whole list as UTF-8, or all of it as Windows-1251)", data[off], line, col)
}

func parseCSVText(data []byte) (List, error) {
	text := decodeText(data)
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = separator(text)
	if err := checkWidth(text, byte(r.Comma)); err != nil {
		return List{}, err
	}
	r.FieldsPerRecord = -1 // rows may be shorter or longer: checked below
	r.ReuseRecord = true

	header, err := r.Read()
	for err == nil && blankRow(header) { // blank lines before the header
		header, err = r.Read()
	}
	if err != nil {
		return List{}, csvError(err, "the header row cannot be read", text, r.Comma)
	}
	hline, _ := r.FieldPos(0)
	cols, err := mapHeader(header, hline)
	if err != nil {
		return List{}, err
	}
	width := len(header) // header is reused by the next Read

	var l List
	seen := newDups()
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return List{}, csvError(err, "the row cannot be read", text, r.Comma)
		}
		line, _ := r.FieldPos(0)
		if blankRow(rec) {
			continue // Excel writes ";;;;" for rows it thinks are used
		}
		if len(l.Items) >= MaxItems {
			return List{}, tooMany(line)
		}
		// A value past the header's last column belongs to no column: most
		// often a decimal comma in a ',' list (50,50 read as 50 and 50).
		for i := width; i < len(rec); i++ {
			if strings.TrimSpace(rec[i]) != "" {
				fl, _ := r.FieldPos(i)
				return List{}, perr(fl, i+1, "", rec[i], "the row has "+strconv.Itoa(len(rec))+" values, the header "+
					strconv.Itoa(width)+" columns: a value with the separator "+strconv.QuoteRune(r.Comma)+
					" in it must be in quotes (\"105,00\")")
			}
		}
		var cells [nFields]cell
		for f, i := range cols {
			if i < 0 {
				continue
			}
			if i >= len(rec) { // a short row: the value is absent
				cells[f] = cell{col: i + 1}
				continue
			}
			fl, _ := r.FieldPos(i)
			cells[f] = cell{present: true, value: rec[i], line: fl, col: i + 1}
		}
		it, err := buildItem(line, 0, len(l.Items)+1, &cells)
		if err != nil {
			return List{}, err
		}
		if err := seen.add(it, &cells); err != nil {
			return List{}, err
		}
		l.Items = append(l.Items, it)
	}
	return l, nil
}

// mapHeader finds each known column in the header row: cols[f] is the
// index of field f, or -1. Unknown columns are ignored; a known one twice,
// or a required one missing, refuses the list.
func mapHeader(header []string, line int) ([nFields]int, error) {
	var cols [nFields]int
	for i := range cols {
		cols[i] = -1
	}
	for i, h := range header {
		f, ok := headerNames[normHeader(h)]
		if !ok {
			continue
		}
		if cols[f] >= 0 {
			return cols, perr(line, i+1, fieldNames[f], h, "this column appears twice in the header (first in column "+strconv.Itoa(cols[f]+1)+")")
		}
		cols[f] = i
	}
	missing := func(f field, msg string) error {
		return perr(line, 0, fieldNames[f], "", msg+"; the header has: "+headerText(header)+encodingNote(cols, header))
	}
	switch {
	case cols[fMailClass] < 0:
		return cols, missing(fMailClass, "the header has no mail class column (mail_class or Вид)")
	case cols[fWeight] < 0:
		return cols, missing(fWeight, "the header has no weight column (weight_g or \"Масса, г\")")
	case cols[fTariffKop] < 0 && cols[fTariffRub] < 0:
		return cols, missing(fTariffKop, "the header has no tariff column (tariff_kop, tariff_rub, \"Плата, коп\" or \"Плата, руб\")")
	}
	return cols, nil
}

// encodingNote explains a header in which no column is known but the
// item number ("n", the same in any encoding) and which
// has letters that are not Latin: most often Russian headers saved in an
// encoding BATCH-LIST.md does not take (DOS 866, KOI8-R, Mac), read as
// Windows-1251 into other letters. A header with zero bytes gets
// utf16Note from Parse instead.
func encodingNote(cols [nFields]int, header []string) string {
	for f, c := range cols {
		if c >= 0 && field(f) != fN {
			return ""
		}
	}
	for _, h := range header {
		if strings.IndexByte(h, 0) >= 0 {
			return ""
		}
	}
	for _, h := range header {
		for _, r := range h {
			if r >= 0x80 {
				return " (no column name is known: is the list in another encoding, DOS 866, KOI8-R or Mac?" +
					" a list is read as UTF-8, or as Windows-1251 when it is not valid UTF-8: save it as \"CSV UTF-8\")"
			}
		}
	}
	return ""
}

// headerText is the header row for a refusal: its first columns, each
// shortened, and how many there are in all, so that a file that is no
// list (one long line of something else) is not quoted whole.
func headerText(header []string) string {
	const cols, width = 12, 40
	var parts []string
	for i, h := range header {
		if i == cols {
			parts = append(parts, "… ("+strconv.Itoa(len(header))+" columns)")
			break
		}
		parts = append(parts, shorten(h, width))
	}
	return strings.Join(parts, " | ")
}

// checkWidth refuses a row of more than MaxColumns columns, naming the
// line it starts on, before encoding/csv splits it (there each column
// costs ~160 bytes: one row of 16 MiB of separators was 2.6 GiB). Quotes
// are followed as separator follows them; a quoted separator or line
// break is no column and no row.
func checkWidth(text []byte, sep byte) error {
	line, rowLine, cols, quoted := 1, 1, 1, false
	for _, c := range text {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n':
			line++
			if !quoted {
				rowLine, cols = line, 1
			}
		case c == sep && !quoted:
			if cols++; cols > MaxColumns {
				return perr(rowLine, 0, "", "", fmt.Sprintf("the row has more than %d columns, the most a spreadsheet has:"+
					" this is not a list saved from one (a CSV list has a column for each of its fields)", MaxColumns))
			}
		}
	}
	return nil
}

func blankRow(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// csvError turns an encoding/csv error (a stray quote, …) into a
// ParseError with its line and column: the field's position in the row,
// as for every CSV error, not encoding/csv's byte in the line.
func csvError(err error, what string, text []byte, comma rune) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		col := fieldAt(text, pe.StartLine, pe.Line, pe.Column, byte(comma))
		return perr(pe.Line, col, "", "", what+": "+pe.Err.Error()+" (a field with quotes must be quoted whole, quotes inside doubled: \"\"\")")
	}
	if errors.Is(err, io.EOF) {
		return perr(1, 0, "", "", "the list is empty: expected a header row")
	}
	return perr(1, 0, "", "", what+": "+err.Error())
}

// fieldAt gives the 1-based field, in the record that starts on line
// start, of byte col (1-based) of line: the separators outside quotes
// before it, plus one.
func fieldAt(text []byte, start, line, col int, comma byte) int {
	lineStart := func(n int) int { // offset of line n, or len(text)
		off := 0
		for ; n > 1 && off < len(text); n-- {
			i := bytes.IndexByte(text[off:], '\n')
			if i < 0 {
				return len(text)
			}
			off += i + 1
		}
		return off
	}
	from, to := lineStart(start), min(lineStart(line)+col-1, len(text))
	field, quoted := 1, false
	for _, c := range text[from:max(from, to)] {
		switch {
		case c == '"':
			quoted = !quoted
		case c == comma && !quoted:
			field++
		}
	}
	return field
}
