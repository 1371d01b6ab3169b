package hub

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPlainNote: a review note keeps its text and line breaks; controls,
// bidirectional and zero width characters, line and paragraph separators
// and bytes that are not UTF-8 become U+FFFD; a name is one line; both
// are cut to their bound at a character's start.
func TestPlainNote(t *testing.T) {
	for _, c := range []struct {
		name, in, note, plainName string
	}{
		{"plain", "часы исправлены", "часы исправлены", "часы исправлены"},
		{"line breaks", "a\r\nb\nc\td", "a\nb\nc\td", "a\ufffd\ufffdb\ufffdc\ufffdd"},
		{"bidi override and isolate", "x\u202egnp.exe\u2066y\u2069", "x\ufffdgnp.exe\ufffdy\ufffd", "x\ufffdgnp.exe\ufffdy\ufffd"},
		{"controls", "a\x00b\x1b[31mc\x7fd\u0085e", "a\ufffdb\ufffd[31mc\ufffdd\ufffde", "a\ufffdb\ufffd[31mc\ufffdd\ufffde"},
		{"zero width, soft hyphen, BOM", "a\u200bb\u00adc\ufeffd", "a\ufffdb\ufffdc\ufffdd", "a\ufffdb\ufffdc\ufffdd"},
		{"separators", "a\u2028b\u2029c", "a\ufffdb\ufffdc", "a\ufffdb\ufffdc"},
		{"not UTF-8", "a\xffb\xc3", "a\ufffdb\ufffd", "a\ufffdb\ufffd"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PlainNote(c.in); got != c.note {
				t.Errorf("PlainNote(%q) = %q, want %q", c.in, got, c.note)
			}
			if got := PlainName(c.in); got != c.plainName {
				t.Errorf("PlainName(%q) = %q, want %q", c.in, got, c.plainName)
			}
		})
	}
	long := "x" + strings.Repeat("я", MaxDisputeNote) // odd bytes: the bound falls inside a letter
	if got := PlainNote(long); len(got) != MaxDisputeNote-1 || !utf8.ValidString(got) {
		t.Errorf("a long note: %d bytes, valid %t; want %d", len(got), utf8.ValidString(got), MaxDisputeNote-1)
	}
	if got := PlainName(strings.Repeat("b", 300)); len(got) != MaxReviewerName {
		t.Errorf("a long name: %d bytes, want %d", len(got), MaxReviewerName)
	}
}
