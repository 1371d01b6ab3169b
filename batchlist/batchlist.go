// Package batchlist reads the customer's list of a partition-mail batch
// (the electronic "list form 103", /work/shared/spec/BATCH-LIST.md) from
// CSV or JSON and reconciles it with the marks scanned in the batch.
//
// A list is read whole or refused whole: Parse returns either every item
// or a *ParseError naming the line, the column, the field and the value,
// so nothing is ever half-imported. The package has no state and no I/O.
package batchlist

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"markd/mark"
)

// MaxItems bounds the items of one list; a longer list is refused. A real
// batch has hundreds of items; the bound keeps a wrong file (a whole
// database dump) from filling memory.
const MaxItems = 100_000

// MaxBytes bounds the size of a list file, wherever it comes from (the
// local API, the operator screen, markd batch expect): a list of MaxItems
// items with every column fits in it.
const MaxBytes = 16 << 20

// MaxColumns bounds the columns of a CSV row: Excel's sheet is 16 384
// columns wide, so no list saved from it has more, not even in the rows
// of separators it writes for cells it thinks are used. A wider row is
// refused before it is split: encoding/csv keeps ~160 bytes a column, and
// 16 MiB of separators as one row cost 2.6 GiB.
const MaxColumns = 16384

// List is one customer's list of the items of a batch.
type List struct {
	Contract uint32 // from the JSON form; 0 when the list does not say (CSV)
	Items    []Item
}

// Item is one line of the list. Tracking is the 14 digits without spaces,
// or "" for a simple letter without one. Notice is nil when the list does
// not say. Serial is 0 when the list does not give the mark's serial.
type Item struct {
	Line      int // line of the file the item starts on (1-based)
	N         int // the item's number in the list; its position when not given
	Tracking  string
	MailClass uint8
	WeightG   int
	TariffKop int64
	Notice    *bool
	Serial    uint64
}

// ParseError says why a list was refused: where (line and column, both
// 1-based), which field, what value, and what is allowed. Column is the
// field's position in the row for CSV and the character position in the
// line for JSON; 0 when the error is about the whole line or file.
// It wraps mark.ErrInvalid.
type ParseError struct {
	Line, Column int
	Field        string // the column's name as in the spec (tracking, weight_g, …); "" for the file
	Value        string // the offending value as written (shortened when long)
	Msg          string // what is wrong and what is allowed
	// TooLarge: the list is over MaxItems; the error wraps
	// mark.ErrTooLarge too (an HTTP 413).
	TooLarge bool
}

func (e *ParseError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "batch list: line %d", e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d", e.Column)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " (%s)", e.Field)
	}
	if e.Value != "" || e.Field != "" {
		fmt.Fprintf(&b, ": value %s", strconv.Quote(e.Value))
	}
	fmt.Fprintf(&b, ": %s", graphic(e.Msg))
	return b.String()
}

