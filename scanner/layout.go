package scanner

import (
	"fmt"
	"strings"
	"unicode"

	"markd/decode"
)

// Keyboard layout recovery for the plain terminal (stdin) mode. A wedge
// scanner sends key positions; when the terminal's layout is Russian
// (ЙЦУКЕН) the text arrives as Cyrillic: "EPM1:" becomes "УЗЬ1Ж". The
// Ukrainian and Belarusian layouts are the Russian one with a few keys
// changed (і on S, ї on ], є on ', ў on O), so one table serves the three:
// no key types the same letter for another position in any of them. The
// evdev wedge source never needs this: it reads key codes, not text.

// Layout modes of the stdin source (config key layout).
const (
	LayoutAuto = "auto" // convert a line with Cyrillic letters that converts to a mark ("EPM1:...")
	LayoutRU   = "ru"   // always convert: the terminal uses the Russian (or Ukrainian, Belarusian) layout
	LayoutNone = "none" // never convert
)

// ruKeys: the same physical keys, unshifted then shifted, in the Russian
// layout and in the US layout.
var ruKeys = [2][2]string{
	{"ё1234567890-=йцукенгшщзхъ\\фывапролджэячсмитьбю.", "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./"},
	{"Ё!\"№;%:?*()_+ЙЦУКЕНГШЩЗХЪ/ФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,", "~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:\"ZXCVBNM<>?"},
}

// kinKeys: the letters the Ukrainian (і ї є) and Belarusian (і ў) layouts
// put where the Russian one has ы, ъ, э and щ, with their US keys.
var kinKeys = [2][2]string{
	{"іїєў", "s]'o"},
	{"ІЇЄЎ", "S}\"O"},
}

var fromRU = func() map[rune]rune {
	m := make(map[rune]rune)
	for _, pair := range append(ruKeys[:], kinKeys[:]...) {
		ru, us := []rune(pair[0]), []rune(pair[1])
		if len(ru) != len(us) {
			panic(fmt.Sprintf("layout table: %d Russian keys, %d US keys", len(ru), len(us)))
		}
		for i, r := range ru {
			u := us[i]
			// The code alphabet is upper case, and Caps Lock flips the case
			// of Cyrillic letters on their own: letter keys give upper case.
			if unicode.IsLetter(u) {
				u = unicode.ToUpper(u)
			}
			m[r] = u
		}
	}
	return m
}()

// FromRussianLayout returns the text the keys would have typed under the
// US layout: each character of s typed under the Russian, Ukrainian or
// Belarusian layout is mapped back to its key's US character (letters in
// upper case). Characters those layouts cannot type pass through.
func FromRussianLayout(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if u, ok := fromRU[r]; ok {
			r = u
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hasCyrillic reports whether s contains a Cyrillic letter.
func hasCyrillic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cyrillic, r) {
			return true
		}
	}
	return false
}

// RecoverLayout applies a layout mode to one line: LayoutRU converts
// always; LayoutAuto ("" too) converts only a line that has Cyrillic
// letters and turns into a mark (EPM1: after the white space and AIM
// prefix that MARK-FORMAT §1 tolerates), so Cyrillic text that is not a
// mis-typed mark stays as typed; LayoutNone leaves the line alone.
//
// Caps Lock: a scanner types every letter of a mark with Shift, and with
// Caps Lock on a Cyrillic letter key then gives the lower case, the ж key
// too, whose shifted US character is the mark's colon. A Cyrillic line
// that does not convert to a mark is tried again with the case of its
// Cyrillic letters turned, and taken when that converts to one. (A Latin
// line is left alone: "epm1:" is not a mark by §1, whatever typed it.)
func RecoverLayout(line, mode string) string {
	switch mode {
	case LayoutRU:
		conv, _ := toMark(line)
		return conv
	case LayoutNone:
		return line
	}
	if !hasCyrillic(line) {
		return line
	}
	if conv, ok := toMark(line); ok {
		return conv
	}
	return line
}

// toMark returns line as its keys type under the US layout and whether
// that is a mark, trying the line with Caps Lock's case turned when it is
// not (the line as converted first is returned when neither is).
func toMark(line string) (conv string, ok bool) {
	conv = FromRussianLayout(line)
	if decode.IsMark(conv) {
		return conv, true
	}
	if caps := FromRussianLayout(turnCyrillicCase(line)); decode.IsMark(caps) {
		return caps, true
	}
	return conv, false
}

// turnCyrillicCase turns the case of each Cyrillic letter of s, as Caps
// Lock did when it was typed.
func turnCyrillicCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case !unicode.Is(unicode.Cyrillic, r):
			return r
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		default:
			return unicode.ToUpper(r)
		}
	}, s)
}

// ValidLayout reports whether mode is a layout mode ("" means auto).
func ValidLayout(mode string) bool {
	switch mode {
	case "", LayoutAuto, LayoutRU, LayoutNone:
		return true
	}
	return false
}
