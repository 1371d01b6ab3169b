package jsonkey

import (
	"encoding/json"
	"testing"
	"time"
)

type exactInner struct {
	Serial uint64 `json:"serial"`
}

type exactEmbedded struct {
	Note string `json:"note,omitempty"`
}

type exactBody struct {
	exactEmbedded
	Text    string                `json:"text"`
	WeightG int                   `json:"weight_g,omitempty"`
	At      time.Time             `json:"at"`
	Mark    *exactInner           `json:"mark,omitempty"`
	List    []exactInner          `json:"list"`
	ByName  map[string]exactInner `json:"by_name"`
	Raw     json.RawMessage       `json:"raw"`
	Any     any                   `json:"any"`
	Skipped string                `json:"-"`
	Plain   string
}

// TestExact: the first key not spelt as a field name, with where it is
// and the name it matches ignoring case; in CaseOnly mode only such a
// key. Map keys and values that decode themselves are not looked into.
func TestExact(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		mode     Mode
		want     string // KeyError.Error(), "" for nil
	}{
		{"exact", `{"text":"a","weight_g":1,"note":"n","Plain":"p","at":"2026-11-24T09:00:00Z"}`, Strict, ""},
		{"case variant", `{"Text":"a"}`, Strict, `unknown key "Text" (did you mean "text"?)`},
		{"upper", `{"text":"a","WEIGHT_G":1}`, Strict, `unknown key "WEIGHT_G" (did you mean "weight_g"?)`},
		{"long s folds", `{"ſerial":1}`, Strict, `unknown key "ſerial"`},
		{"long s in nested", `{"mark":{"ſerial":1}}`, Strict, `mark: unknown key "ſerial" (did you mean "serial"?)`},
		{"unknown", `{"text":"a","colour":"red"}`, Strict, `unknown key "colour"`},
		{"unknown ignored", `{"text":"a","colour":{"Text":1}}`, CaseOnly, ""},
		{"case variant, case only", `{"colour":1,"TEXT":"a"}`, CaseOnly, `unknown key "TEXT" (did you mean "text"?)`},
		{"embedded", `{"Note":"n"}`, Strict, `unknown key "Note" (did you mean "note"?)`},
		{"go name without tag", `{"plain":"p"}`, Strict, `unknown key "plain" (did you mean "Plain"?)`},
		{"dash tag", `{"Skipped":"x"}`, Strict, `unknown key "Skipped"`},
		{"nested", `{"mark":{"Serial":1}}`, Strict, `mark: unknown key "Serial" (did you mean "serial"?)`},
		{"in list", `{"list":[{"serial":1},{"SERIAL":2}]}`, Strict, `list[1]: unknown key "SERIAL" (did you mean "serial"?)`},
		{"map keys free", `{"by_name":{"AnyKey":{"serial":1}}}`, Strict, ""},
		{"map values looked into", `{"by_name":{"a":{"Serial":1}}}`, Strict, `by_name.a: unknown key "Serial" (did you mean "serial"?)`},
		{"raw and any free", `{"raw":{"Text":1},"any":{"Text":[{"X":1}]}}`, Strict, ""},
		{"null mark", `{"mark":null,"list":null}`, Strict, ""},
		{"wrong kinds not looked into", `{"mark":[{"Serial":1}],"list":{"Serial":1},"text":{"X":1}}`, Strict, ""},
		{"not json", `{"Text"`, Strict, ""},
		{"empty", ``, Strict, ""},
		{"array top", `[{"Text":1}]`, Strict, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if e := Exact([]byte(tc.in), &exactBody{}, tc.mode); e != nil {
				got = e.Error()
			}
			if got != tc.want {
				t.Errorf("Exact(%s) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	// A list of structs at the top, as a value.
	if e := Exact([]byte(`[{"serial":1},{"Serial":2}]`), []exactInner{}, Strict); e == nil || e.Error() != `[1]: unknown key "Serial" (did you mean "serial"?)` {
		t.Errorf("top list: %v", e)
	}
	if Exact([]byte(`{"Text":1}`), nil, Strict) != nil {
		t.Error("nil v: a key named")
	}
}

// FuzzExact: Exact ends on any bytes and names only a key of an object
// that fills a struct: one not spelt as a field name, whose Known (when
// given) folds to the key; CaseOnly names a key only with its Known.
func FuzzExact(f *testing.F) {
	for _, s := range []string{`{"text":"a"}`, `{"Text":"a"}`, `{"mark":{"SERIAL":1}}`, `{"list":[{"serial":1},{"Serial":[`,
		`{"by_name":{"X":{"ſerial":1}}}`, `{"colour":{"Text":1},"TEXT":"a"}`, "[ő", `{"a":[1,`} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, caseOnly bool) {
		mode := Strict
		if caseOnly {
			mode = CaseOnly
		}
		e := Exact([]byte(s), &exactBody{}, mode)
		if e == nil {
			return
		}
		if e.Known != "" && Fold(e.Known) != Fold(e.Key) {
			t.Fatalf("%q: key %q named with %q, not the same ignoring case", s, e.Key, e.Known)
		}
		if mode == CaseOnly && e.Known == "" {
			t.Fatalf("%q: CaseOnly named %q, no field in another case", s, e.Key)
		}
		for _, f := range []string{"text", "weight_g", "at", "mark", "list", "by_name", "raw", "any", "note", "Plain", "serial"} {
			if e.Key == f {
				t.Fatalf("%q: named %q, a field name as spelt", s, e.Key)
			}
		}
	})
}
