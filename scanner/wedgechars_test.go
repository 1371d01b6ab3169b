package scanner

import (
	"strings"
	"testing"

	"markd/mark"
)

// usToRU types a US-layout text under the Russian (ЙЦУКЕН) layout: the
// character each key gives there. The table is written from the layout,
// not taken from layout.go.
func usToRU(t *testing.T, s string) string {
	t.Helper()
	us := "qwertyuiop[]asdfghjkl;'zxcvbnm,./QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>?"
	ru := []rune("йцукенгшщзхъфывапролджэячсмитьбю.ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,")
	var b strings.Builder
	for _, c := range s {
		switch i := strings.IndexRune(us, c); {
		case i >= 0:
			b.WriteRune(ru[i])
		case c >= '0' && c <= '9' || c == ' ' || c == '\t' || c == '\r':
			b.WriteRune(c)
		default:
			t.Fatalf("no key for %q in the test's table", c)
		}
	}
	return b.String()
}

// capsLock is what the same keys type with Caps Lock on: the case of every
// Cyrillic letter turned (Shift then gives lower case).
func capsLock(s string) string {
	return strings.Map(func(r rune) rune {
		if l := strings.ToLower(string(r)); l != string(r) {
			return []rune(l)[0]
		}
		return []rune(strings.ToUpper(string(r)))[0]
	}, s)
}

// TestWedgeEveryMarkCharacter types marks that together hold every
// character §1 allows in a mark (the prefix EPM1:, base32 A–Z and 2–7,
// the tolerated lower-case letters, an AIM prefix ]Q1..]Q6, surrounding
// white space and CR) through both keyboard-wedge paths: the terminal
// under the Russian layout (with and without Caps Lock, layout modes auto
// and ru) and the evdev decoder; each must come out as the mark that was
// meant and be accepted.
func TestWedgeEveryMarkCharacter(t *testing.T) {
	texts, c := specMarks(t)
	var forms []string
	for i, m := range texts {
		payload := m[len(mark.Prefix):]
		aim := "]Q" + string(rune('1'+i%6))
		forms = append(forms,
			m,
			mark.Prefix+strings.ToLower(payload),
			aim+m,
			aim+mark.Prefix+strings.ToLower(payload),
			"  "+m+" \r",
			"\t"+aim+m+"\r",
		)
	}
	for _, typed := range forms {
		ru := usToRU(t, typed)
		for _, mode := range []string{LayoutAuto, LayoutRU} {
			judgeAs(t, "layout "+mode, RecoverLayout(ru, mode), typed, c, mark.Accept)
			judgeAs(t, "layout "+mode+" Caps Lock", RecoverLayout(capsLock(ru), mode), typed, c, mark.Accept)
		}
		r := newRecorder()
		r.line(t, strings.ReplaceAll(strings.TrimRight(typed, "\r"), "\t", " ")) // the decoder ignores Tab
		got := decodeAll(t, r.buf, 0)
		if len(got) != 1 {
			t.Fatalf("wedge %q: %q", typed, got)
		}
		judgeAs(t, "evdev", got[0], typed, c, mark.Accept)
	}
}
