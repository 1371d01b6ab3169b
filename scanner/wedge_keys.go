package scanner

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"markd/mark"
)

// InputEventSize is the size of struct input_event on 64-bit Linux:
// struct timeval (two int64), __u16 type, __u16 code, __s32 value.
const InputEventSize = 24

// Event types and key codes of linux/input-event-codes.h that the wedge uses.
const (
	EvSyn = 0x00
	EvKey = 0x01

	SynDropped = 3 // the kernel's event buffer overflowed: events were lost

	KeyEsc        = 1
	KeyBackspace  = 14
	KeyTab        = 15
	KeyEnter      = 28
	KeyLeftCtrl   = 29
	KeyLeftShift  = 42
	KeyRightShift = 54
	KeyLeftAlt    = 56
	KeyCapsLock   = 58
	KeyKPEnter    = 96
	KeyRightCtrl  = 97
	KeyRightAlt   = 100
)

// Key values of an EV_KEY event.
const (
	keyRelease = 0
	keyPress   = 1
	keyRepeat  = 2
)

// InputEvent is one struct input_event.
type InputEvent struct {
	Sec, Usec int64
	Type      uint16
	Code      uint16
	Value     int32
}

// ParseInputEvent decodes one 24-byte little-endian input_event.
func ParseInputEvent(b []byte) (InputEvent, error) {
	if len(b) != InputEventSize {
		return InputEvent{}, fmt.Errorf("input_event is %d bytes, got %d: %w", InputEventSize, len(b), mark.ErrInvalid)
	}
	le := binary.LittleEndian
	return InputEvent{
		Sec:   int64(le.Uint64(b[0:])),
		Usec:  int64(le.Uint64(b[8:])),
		Type:  le.Uint16(b[16:]),
		Code:  le.Uint16(b[18:]),
		Value: int32(le.Uint32(b[20:])),
	}, nil
}

// AppendInputEvent appends the 24-byte form of e to dst (to record or
// replay event streams, and to write to /dev/uinput).
func AppendInputEvent(dst []byte, e InputEvent) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint64(dst, uint64(e.Sec))
	dst = le.AppendUint64(dst, uint64(e.Usec))
	dst = le.AppendUint16(dst, e.Type)
	dst = le.AppendUint16(dst, e.Code)
	return le.AppendUint32(dst, uint32(e.Value))
}

// usKeys maps evdev key codes to the characters of a US layout, unshifted
// and shifted. The codes are physical key positions, so the text does not
// depend on the layout the desktop happens to use.
var usKeys = map[uint16][2]byte{
	2: {'1', '!'}, 3: {'2', '@'}, 4: {'3', '#'}, 5: {'4', '$'}, 6: {'5', '%'},
	7: {'6', '^'}, 8: {'7', '&'}, 9: {'8', '*'}, 10: {'9', '('}, 11: {'0', ')'},
	12: {'-', '_'}, 13: {'=', '+'},
	16: {'q', 'Q'}, 17: {'w', 'W'}, 18: {'e', 'E'}, 19: {'r', 'R'}, 20: {'t', 'T'},
	21: {'y', 'Y'}, 22: {'u', 'U'}, 23: {'i', 'I'}, 24: {'o', 'O'}, 25: {'p', 'P'},
	26: {'[', '{'}, 27: {']', '}'},
	30: {'a', 'A'}, 31: {'s', 'S'}, 32: {'d', 'D'}, 33: {'f', 'F'}, 34: {'g', 'G'},
	35: {'h', 'H'}, 36: {'j', 'J'}, 37: {'k', 'K'}, 38: {'l', 'L'},
	39: {';', ':'}, 40: {'\'', '"'}, 41: {'`', '~'}, 43: {'\\', '|'},
	44: {'z', 'Z'}, 45: {'x', 'X'}, 46: {'c', 'C'}, 47: {'v', 'V'}, 48: {'b', 'B'},
	49: {'n', 'N'}, 50: {'m', 'M'}, 51: {',', '<'}, 52: {'.', '>'}, 53: {'/', '?'},
	57: {' ', ' '},
	// keypad (scanners that type digits on the keypad keep NumLock on)
	55: {'*', '*'}, 71: {'7', '7'}, 72: {'8', '8'}, 73: {'9', '9'}, 74: {'-', '-'},
	75: {'4', '4'}, 76: {'5', '5'}, 77: {'6', '6'}, 78: {'+', '+'}, 79: {'1', '1'},
	80: {'2', '2'}, 81: {'3', '3'}, 82: {'0', '0'}, 83: {'.', '.'}, 98: {'/', '/'},
}

