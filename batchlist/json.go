package batchlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"markd/internal/jsonkey"
)

// jsonReader walks the JSON form token by token so that every error and
// every item knows its line and column in the file.
type jsonReader struct {
	data []byte
	dec  *json.Decoder
	// a cursor for pos: offsets asked for only grow, so lines are counted once
	curOff, curLine, curLineStart int
}

func parseJSON(data []byte) (List, error) {
	if !utf8.Valid(data) {
		line, col := lineCol(data, firstInvalidUTF8(data))
		return List{}, perr(line, col, "", "", "a JSON list must be UTF-8")
	}
	jr := &jsonReader{data: data, dec: json.NewDecoder(bytes.NewReader(data)), curLine: 1}
	jr.dec.UseNumber()
	var l List
	start := jr.next()
	tok, err := jr.dec.Token()
	if err != nil {
		return List{}, jr.syntax(err, start)
	}
	switch tok {
	case json.Delim('['): // a bare array of items
		items, err := jr.items()
		if err != nil {
			return List{}, err
		}
		l.Items = items
	case json.Delim('{'):
		seen := map[string]bool{} // a second "items" would silently drop the first
		for jr.dec.More() {
			kpos := jr.next()
			k, err := jr.dec.Token()
			if err != nil {
				return List{}, jr.syntax(err, kpos)
			}
			key, _ := k.(string)
			if (key == "contract" || key == "items") && seen[key] {
				line, col := jr.pos(kpos)
				return List{}, perr(line, col, key, "", "this key appears twice in the list")
			}
			seen[key] = true
			switch key {
			case "contract":
				vpos := jr.next()
				v, err := jr.scalar(vpos)
				if err != nil {
					return List{}, err
				}
				c, perr1 := strconv.ParseUint(v, 10, 32)
				if perr1 != nil || c == 0 {
					line, col := jr.pos(vpos)
					return List{}, perr(line, col, "contract", v, "the contract must be a whole number, 1 to 4294967295")
				}
				l.Contract = uint32(c)
			case "items":
				vpos := jr.next()
				t, err := jr.dec.Token()
				if err != nil {
					return List{}, jr.syntax(err, vpos)
				}
				if t != json.Delim('[') {
					line, col := jr.pos(vpos)
					return List{}, perr(line, col, "items", "", "items must be an array of objects")
				}
				if l.Items, err = jr.items(); err != nil {
					return List{}, err
				}
			default: // unknown keys are ignored, like unknown CSV columns
				if err := jr.otherCase(kpos, key, "contract", "items"); err != nil {
					return List{}, err
				}
				var skip json.RawMessage
				vpos := jr.next()
				if err := jr.dec.Decode(&skip); err != nil {
					return List{}, jr.syntax(err, vpos)
				}
			}
		}
		end := jr.next()
		if _, err := jr.dec.Token(); err != nil {
			return List{}, jr.syntax(err, end)
		}
		if !seen["items"] {
			return List{}, perr(1, 0, "items", "", "the JSON object has no \"items\" array")
		}
	default:
		line, col := jr.pos(start)
		return List{}, perr(line, col, "", "", "a JSON list is an object {\"contract\": …, \"items\": […]}")
	}
	after := jr.next()
	if _, err := jr.dec.Token(); !errors.Is(err, io.EOF) {
		line, col := jr.pos(after)
		return List{}, perr(line, col, "", "", "unexpected data after the end of the list")
	}
	return l, nil
}

