// Package jsonkey finds a key given twice in a JSON object as
// encoding/json sees it: keys matched to fields without regard to case,
// the last value kept. The daemon's API and markd import refuse such an
// object through Twice, so both refuse the same ones.
package jsonkey

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
)

// Twice returns the first key some object of the JSON value data gives
// twice, "" when none does or data is not well-formed JSON (the decoder
// says that). Keys are compared as encoding/json matches them to fields,
// ignoring case (Fold): text and TEXT fill one field, the last one's value
// kept. The key returned is the second one as written.
func Twice(data []byte) string {
	return twice(json.NewDecoder(bytes.NewReader(data)))
}

func twice(dec *json.Decoder) string {
	tok, err := dec.Token()
	if err != nil {
		return ""
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return ""
			}
			key, _ := k.(string)
			if seen[Fold(key)] {
				return key
			}
			seen[Fold(key)] = true
			if t := twice(dec); t != "" {
				return t
			}
		}
		_, _ = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if t := twice(dec); t != "" {
				return t
			}
		}
		_, _ = dec.Token()
	}
	return ""
}

// Fold folds a key as encoding/json does to match it to a field name
// (its appendFoldedName): each letter upper-cased after lower-casing, so
// that "text", "TEXT" and "Text" are one key, as are "s" and "ſ" (U+017F).
func Fold(key string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, key)
}