// KeyChar returns the character of key code with or without Shift.
func KeyChar(code uint16, shift bool) (byte, bool) {
	k, ok := usKeys[code]
	if !ok {
		return 0, false
	}
	if shift {
		return k[1], true
	}
	return k[0], true
}

// KeyDecoder turns key events into lines: Enter (main or keypad) ends a
// code. It tracks both Shift keys and Caps Lock; keys typed while Ctrl or
// Alt is held, and keys with no character, are ignored and counted. A code
// longer than MaxLine is passed on cut, with its real length, like the
// Framer does: the keys after the cut are counted, not kept. As for the
// Framer, the limit applies to the code without the spaces around it
// (MARK-FORMAT §1): spaces before it and after MaxLine characters of it
// are counted, not kept, and a code over MaxLine keys whose text without
// them fits is that text.
type KeyDecoder struct {
	MaxLine int // default DefaultMaxLine
	Idle    time.Duration

	shift, ctrl, alt uint8 // bit 0 left, bit 1 right
	caps             bool
	buf              []byte // the code so far: its first MaxLine characters (after lead)
	n                int    // characters of the code so far (beyond MaxLine too)
	lead             int    // spaces before buf, dropped when buf was full
	sp, rest         int    // after a full buf: spaces, then the characters after them
	discard          bool   // events were lost: drop the code until Enter (n still counts its keys)
	lostSaid         bool   // discard: the drop was already passed on as a FrameLost
	lastKey          time.Time
	Unknown          int64 // key presses ignored
}

func (d *KeyDecoder) maxLine() int {
	if d.MaxLine <= 0 {
		return DefaultMaxLine
	}
	return d.MaxLine
}

// Held is the number of characters the decoder holds (at most MaxLine).
func (d *KeyDecoder) Held() int { return len(d.buf) }

func (d *KeyDecoder) reset() {
	d.buf, d.n, d.discard, d.lostSaid = d.buf[:0], 0, false, false
	d.lead, d.sp, d.rest = 0, 0, 0
}

// lost passes on the drop of the code being discarded, once, when it had
// keys: at SYN_DROPPED for a code under way, else when the code typed
// after the loss ends (the lost events may have been its first keys).
func (d *KeyDecoder) lost(out func(Frame)) {
	if d.discard && d.n > 0 && !d.lostSaid {
		out(Frame{Kind: FrameLost, N: d.n})
		d.lostSaid = true
	}
}

// Event feeds one input event received at now; a completed line or a drop
// is passed to out.
func (d *KeyDecoder) Event(e InputEvent, now time.Time, out func(Frame)) {
	if e.Type == EvSyn && e.Code == SynDropped {
		// Keys of the code being typed, or of the next one when none is,
		// were lost: that code cannot be trusted and is dropped up to its
		// Enter. Modifier state may be stale too; a scanner releases them anyway.
		d.discard, d.lastKey = true, now
		d.buf = d.buf[:0]
		d.lead, d.sp, d.rest = 0, 0, 0
		d.lost(out)
		d.shift, d.ctrl, d.alt = 0, 0, 0
		return
	}
	if e.Type != EvKey {
		return
	}
	switch e.Code {
	case KeyLeftShift, KeyRightShift:
		d.shift = modifier(d.shift, e.Code == KeyRightShift, e.Value)
		return
	case KeyLeftCtrl, KeyRightCtrl:
		d.ctrl = modifier(d.ctrl, e.Code == KeyRightCtrl, e.Value)
		return
	case KeyLeftAlt, KeyRightAlt:
		d.alt = modifier(d.alt, e.Code == KeyRightAlt, e.Value)
		return
	}
	if e.Value != keyPress && e.Value != keyRepeat {
		return
	}
	d.lastKey = now
	switch e.Code {
	case KeyCapsLock:
		if e.Value == keyPress { // a held Caps Lock repeats; the lock turns once
			d.caps = !d.caps
		}
		return
	case KeyEnter, KeyKPEnter:
		d.lost(out)
		line, n, wasDiscard := d.line()
		d.reset()
		if !wasDiscard && line != "" {
			out(Frame{Kind: FrameLine, Text: line, N: n})
		}
		return
	case KeyBackspace:
		if d.n > 0 {
			d.n--
			switch {
			case d.rest > 0:
				d.rest--
			case d.sp > 0:
				d.sp--
			case len(d.buf) > 0:
				d.buf = d.buf[:len(d.buf)-1]
			case d.lead > 0:
				d.lead--
			}
		}
		return
	case KeyTab, KeyEsc:
		return
	}
	if d.ctrl != 0 || d.alt != 0 {
		d.Unknown++
		return
	}
	shift := d.shift != 0
	c, ok := KeyChar(e.Code, shift)
	if !ok {
		d.Unknown++
		return
	}
	if d.caps && isLetter(c) {
		c ^= 0x20 // Caps Lock inverts the case of letters only
	}
	d.n++
	if !d.discard {
		d.keep(c)
	}
}

