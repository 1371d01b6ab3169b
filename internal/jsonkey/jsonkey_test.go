package jsonkey

import "testing"

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
		{``, ""},
	} {
		if got := Twice([]byte(tc.in)); got != tc.want {
			t.Errorf("Twice(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
