package scanner

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"markd/mark"
)

// Framing defaults used when the config leaves a value at zero.
const (
	DefaultMaxLine = mark.MaxInputSize // bytes of one code, terminator excluded
	DefaultIdle    = time.Second       // a partial line older than this is dropped
)

// FrameKind says what a Frame is: a line to emit or a drop to log.
type FrameKind int

// Frame kinds.
const (
	FrameLine FrameKind = iota // a complete line (Text set; N set when it was cut)
	FrameIdle                  // a partial line with no terminator was dropped after Idle (N = its length)
	FrameLost                  // wedge: the kernel lost key events; the code being typed was dropped
)

// Frame is one output of the Framer.
type Frame struct {
	Kind FrameKind
	// Text is the line of a FrameLine: terminator, AIM prefix and control
	// bytes removed. A line longer than MaxLine holds only its first
	// MaxLine bytes (before that cleaning).
	Text string
	// N is, for a FrameLine cut at MaxLine, the real length of the line in
	// bytes (terminator excluded), and 0 for a whole line; for FrameIdle
	// and FrameLost the bytes (keys) dropped.
	N int
}

// Framer cuts a byte stream from a scanner into lines. It is not safe for
// concurrent use; the serial source owns one per connection.
//
// Terminator nil means "CR or LF ends a line, CRLF counts once", which is
// what scanners send when left at factory settings. Otherwise a line ends
// only at the exact byte suffix Terminator (CR, LF, CRLF, ETX, "#"...).
//
// A line longer than MaxLine bytes is kept cut: its first MaxLine bytes
// and its real length (Frame.N), so it is stored like any other scan (as
// NOT_A_MARK) instead of vanishing. The bytes after the cut are counted,
// not kept, up to the next terminator: the framer holds at most MaxLine
// plus the terminator's length, whatever a scanner or a noisy cable sends.
// A partial line that sees no byte for Idle is dropped by Expire (one
// FrameIdle): a scanner configured without a terminator then shows up in
// the log instead of silently gluing codes together. Control bytes alone
// (the LF a CRLF scanner sends after the CR a "CR" setting ends lines at)
// are not a partial line: Expire clears them without a frame. Empty lines are
// skipped (a CR/LF pair split differently, or a scanner sending a bare
// terminator, is not a scan).
type Framer struct {
	Terminator []byte
	MaxLine    int
	Idle       time.Duration

	buf      []byte    // the line so far (over: its first MaxLine bytes)
	over     bool      // the line is longer than MaxLine; n counts it
	n        int       // over: bytes of the line seen so far, terminator bytes included
	tail     []byte    // over: the last bytes seen, to find a multi-byte terminator
	lastCR   bool      // default mode: previous byte was CR, so an LF right after it is swallowed
	lastByte time.Time // when the last byte of the pending partial line arrived
}

// NewFramer returns a framer with the given terminator (nil = CR or LF),
// MaxLine and Idle; zero values take the defaults.
func NewFramer(term []byte, maxLine int, idle time.Duration) *Framer {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	if idle <= 0 {
		idle = DefaultIdle
	}
	return &Framer{Terminator: term, MaxLine: maxLine, Idle: idle}
}

// Pending reports whether a partial line is waiting for its terminator.
func (f *Framer) Pending() bool { return len(f.buf) > 0 || f.over }

// Partial reports whether a partial line with text in it (not control
// bytes alone) is waiting for its terminator.
func (f *Framer) Partial() bool { return f.over || hasText(f.buf) }

// Held is the number of bytes the framer holds: never more than MaxLine
// plus the terminator's length (the fuzz test checks it).
func (f *Framer) Held() int { return len(f.buf) + len(f.tail) }

// Feed consumes p, received at now, calling out for every frame it ends.
func (f *Framer) Feed(p []byte, now time.Time, out func(Frame)) {
	for _, c := range p {
		f.feedByte(c, out)
	}
	if f.Pending() {
		f.lastByte = now
	}
}

func (f *Framer) feedByte(c byte, out func(Frame)) {
	if f.Terminator == nil {
		wasCR := f.lastCR
		f.lastCR = c == '\r'
		if c == '\r' || c == '\n' {
			if c == '\n' && wasCR {
				return // CRLF counts once
			}
			f.endLine(f.n, out)
			return
		}
	} else if f.atTerminator(c) {
		f.endLine(f.n-len(f.Terminator), out)
		return
	}
	if f.over {
		if f.Terminator == nil {
			f.n++ // (atTerminator counts it otherwise)
		}
		return // counted, not kept
	}
	f.buf = append(f.buf, c)
	// The buffer may hold a partial terminator; it counts towards the limit
	// only once it is known not to be one.
	limit := f.MaxLine
	if f.Terminator != nil {
		limit += len(f.Terminator) - 1
	}
	if len(f.buf) > limit {
		// Longer than MaxLine: keep the first MaxLine bytes, and the bytes
		// that may start the terminator, so a terminator straddling the
		// cut still ends the line.
		f.over, f.n = true, len(f.buf)
		f.tail = f.tail[:0]
		if k := len(f.Terminator) - 1; k > 0 {
			f.tail = append(f.tail, f.buf[len(f.buf)-k:]...)
		}
		f.buf = f.buf[:f.MaxLine]
	}
}