// keep adds c to the code: to buf while it has room, else past it,
// counted (spaces around the text first, MARK-FORMAT §1).
func (d *KeyDecoder) keep(c byte) {
	if d.sp == 0 && d.rest == 0 && len(d.buf) == d.maxLine() {
		// buf is full: the spaces it starts with are dropped, counted.
		k := 0
		for k < len(d.buf) && d.buf[k] == ' ' {
			k++
		}
		d.lead += k
		d.buf = d.buf[:copy(d.buf, d.buf[k:])]
	}
	switch {
	case d.sp != 0 || d.rest != 0 || len(d.buf) == d.maxLine():
		if d.rest == 0 && c == ' ' {
			d.sp++
		} else {
			d.rest++
		}
	case len(d.buf) == 0 && d.lead > 0 && c == ' ':
		d.lead++
	default:
		d.buf = append(d.buf, c)
	}
}

// line is the code typed: whole (N 0) up to MaxLine keys; past that, the
// text without the spaces around it when that fits (N 0, MARK-FORMAT §1),
// else its first MaxLine characters from the text (N its real length).
func (d *KeyDecoder) line() (text string, n int, wasDiscard bool) {
	switch {
	case d.n <= d.maxLine(): // (the spaces dropped before it are at most n)
		return StripAIM(strings.Repeat(" ", d.lead) + string(d.buf)), 0, d.discard
	case d.rest == 0:
		return StripAIM(strings.TrimSpace(string(d.buf))), 0, d.discard
	}
	return StripAIM(string(d.buf)), d.n, d.discard
}

// Expire drops a partial code that saw no key for Idle (default DefaultIdle).
func (d *KeyDecoder) Expire(now time.Time, out func(Frame)) {
	idle := d.Idle
	if idle <= 0 {
		idle = DefaultIdle
	}
	if d.n == 0 && !d.discard || now.Sub(d.lastKey) < idle {
		return
	}
	d.lost(out)
	n, wasDiscard := d.n, d.discard
	d.reset()
	if !wasDiscard {
		out(Frame{Kind: FrameIdle, N: n})
	}
}

func modifier(state uint8, right bool, value int32) uint8 {
	bit := uint8(1)
	if right {
		bit = 2
	}
	if value == keyRelease {
		return state &^ bit
	}
	return state | bit
}

// DecodeEvents reads a stream of input_event structs (a recorded file, a
// pipe, an evdev device) until it ends and passes the frames to out. A
// trailing partial event is reported as io.ErrUnexpectedEOF; the clock
// for idle drops comes from the event timestamps.
func DecodeEvents(r io.Reader, d *KeyDecoder, out func(Frame)) error {
	var b [InputEventSize]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read input events: %w", err)
		}
		e, _ := ParseInputEvent(b[:])
		at := time.Unix(e.Sec, e.Usec*1000)
		d.Expire(at, out)
		d.Event(e, at, out)
	}
}
