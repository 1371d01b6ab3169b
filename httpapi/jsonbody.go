package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unicode/utf8"

	"markd/internal/jsonkey"
	"markd/mark"
)

// utf8BOM is the byte order mark some Windows programs write before UTF-8.
var utf8BOM = []byte("\uFEFF")

// readJSON decodes body, one JSON object, into v refusing unknown fields
// (a key in another case than its field's too), a key given twice, bytes
// that are not UTF-8 and anything after the object, each with
// mark.ErrInvalid naming what is wrong and where. A byte order mark
// before the object is skipped.
func readJSON(body []byte, v any) error {
	body = bytes.TrimPrefix(body, utf8BOM)
	if !utf8.Valid(body) {
		at := 0
		for at < len(body) {
			r, n := utf8.DecodeRune(body[at:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			at += n
		}
		return mark.WithHint(fmt.Errorf("request body: not UTF-8 at byte %d (0x%02x): %w", at+1, body[at], mark.ErrInvalid),
			"JSON is UTF-8: send the text as UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return mark.WithHint(fmt.Errorf("request body: %s: %w", jsonProblem(err), mark.ErrInvalid), "see docs/local-api.md for the fields")
	}
	// More after the object (two scans run together) is refused whole:
	// taking the first would drop the rest without a word.
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return mark.WithHint(fmt.Errorf("request body: %q after the JSON object: %w", cut(rest, 20), mark.ErrInvalid),
			"send one JSON object per request")
	}
	// A key given twice is taken as its last value by the decoder, while
	// another reader (the program's own, a log) may see the first.
	if key := jsonkey.Twice(body); key != "" {
		return mark.WithHint(fmt.Errorf("request body: key %q given twice: %w", key, mark.ErrInvalid),
			"give each field once")
	}
	// encoding/json fills text from "Text" too (and DisallowUnknownFields
	// lets it by): a key must be spelt as the documented field.
	if ke := jsonkey.Exact(body, v, jsonkey.Strict); ke != nil {
		where := "request body"
		if ke.Path != "" {
			where += ": " + ke.Path
		}
		return mark.WithHint(fmt.Errorf("%s: %s: %w", where, ke.Why(), mark.ErrInvalid),
			"field names are lower case, as docs/local-api.md spells them")
	}
	return nil
}

// jsonProblem says what is wrong with a body the decoder refused, in the
// API's words (the field and what it holds; no Go types).
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field == "" { // the body itself: an array, a string
			return fmt.Sprintf("%s given, %s wanted", te.Value, jsonKind(te.Type))
		}
		return fmt.Sprintf("%s: %s given, %s wanted", te.Field, te.Value, jsonKind(te.Type))
	case errors.As(err, &se):
		return fmt.Sprintf("not JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "not JSON: it ends before the object does"
	}
	return err.Error() // json: unknown field "weigth_g"
}

// jsonKind names what a Go type takes in JSON.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more, at most " + fmt.Sprint(uint64(1)<<(t.Bits())-1)
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return t.Kind().String()
}
