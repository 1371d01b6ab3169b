package jsonkey

import (
	"encoding/json"
	"testing"
)

// TestTwice: the first key an object gives twice, as encoding/json
// matches keys (any case, ſ as s), at any depth; "" for none and for
// what is not JSON.
func TestTwice(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"text":"a","counter":"A"}`, ""},
		{`{"text":"a","text":"b"}`, "text"},
		{`{"text":"a","TEXT":"b"}`, "TEXT"},
		{`{"Text":"a","text":"b"}`, "text"},
		{`{"source":"a","ſource":"b"}`, "ſource"},
		{`{"a":{"b":1,"B":2}}`, "B"},
		{`[{"a":1},{"a":1,"a":2}]`, "a"},
		{`{"a":[1,2],"b":{"a":1}}`, ""},
		{`{"a":1,`, ""},
		{`not json`, ""},
		// not well-formed inside an array or object: "", not a loop
		// that never ends (found by importer FuzzParseLine: "[ő")
		{"[ő", ""},
		{`[1,`, ""},
		{`{"a":[x`, ""},
		{`[{"a":1},`, ""},
		{`{"teXt":"","TEXT"`, ""}, // the key twice, then the fault (FuzzTwice)
		{`{"a":1,"a":2} {}`, ""},
		{``, ""},
	} {
		if got := Twice([]byte(tc.in)); got != tc.want {
			t.Errorf("Twice(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzTwice: Twice ends on any bytes (a value not well-formed once
// looped for ever) and never names a key of an object that has none
// twice: a key it names is one the object gives twice when folded.
func FuzzTwice(f *testing.F) {
	for _, s := range []string{`{"text":"a","TEXT":"b"}`, `{"a":{"b":1}}`, `[{"a":1,"a":2}]`, `{"ſ":1,"s":2}`, "[ő", `{"a":[1,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key := Twice([]byte(s))
		if key == "" {
			return
		}
		var probe any
		if json.Unmarshal([]byte(s), &probe) != nil {
			t.Fatalf("%q: key %q named in what is not JSON", s, key)
		}
	})
}

// TestOtherCase: the name a key spells in another case, "" for a name as
// spelt or none.
func TestOtherCase(t *testing.T) {
	names := []string{"contract", "items", "serial"}
	for _, tc := range []struct{ key, want string }{
		{"serial", ""}, {"Serial", "serial"}, {"ITEMS", "items"}, {"ſerial", "serial"}, {"colour", ""}, {"", ""},
	} {
		if got := OtherCase(tc.key, names...); got != tc.want {
			t.Errorf("OtherCase(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
