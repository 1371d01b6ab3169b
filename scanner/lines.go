package scanner

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"markd/internal/textline"
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
	// bytes removed. A line over MaxLine bytes whose text without the white
	// space around it fits is that text (white space removed too); one whose
	// text is longer holds only MaxLine bytes of it (before that cleaning).
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
// The size limit applies to the line's text without its surrounding white
// space (MARK-FORMAT §1: "surrounding white space ... ignored"): a line
// over MaxLine bytes whose text without the white space and control bytes
// around it fits (a mark and 5 000 spaces) is that text (Frame.N 0); that
// white space is counted, not kept (textline.Fit). A line whose text is
// longer than MaxLine is kept cut: the first MaxLine bytes from its first
// character that is not white space (of a line that starts with its text,
// its first MaxLine bytes) and its real length (Frame.N), so it is stored
// like any other scan (as NOT_A_MARK) instead of vanishing. The bytes
// after the cut are counted, not kept, up to the next terminator: the
// framer holds at most MaxLine plus the terminator's length plus
// utf8.UTFMax, whatever a scanner or a noisy cable sends.
// A partial line that sees no byte for Idle is dropped by Expire (one
// FrameIdle): a scanner configured without a terminator then shows up in
// the log instead of silently gluing codes together. Control bytes alone
// (the LF a CRLF scanner sends after the CR a "CR" setting ends lines at)
// are not a partial line: Expire clears them without a frame. Empty lines are
// skipped (a CR/LF pair split differently, or a scanner sending a bare
// terminator, is not a scan; nor is a line of over MaxLine bytes of white space).
type Framer struct {
	Terminator []byte
	MaxLine    int
	Idle       time.Duration
	// RawLimit applies MaxLine to the whole line, white space included:
	// for a line that is no mark (the scale's readings), where §1's
	// tolerance does not apply. Such a line over MaxLine is a cut line
	// (Frame.N set) even when its text without white space would fit.
	RawLimit bool

	line     textline.Fit // the line so far, terminator excluded
	win      []byte       // multi-byte Terminator: the last bytes, not yet known not to start it
	lastCR   bool         // default mode: previous byte was CR, so an LF right after it is swallowed
	lastByte time.Time    // when the last byte of the pending partial line arrived
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
func (f *Framer) Pending() bool { return f.line.Seen() > 0 || len(f.win) > 0 }

// Partial reports whether a partial line with text in it (not control
// bytes alone) is waiting for its terminator.
func (f *Framer) Partial() bool {
	kept, trimmed, _ := f.line.End()
	return trimmed || hasText(kept) || hasText(f.win)
}

// Held is the number of bytes the framer holds: never more than MaxLine
// plus the terminator's length plus utf8.UTFMax (the fuzz test checks it).
func (f *Framer) Held() int { return f.line.Held() + len(f.win) }

// Feed consumes p, received at now, calling out for every frame it ends.
func (f *Framer) Feed(p []byte, now time.Time, out func(Frame)) {
	f.line.Max = f.MaxLine
	for _, c := range p {
		f.feedByte(c, out)
	}
	if f.Pending() {
		f.lastByte = now
	}
}

func (f *Framer) feedByte(c byte, out func(Frame)) {
	t := f.Terminator
	switch {
	case t == nil:
		wasCR := f.lastCR
		f.lastCR = c == '\r'
		if c == '\r' || c == '\n' {
			if c == '\n' && wasCR {
				return // CRLF counts once
			}
			f.endLine(out)
			return
		}
		f.line.Add(c)
	case len(t) == 1:
		if c == t[0] {
			f.endLine(out)
			return
		}
		f.line.Add(c)
	default:
		// The last len(t)-1 bytes wait in win until they are known not
		// to start the terminator: a terminator straddling the limit or
		// split across reads still ends the line.
		f.win = append(f.win, c)
		if bytes.Equal(f.win, t) {
			f.win = f.win[:0]
			f.endLine(out)
			return
		}
		if len(f.win) == len(t) {
			f.line.Add(f.win[0])
			f.win = f.win[:copy(f.win, f.win[1:])]
		}
	}
}

// endLine ends the line.
func (f *Framer) endLine(out func(Frame)) {
	kept, trimmed, over := f.line.End()
	var fr Frame
	switch {
	case over, trimmed && f.RawLimit:
		fr = Frame{Kind: FrameLine, Text: cleanLine(kept), N: f.line.Seen()}
	case trimmed:
		// Over MaxLine bytes with the white space around it, not
		// without: the text is the line (MARK-FORMAT §1).
		fr = Frame{Kind: FrameLine, Text: StripAIM(strings.TrimSpace(cleanBytes(kept)))}
	default:
		fr = Frame{Kind: FrameLine, Text: cleanLine(kept)}
	}
	f.reset()
	if fr.Text != "" {
		out(fr)
	}
}

func (f *Framer) reset() {
	f.line.Reset()
	f.win = f.win[:0]
}

// Expire drops a partial line that has seen no byte for Idle (also one
// over MaxLine: without its terminator it is not known to be a whole scan).
func (f *Framer) Expire(now time.Time, out func(Frame)) {
	if !f.Pending() || now.Sub(f.lastByte) < f.Idle {
		return
	}
	if !f.Partial() {
		// Control bytes alone (the LF of a CRLF scanner set to CR, the CR
		// of LFCR set to LF, noise between codes) are no partial line: a
		// terminator after them would give an empty line, which is skipped.
		f.reset()
		f.lastCR = false
		return
	}
	n := f.line.Seen() + len(f.win)
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
func cleanLine(b []byte) string { return StripAIM(cleanBytes(b)) }

// cleanBytes removes ASCII control bytes.
func cleanBytes(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
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