// atTerminator appends c and reports whether the stream now ends with the
// configured terminator; on true it removes the terminator's other bytes.
func (f *Framer) atTerminator(c byte) bool {
	t := f.Terminator
	if f.over {
		f.n++
		f.tail = append(f.tail, c)
		if len(f.tail) > len(t) {
			f.tail = f.tail[len(f.tail)-len(t):]
		}
		return bytes.Equal(f.tail, t)
	}
	if c != t[len(t)-1] {
		return false
	}
	n := len(t) - 1
	if len(f.buf) < n || !bytes.Equal(f.buf[len(f.buf)-n:], t[:n]) {
		return false
	}
	f.buf = f.buf[:len(f.buf)-n]
	return true
}

// endLine ends the line; n is its real length when it was over MaxLine.
func (f *Framer) endLine(n int, out func(Frame)) {
	text := cleanLine(f.buf)
	if !f.over {
		n = 0
	}
	f.reset()
	if text != "" {
		out(Frame{Kind: FrameLine, Text: text, N: n})
	}
}

func (f *Framer) reset() {
	f.buf, f.tail = f.buf[:0], f.tail[:0]
	f.over, f.n = false, 0
}

// Expire drops a partial line that has seen no byte for Idle (also one
// over MaxLine: without its terminator it is not known to be a whole scan).
func (f *Framer) Expire(now time.Time, out func(Frame)) {
	if !f.Pending() || now.Sub(f.lastByte) < f.Idle {
		return
	}
	if !f.over && !hasText(f.buf) {
		// Control bytes alone (the LF of a CRLF scanner set to CR, the CR
		// of LFCR set to LF, noise between codes) are no partial line: a
		// terminator after them would give an empty line, which is skipped.
		f.reset()
		f.lastCR = false
		return
	}
	n := len(f.buf)
	if f.over {
		n = f.n
	}
	f.reset()
	f.lastCR = false
	out(Frame{Kind: FrameIdle, N: n})
}

// hasText reports whether b holds a byte that is not an ASCII control byte
// (what cleanLine keeps).
func hasText(b []byte) bool {
	for _, c := range b {
		if c >= 0x20 && c != 0x7f {
			return true
		}
	}
	return false
}

// cleanLine removes ASCII control bytes (noise such as NUL, STX/ETX or
// XON/XOFF that some scanners and cables add) and the AIM symbology
// identifier prefix.
func cleanLine(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			continue
		}
		sb.WriteByte(c)
	}
	return StripAIM(sb.String())
}

// StripAIM removes the AIM symbology identifier of a QR code, ]Q1..]Q6,
// from the start of s: the only one MARK-FORMAT §1 tolerates before
// EPM1:. Any other ("]d2" Data Matrix, "]C0" Code 128, "]Q7") stays, so
// that a mark behind it is NOT_A_MARK, as the same text typed or sent
// to the API is.
func StripAIM(s string) string {
	if len(s) >= 3 && s[0] == ']' && s[1] == 'Q' && s[2] >= '1' && s[2] <= '6' {
		return s[3:]
	}
	return s
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// ParseTerminator turns the config value into the framer's terminator:
// "" = CR or LF (nil), "CR", "LF", "CRLF" (any case), or a literal suffix
// with Go escapes ("\x03", "#").
func ParseTerminator(s string) ([]byte, error) {
	switch strings.ToUpper(s) {
	case "":
		return nil, nil
	case "CR":
		return []byte("\r"), nil
	case "LF":
		return []byte("\n"), nil
	case "CRLF":
		return []byte("\r\n"), nil
	}
	b, err := Unescape(s)
	if err != nil {
		return nil, fmt.Errorf("terminator %q: %w", s, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("terminator %q is empty: %w", s, mark.ErrInvalid)
	}
	return b, nil
}

// Unescape interprets Go string escapes ("\x07", "\r\n", "\a") in a config
// value and returns the bytes.
func Unescape(s string) ([]byte, error) {
	q := `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	u, err := strconv.Unquote(q)
	if err != nil {
		return nil, fmt.Errorf("bad escape in %q: %w", s, mark.ErrInvalid)
	}
	return []byte(u), nil
}
