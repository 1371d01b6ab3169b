package textline

import (
	"unicode"
	"unicode/utf8"
)

// Fit keeps one line, fed byte by byte, in bounded memory, and applies a
// size limit to the line's text without its surrounding white space, as
// MARK-FORMAT §1 has it ("surrounding white space ... ignored"): a mark
// followed or preceded by megabytes of spaces is still that mark.
//
// A line of at most Max bytes is kept whole, as fed. Past Max bytes the
// white space before the first other character is dropped (counted, not
// kept), and so is white space after Max bytes of text: the line is then
// Trimmed, and End gives its text from the first character that is not
// white space. When a character other than white space comes after Max
// bytes of text, the line is Over: End gives its first Max bytes from
// that first character, and Seen its real length. Fit never holds more
// than Max plus utf8.UTFMax bytes (Held).
//
// White space is a character Ignore reports, decoded as utf8.DecodeRune
// does (an invalid byte is a character of its own and not white space).
type Fit struct {
	Max int
	// Ignore reports white space; nil is unicode.IsSpace, the white space
	// strings.TrimSpace and decode.Strip remove.
	Ignore func(r rune, size int) bool

	buf     []byte // the line (trim: from its first character that is not white space)
	pend    []byte // full: a character not yet whole, its first pin bytes the end of buf
	seen    int    // bytes fed
	pin     int    // full: bytes of pend that are also the end of buf
	wsTail  int    // full: bytes at the end of buf that are a white space character ending after it
	trim    bool   // more than Max bytes fed: white space around the text is counted, not kept
	started bool   // trim: buf starts with a character that is not white space
	full    bool   // trim: buf holds Max bytes of text; what follows is white space or makes the line Over
	over    bool   // the text without its surrounding white space is longer than Max
}

// Reset forgets the line, keeping the buffer.
func (f *Fit) Reset() {
	f.buf, f.pend = f.buf[:0], f.pend[:0]
	f.seen, f.pin, f.wsTail = 0, 0, 0
	f.trim, f.started, f.full, f.over = false, false, false, false
}

// Seen is the number of bytes fed since Reset: the line's real length.
func (f *Fit) Seen() int { return f.seen }

// Held is the number of bytes Fit holds: at most Max plus utf8.UTFMax.
func (f *Fit) Held() int { return len(f.buf) + len(f.pend) }

// Trimmed reports that more than Max bytes were fed, so white space
// around the text was dropped (or the line is Over).
func (f *Fit) Trimmed() bool { return f.trim }

// Write feeds p.
func (f *Fit) Write(p []byte) {
	if !f.trim && len(f.buf)+len(p) <= f.Max {
		f.buf = append(f.buf, p...)
		f.seen += len(p)
		return
	}
	for _, c := range p {
		f.Add(c)
	}
}

// Add feeds one byte.
func (f *Fit) Add(c byte) {
	f.seen++
	f.place(c)
}

func (f *Fit) place(c byte) {
	switch {
	case f.over:
	case !f.trim:
		f.buf = append(f.buf, c)
		if len(f.buf) > f.Max {
			f.trim = true
			last := f.buf[len(f.buf)-1]
			f.buf = f.buf[:len(f.buf)-1]
			f.settle()
			f.place(last)
		}
	case !f.started:
		f.buf = append(f.buf, c)
		f.settle()
	case !f.full && len(f.buf) < f.Max:
		f.buf = append(f.buf, c)
	default:
		if !f.full {
			f.fill()
		}
		f.trailing(c)
	}
}

func (f *Fit) ignore(r rune, size int) bool {
	if f.Ignore != nil {
		return f.Ignore(r, size)
	}
	return unicode.IsSpace(r)
}

// settle drops the whole white space characters at the start of buf; it
// sets started when a character that is not white space begins it.
func (f *Fit) settle() {
	i := 0
	for i < len(f.buf) && utf8.FullRune(f.buf[i:]) {
		r, size := utf8.DecodeRune(f.buf[i:])
		if !f.ignore(r, size) {
			f.started = true
			break
		}
		i += size
	}
	if i > 0 {
		f.buf = f.buf[:copy(f.buf, f.buf[i:])]
	}
	if f.started && len(f.buf) > f.Max { // the bytes past Max (nothing dropped, or a Max under utf8.UTFMax)
		var past [utf8.UTFMax + 1]byte
		n := copy(past[:], f.buf[f.Max:])
		f.buf = f.buf[:f.Max]
		f.fill()
		for _, c := range past[:n] {
			if !f.over {
				f.trailing(c)
			}
		}
	}
}

// fill marks buf full; a character not yet whole at its end moves to pend.
func (f *Fit) fill() {
	f.full = true
	i := 0
	for i < len(f.buf) && utf8.FullRune(f.buf[i:]) {
		_, size := utf8.DecodeRune(f.buf[i:])
		i += size
	}
	f.pend = append(f.pend[:0], f.buf[i:]...)
	f.pin = len(f.pend)
}

// trailing takes a byte after Max bytes of text: white space is counted;
// anything else makes the line Over.
func (f *Fit) trailing(c byte) {
	f.pend = append(f.pend, c)
	for len(f.pend) > 0 && utf8.FullRune(f.pend) {
		r, size := utf8.DecodeRune(f.pend)
		if size > f.pin && !f.ignore(r, size) {
			f.over = true
			f.pend, f.pin = f.pend[:0], 0
			return
		}
		if size > f.pin && f.pin > 0 { // white space begun in buf
			f.wsTail = f.pin
		}
		f.pend = f.pend[:copy(f.pend, f.pend[size:])]
		f.pin = max(0, f.pin-size)
	}
}

// End ends the line: kept is the line as fed (not trimmed), or when
// trimmed, its text from the first character that is not white space
// (white space may end it: the caller trims it), or when over, the first
// Max bytes of that text. kept is Fit's buffer, valid until the next Add.
func (f *Fit) End() (kept []byte, trimmed, over bool) {
	switch {
	case f.over || f.full && len(f.pend) > f.pin, // (a character past Max bytes of text, never whole)
		f.trim && !f.started && len(f.buf) > f.Max: // (bytes of a character never whole, more than Max)
		return f.buf[:min(len(f.buf), f.Max)], true, true
	case f.trim:
		return f.buf[:len(f.buf)-f.wsTail], true, false
	}
	return f.buf, false, false
}
