package mark

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest counter id, source or operator name a record
// may carry: the collector refuses an upload whose record holds a longer
// one (hub's maxNameLen, 400 naming the field), so a longer one stored
// at the counter would be set aside there, never uploaded.
const MaxNameLen = 128

// CounterWhy is what is wrong with a counter id, "" when nothing. It is
// stored with every scan and batch, filtered on by the supervisor pages
// (which trim what is typed, so " 1" could never be found) and sent to
// the collector. Inner spaces are fine ("Окно 1"). The config's counter
// and the counter of a line of markd import are held to it alike.
func CounterWhy(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "must not be empty"
	case len(id) > MaxNameLen:
		return fmt.Sprintf("must be at most %d bytes (the collector refuses a longer one)", MaxNameLen)
	case strings.TrimSpace(id) != id:
		return "must not begin or end with a space (the pages' counter filter drops it, so its records could not be found by counter)"
	case strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0:
		return "must not hold a tab, a line break or another character that does not print"
	case !utf8.ValidString(id):
		return "must be UTF-8 text"
	}
	return ""
}
