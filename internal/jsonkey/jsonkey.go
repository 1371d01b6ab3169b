// Package jsonkey checks the keys of a JSON object as encoding/json
// reads them: keys matched to fields without regard to case, the last
// value kept. Twice finds a key given twice; Exact a key not spelt as
// its field (Text for text), which encoding/json reads as that field.
// The daemon's API, markd import and the collector's upload refuse such
// objects through them, so all refuse the same ones.
package jsonkey

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
)

// Twice returns the first key some object of the JSON value data gives
// twice, "" when none does or data is not one well-formed JSON value
// (the decoder says that). Keys are compared as encoding/json matches them to fields,
// ignoring case (Fold): text and TEXT fill one field, the last one's value
// kept. The key returned is the second one as written.
func Twice(data []byte) string {
	key, ok := twice(json.NewDecoder(bytes.NewReader(data)))
	if !ok || (key != "" && !json.Valid(data)) { // a fault after the key, or more after the value
		return ""
	}
	return key
}

// twice reads one value of dec: the first key given twice in it, and
// false when the value is not well-formed (the walk stops there: More
// keeps saying true before a byte the decoder refuses).
func twice(dec *json.Decoder) (string, bool) {
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return "", false
			}
			key, _ := k.(string)
			if seen[Fold(key)] {
				return key, true
			}
			seen[Fold(key)] = true
			if t, ok := twice(dec); t != "" || !ok {
				return t, ok
			}
		}
		if _, err := dec.Token(); err != nil {
			return "", false
		}
	case json.Delim('['):
		for dec.More() {
			if t, ok := twice(dec); t != "" || !ok {
				return t, ok
			}
		}
		if _, err := dec.Token(); err != nil {
			return "", false
		}
	}
	return "", true
}

// Fold folds a key as encoding/json does to match it to a field name
// (its appendFoldedName): each letter upper-cased after lower-casing, so
// that "text", "TEXT" and "Text" are one key, as are "s" and "ſ" (U+017F).
func Fold(key string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, key)
}

// OtherCase is the one of names that key spells in another letter case
// as encoding/json compares keys (Fold: "Serial" for serial, "ſerial"
// too), "" when key is one of them as spelt or none: for a reader that
// matches keys as spelt and ignores unknown ones, a key it would drop
// though the sender meant a known one.
func OtherCase(key string, names ...string) string {
	for _, n := range names {
		if n == key {
			return ""
		}
	}
	for _, n := range names {
		if Fold(n) == Fold(key) {
			return n
		}
	}
	return ""
}
