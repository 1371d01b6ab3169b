package webtext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visible is s for people to read where it must stay whole (a scan's raw
// text on the review page and in the CSV): every character CheckNote
// refuses in a note (tab, CR and LF are kept, as there) is written as
// its code in brackets, ⟨U+202E⟩, so that a bidirectional
// override does not turn the rest around, a zero width space does not
// hide, ESC and NUL do not reach a spreadsheet or a terminal. A byte that
// is not UTF-8 is ⟨0xFF⟩. Text without such characters is returned as it is.
func Visible(s string) string {
	clean := true
	for _, c := range s {
		if hidden(c) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, "⟨0x%02X⟩", s[i])
		case hidden(c):
			fmt.Fprintf(&b, "⟨%U⟩", c)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hidden: a character Visible writes as its code.
func hidden(c rune) bool {
	if c == '\t' || c == '\r' || c == '\n' {
		return false
	}
	return unicode.IsControl(c) || unicode.In(c, unicode.Cf, unicode.Zl, unicode.Zp) || c == utf8.RuneError
}