// items reads the objects of an array whose '[' was read, and its ']'.
func (jr *jsonReader) items() ([]Item, error) {
	var items []Item
	seen := newDups()
	for jr.dec.More() {
		start := jr.next()
		if len(items) >= MaxItems {
			line, _ := jr.pos(start)
			return nil, tooMany(line)
		}
		line, col := jr.pos(start)
		t, err := jr.dec.Token()
		if err != nil {
			return nil, jr.syntax(err, start)
		}
		if t != json.Delim('{') {
			return nil, perr(line, col, "", "", "each item must be an object {\"tracking\": …, \"mail_class\": …}")
		}
		var cells [nFields]cell
		for jr.dec.More() {
			kpos := jr.next()
			k, err := jr.dec.Token()
			if err != nil {
				return nil, jr.syntax(err, kpos)
			}
			key, _ := k.(string)
			vpos := jr.next()
			f, known := jsonField(key)
			if !known {
				if err := jr.otherCase(kpos, key, fieldNames[:]...); err != nil {
					return nil, err
				}
				var skip json.RawMessage
				if err := jr.dec.Decode(&skip); err != nil {
					return nil, jr.syntax(err, vpos)
				}
				continue
			}
			v, err := jr.scalar(vpos)
			if err != nil {
				return nil, err
			}
			if cells[f].present {
				kl, kc := jr.pos(kpos)
				return nil, perr(kl, kc, key, v, "this key appears twice in the item")
			}
			vline, vcol := jr.pos(vpos)
			cells[f] = cell{present: true, value: v, line: vline, col: vcol}
		}
		end := jr.next()
		if _, err := jr.dec.Token(); err != nil {
			return nil, jr.syntax(err, end)
		}
		it, err := buildItem(line, col, len(items)+1, &cells)
		if err != nil {
			return nil, err
		}
		if err := seen.add(it, &cells); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	end := jr.next()
	if _, err := jr.dec.Token(); err != nil {
		return nil, jr.syntax(err, end)
	}
	return items, nil
}

// otherCase refuses a key that is one of names in another letter case
// ("Serial", "ITEMS"): unknown keys are ignored, and ignoring this one
// would drop what the customer meant without a word (an item matched by
// tracking, not by its serial; a notice taken as none). The keys are
// matched as spelt, as the local API's are (jsonkey.Fold compares them
// as its JSON reader would: jsonkey.OtherCase).
func (jr *jsonReader) otherCase(kpos int, key string, names ...string) error {
	if n := jsonkey.OtherCase(key, names...); n != "" {
		line, col := jr.pos(kpos)
		return perr(line, col, n, "", fmt.Sprintf("unknown key %q (did you mean %q?): keys are spelt in lower case", key, n))
	}
	return nil
}

// jsonField maps an item key to its field; the keys are the English
// column names.
func jsonField(key string) (field, bool) {
	for f, n := range fieldNames {
		if n == key {
			return field(f), true
		}
	}
	return 0, false
}

// scalar reads one value as text: a number as written, a string as is,
// true/false, null as "". Objects and arrays are refused.
func (jr *jsonReader) scalar(vpos int) (string, error) {
	var v any
	if err := jr.dec.Decode(&v); err != nil {
		return "", jr.syntax(err, vpos)
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	line, col := jr.pos(vpos)
	return "", perr(line, col, "", "", "a value must be a number, a string, true, false or null")
}

// next returns the offset where the next token starts: InputOffset is
// the end of the previous one; white space, ',' and ':' lie between.
func (jr *jsonReader) next() int {
	off := int(jr.dec.InputOffset())
	for off < len(jr.data) {
		switch jr.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// syntax turns a decoding error into a ParseError at its offset.
func (jr *jsonReader) syntax(err error, at int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		at = int(se.Offset)
		if at > 0 {
			at-- // Offset is after the byte that broke the syntax
		}
	}
	msg := "the JSON is malformed: " + err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "the JSON ends too early: a bracket or quote is not closed"
		at = len(jr.data)
	}
	line, col := lineCol(jr.data, at)
	return perr(line, col, "", "", msg)
}

// pos is lineCol with a cursor, for offsets that never go back.
func (jr *jsonReader) pos(off int) (int, int) {
	if off < jr.curOff {
		return lineCol(jr.data, off)
	}
	for i := jr.curOff; i < off && i < len(jr.data); i++ {
		if jr.data[i] == '\n' {
			jr.curLine++
			jr.curLineStart = i + 1
		}
	}
	jr.curOff = off
	end := min(off, len(jr.data))
	return jr.curLine, utf8.RuneCount(jr.data[jr.curLineStart:end]) + 1
}

// lineCol gives the 1-based line and character column of a byte offset.
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, utf8.RuneCount(data[start:off]) + 1
}

// firstInvalidUTF8 is the offset of data's first byte that is not UTF-8
// (len(data) when all is).
func firstInvalidUTF8(data []byte) int {
	off := 0
	for off < len(data) {
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return off
}