// graphic writes the control characters of s (a zero byte of a UTF-16
// header, a stray escape) as \x00 or \u0085, so that a refusal quoting the
// customer's file never puts one into a terminal, a log line or a page.
func graphic(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unicode.IsControl(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, mark.ErrInvalid) hold for every refusal,
// and errors.Is(err, mark.ErrTooLarge) for a list over MaxItems.
func (e *ParseError) Unwrap() []error {
	if e.TooLarge {
		return []error{mark.ErrInvalid, mark.ErrTooLarge}
	}
	return []error{mark.ErrInvalid}
}

// tooMany is the refusal of a list over MaxItems at the line of the item
// after the last one taken.
func tooMany(line int) *ParseError {
	e := perr(line, 0, "", "", fmt.Sprintf("the list has more than %d items", MaxItems))
	e.TooLarge = true
	return e
}

// maxValue is how much of an offending value an error quotes.
const maxValue = 60

func perr(line, col int, field, value, msg string) *ParseError {
	value = shorten(value, maxValue)
	return &ParseError{Line: line, Column: col, Field: field, Value: value, Msg: msg}
}

// shorten cuts s to its first n letters and "…"; only those are
// decoded (a value may be the whole 16 MiB file).
func shorten(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// utf16Note ends the refusal of a list with zero bytes in it: UTF-16
// without a byte-order mark (some exports write it so) reads as UTF-8
// with a zero byte beside every Latin letter, and no list has one.
const utf16Note = " (the file has zero bytes: it is UTF-16 (\"Unicode text\") or not a text file; " +
	"a list is UTF-8 or Windows-1251: save it as \"CSV UTF-8\" or \"CSV (разделители — точка с запятой)\")"

// Parse reads a list in either form: JSON when the first character after
// an optional BOM and white space is '{' or '[', CSV otherwise. A refusal
// is a *ParseError.
func Parse(data []byte) (List, error) {
	// FF FE is also "яю" in Windows-1251; UTF-16 text has NULs (in its
	// digits and separators), a Windows-1251 list none.
	if (bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF})) && bytes.IndexByte(data, 0) >= 0 {
		return List{}, perr(1, 0, "", "", "the file is UTF-16 (Excel's \"Unicode text\"): save the list as \"CSV UTF-8\" or \"CSV (разделители — точка с запятой)\"")
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
		return List{}, perr(1, 0, "", "", "the file is an Excel workbook (.xlsx or .xls), not a CSV or JSON list: in Excel save it as \"CSV UTF-8\" or \"CSV (разделители — точка с запятой)\"")
	}
	body := bytes.TrimPrefix(data, utf8BOM)
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return List{}, perr(1, 0, "", "", "the list is empty: expected a CSV header row or a JSON object")
	}
	var (
		l   List
		err error
	)
	if trimmed[0] == '{' || trimmed[0] == '[' {
		l, err = parseJSON(body)
	} else {
		l, err = parseCSV(body)
	}
	if err != nil {
		if pe, ok := err.(*ParseError); ok && bytes.IndexByte(body, 0) >= 0 {
			pe.Msg += utf16Note
		}
		return List{}, err
	}
	if err := checkItems(l.Items); err != nil {
		return List{}, err
	}
	return l, nil
}

// checkItems applies the rules that span the whole list: at least one
// item, at most MaxItems. A serial or tracking number listed twice is
// refused as its item is read (dups), naming its cell.
func checkItems(items []Item) error {
	if len(items) == 0 {
		return perr(1, 0, "", "", "the list has no items")
	}
	if len(items) > MaxItems {
		return tooMany(items[MaxItems].Line)
	}
	return nil
}

// dups finds a mark serial or a tracking number listed a second time, as
// the items are read, and refuses it at the line and column of its value
// (BATCH-LIST.md: a refusal names line and column), naming the line of
// the first.
type dups struct {
	serials  map[uint64]int
	tracking map[string]int
}

func newDups() *dups { return &dups{serials: map[uint64]int{}, tracking: map[string]int{}} }

// add records it, whose values were read from cells; a serial or tracking
// number seen before is a *ParseError.
func (d *dups) add(it Item, cells *[nFields]cell) error {
	at := func(f field) (int, int) {
		c := cells[f]
		if c.line == 0 {
			return it.Line, c.col
		}
		return c.line, c.col
	}
	if it.Serial != 0 {
		if first, ok := d.serials[it.Serial]; ok {
			line, col := at(fSerial)
			return perr(line, col, "serial", strconv.FormatUint(it.Serial, 10),
				fmt.Sprintf("the mark serial is listed twice (first on line %d); each mark pays for one item", first))
		}
		line, _ := at(fSerial)
		d.serials[it.Serial] = line
	}
	if it.Tracking != "" {
		if first, ok := d.tracking[it.Tracking]; ok {
			line, col := at(fTracking)
			return perr(line, col, "tracking", it.Tracking,
				fmt.Sprintf("the tracking number is listed twice (first on line %d); each item has its own", first))
		}
		line, _ := at(fTracking)
		d.tracking[it.Tracking] = line
	}
	return nil
}
