package webtext

import (
	"errors"
	"strings"
	"testing"

	"markd/mark"
)

// TestCheckNote: a note keeps letters in any script, emoji, spaces, line
// breaks (LF, CR LF, CR) and tabs; a control, format (bidirectional,
// zero width, soft hyphen, byte order mark) or separator character and a
// byte that is not UTF-8 are refused as invalid, naming the character and
// its position counted in characters (a CR LF one, a Russian letter one).
func TestCheckNote(t *testing.T) {
	for _, c := range []struct {
		note string
		want []string // in the error, in this order; nil: accepted
	}{
		{note: ""},
		{note: "клиент отправил не в том отделении; 📮 charged again"},
		{note: "line one\nline two\r\nline three\rfour\tand a tab"},
		{note: "paid\u202Eevil", want: []string{"character 5 is U+202E RIGHT-TO-LEFT OVERRIDE", "символ 5"}},
		{note: "ок\u200bok", want: []string{"character 3 is U+200B ZERO WIDTH SPACE"}},
		{note: "a\r\nb\u2067c", want: []string{"character 4 is U+2067 RIGHT-TO-LEFT ISOLATE"}},
		{note: "\u0007bell", want: []string{"character 1 is U+0007, a control character"}},
		{note: "x\x00", want: []string{"character 2 is U+0000 NUL"}},
		{note: "x\u0085y", want: []string{"character 2 is U+0085 NEXT LINE"}},
		{note: "x\u2028y", want: []string{"character 2 is U+2028 LINE SEPARATOR"}},
		{note: "soft\u00ADhyphen", want: []string{"character 5 is U+00AD SOFT HYPHEN"}},
		{note: "\uFEFFbom", want: []string{"character 1 is U+FEFF"}},
		{note: "x\u2061y", want: []string{"character 2 is U+2061, an invisible format character"}},
		{note: "bad \xff byte", want: []string{"character 5 is the byte 0xFF, which is not UTF-8"}},
		{note: "looks \uFFFD neutralised", want: []string{"character 7 is U+FFFD, the replacement character"}},
	} {
		err := CheckNote(c.note)
		if c.want == nil {
			if err != nil {
				t.Errorf("%q: %v, want accepted", c.note, err)
			}
			continue
		}
		if !errors.Is(err, mark.ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", c.note, err)
			continue
		}
		rest := err.Error()
		if !strings.Contains(err.Error(), "line breaks and tabs are fine") {
			t.Errorf("%q: error does not say what a note may hold: %v", c.note, err)
		}
		for _, w := range c.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%q: error lacks %q (in order): %v", c.note, w, err)
				break
			}
			rest = rest[i+len(w):]
		}
		if !strings.Contains(err.Error(), "delete it") {
			t.Errorf("%q: error does not say what to do: %v", c.note, err)
		}
	}
}

// TestBadNameChar: a person's name (events[i].actor on the collector)
// holds what a note may, without line breaks and tabs; the first
// character refused by either rule is named, counted as for a note.
func TestBadNameChar(t *testing.T) {
	for _, c := range []struct {
		name string
		pos  int
		what string // a prefix of the name given; "" when accepted
	}{
		{name: "petrova"},
		{name: "Петрова-2.ivan_x"},
		{name: "api:kassa"},
		{name: "a\nb", pos: 2, what: "U+000A LINE FEED"},
		{name: "ab\r\nc", pos: 3, what: "U+000D CARRIAGE RETURN"},
		{name: "я\tя", pos: 2, what: "U+0009 CHARACTER TABULATION"},
		{name: "x\u202Ey\nz", pos: 2, what: "U+202E RIGHT-TO-LEFT OVERRIDE"},
		{name: "x\ny\u202Ez", pos: 2, what: "U+000A"},
		{name: "boss\x00", pos: 5, what: "U+0000 NUL"},
		{name: "bo\u200bss", pos: 3, what: "U+200B ZERO WIDTH SPACE"},
		{name: "\xffa\nb", pos: 1, what: "the byte 0xFF"},
		{name: "a\uFFFD", pos: 2, what: "U+FFFD"},
	} {
		pos, what := BadNameChar(c.name)
		if pos != c.pos || !strings.HasPrefix(what, c.what) || (c.what == "") != (what == "") {
			t.Errorf("BadNameChar(%q) = %d %q, want %d %q…", c.name, pos, what, c.pos, c.what)
		}
	}
}
