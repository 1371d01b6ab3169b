package webtext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"markd/mark"
)

// CheckNote checks a note a person typed into a review form (the
// counter's supervisor, the collector's regional reviewer): a line break
// (LF, CR, CR LF) and a tab are kept; any other control character (C0,
// DEL, C1), format character (a bidirectional override, mark or isolate,
// a zero width space or joiner, the soft hyphen, the byte order mark),
// line or paragraph separator and byte that is not UTF-8 is refused with
// mark.ErrInvalid, naming the character and its position (counted in
// characters from 1 as the person sees them, a CR LF one): such a
// character shows as nothing or turns the text around on the pages, in
// the logs and in the CSV where the note goes, and is never what was
// meant (pasted with the text).
func CheckNote(s string) error {
	if pos, what := BadNoteChar(s); pos > 0 {
		return noteErr(pos, what)
	}
	return nil
}

// BadNoteChar is CheckNote's rule for callers that name the field
// themselves (the collector's API, events[i].note): the position of the
// first character a note may not hold (counted as CheckNote counts) and
// its name; 0 when there is none.
func BadNoteChar(s string) (pos int, what string) {
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		pos++
		switch {
		case c == utf8.RuneError && n <= 1:
			return pos, fmt.Sprintf("the byte 0x%02X, which is not UTF-8", s[i])
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			n = 2 // CR LF: one line break
		case c == '\n' || c == '\r' || c == '\t':
		case unicode.IsControl(c) || unicode.In(c, unicode.Cf, unicode.Zl, unicode.Zp) || c == utf8.RuneError:
			return pos, charName(c)
		}
		i += n
	}
	return 0, ""
}

// BadNameChar is BadNoteChar's rule for a person's name (the
// collector's API, events[i].actor), which has no line breaks: CR, LF
// and tab are refused too.
func BadNameChar(s string) (pos int, what string) {
	// Before the first CR, LF or tab the two rules count alike (no CR LF
	// yet); the first character refused by either is named.
	pos, what = BadNoteChar(s)
	if i := strings.IndexAny(s, "\r\n\t"); i >= 0 {
		if p := utf8.RuneCountInString(s[:i]) + 1; pos == 0 || p < pos {
			return p, charName(rune(s[i]))
		}
	}
	return pos, what
}

func noteErr(pos int, what string) error {
	return fmt.Errorf("note: character %d is %s: a note may not hold control, bidirectional or zero width characters "+
		"(line breaks and tabs are fine); delete it (it is often pasted along with the text) and send the note again "+
		"(Заметка: символ %d недопустим, удалите его): %w", pos, what, pos, mark.ErrInvalid)
}

// charName is c's code and, for the usual invisible ones, its name and
// what it does.
func charName(c rune) string {
	if name, ok := noteCharNames[c]; ok {
		return fmt.Sprintf("%U %s", c, name)
	}
	switch {
	case unicode.IsControl(c):
		return fmt.Sprintf("%U, a control character", c)
	case unicode.In(c, unicode.Zl, unicode.Zp):
		return fmt.Sprintf("%U, a line or paragraph separator", c)
	case c == utf8.RuneError:
		return fmt.Sprintf("%U, the replacement character (what a byte that is not UTF-8 became)", c)
	}
	return fmt.Sprintf("%U, an invisible format character", c)
}

var noteCharNames = map[rune]string{
	0x0009: "CHARACTER TABULATION (a tab)",
	0x000A: "LINE FEED (a line break)",
	0x000D: "CARRIAGE RETURN (a line break)",
	0x00AD: "SOFT HYPHEN (invisible)",
	0x061C: "ARABIC LETTER MARK (a bidirectional mark)",
	0x200B: "ZERO WIDTH SPACE",
	0x200C: "ZERO WIDTH NON-JOINER",
	0x200D: "ZERO WIDTH JOINER",
	0x200E: "LEFT-TO-RIGHT MARK (a bidirectional mark)",
	0x200F: "RIGHT-TO-LEFT MARK (a bidirectional mark)",
	0x202A: "LEFT-TO-RIGHT EMBEDDING (a bidirectional control)",
	0x202B: "RIGHT-TO-LEFT EMBEDDING (a bidirectional control)",
	0x202C: "POP DIRECTIONAL FORMATTING (a bidirectional control)",
	0x202D: "LEFT-TO-RIGHT OVERRIDE (a bidirectional control)",
	0x202E: "RIGHT-TO-LEFT OVERRIDE (a bidirectional control, which turns the text after it around)",
	0x2060: "WORD JOINER (invisible)",
	0x2066: "LEFT-TO-RIGHT ISOLATE (a bidirectional control)",
	0x2067: "RIGHT-TO-LEFT ISOLATE (a bidirectional control)",
	0x2068: "FIRST STRONG ISOLATE (a bidirectional control)",
	0x2069: "POP DIRECTIONAL ISOLATE (a bidirectional control)",
	0xFEFF: "ZERO WIDTH NO-BREAK SPACE (the byte order mark)",
	0x0000: "NUL",
	0x007F: "DELETE, a control character",
	0x0085: "NEXT LINE (a C1 control character)",
	0x2028: "LINE SEPARATOR",
	0x2029: "PARAGRAPH SEPARATOR",
}
