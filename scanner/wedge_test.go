package scanner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keyOf is the reverse of usKeys for the main block (not the keypad).
func keyOf(c byte) (code uint16, shift, ok bool) {
	for k, v := range usKeys {
		if k >= 55 && k != 57 {
			continue // keypad and '*': the main block has them too
		}
		if v[0] == c {
			return k, false, true
		}
		if v[1] == c {
			return k, true, true
		}
	}
	return 0, false, false
}

// recorder builds an input_event byte stream like a wedge scanner sends:
// Shift down/up around shifted keys, a SYN after each change, 1 ms apart.
type recorder struct {
	buf []byte
	t   time.Time
}

func (r *recorder) ev(typ, code uint16, val int32) {
	r.t = r.t.Add(time.Millisecond)
	r.buf = AppendInputEvent(r.buf, InputEvent{Sec: r.t.Unix(), Usec: int64(r.t.Nanosecond() / 1000), Type: typ, Code: code, Value: val})
	if typ == EvKey {
		r.buf = AppendInputEvent(r.buf, InputEvent{Sec: r.t.Unix(), Usec: int64(r.t.Nanosecond() / 1000), Type: EvSyn})
	}
}

func (r *recorder) key(code uint16) { r.ev(EvKey, code, 1); r.ev(EvKey, code, 0) }

func (r *recorder) text(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		code, shift, ok := keyOf(s[i])
		if !ok {
			t.Fatalf("no key for %q", s[i])
		}
		if shift {
			r.ev(EvKey, KeyLeftShift, 1)
		}
		r.key(code)
		if shift {
			r.ev(EvKey, KeyLeftShift, 0)
		}
	}
}

func (r *recorder) line(t *testing.T, s string) { r.text(t, s); r.key(KeyEnter) }

func newRecorder() *recorder { return &recorder{t: time.Unix(1_700_000_000, 0)} }

func decodeAll(t *testing.T, stream []byte, max int) []string {
	t.Helper()
	var got []string
	d := &KeyDecoder{MaxLine: max, Idle: time.Second}
	err := DecodeEvents(bytes.NewReader(stream), d, func(f Frame) {
		switch f.Kind {
		case FrameLine:
			if f.N > 0 {
				got = append(got, fmt.Sprintf("CUT:%d:%s", f.N, f.Text))
				break
			}
			got = append(got, f.Text)
		case FrameIdle:
			got = append(got, "IDLE")
		case FrameLost:
			got = append(got, "LOST")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

const epm = "EPM1:AEAQAAIAAAAADJZRM4SAAD2TQEBAAAAUAAACSBAAA2ABAJS4E24AAABGX2K54ELPBNXSU7OVUG2IXVMACZRSGQV6GKCKKDIO37TC7ITY72H2G3FGHQ6W6K5YEB7TSTKLRCP3444OES37FYQYJU4KIHYS6QAWZWKZYJ3KGAY"

func TestKeyDecoder(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T, r *recorder)
		max   int
		want  []string
	}{
		{"mark with shift", func(t *testing.T, r *recorder) { r.line(t, epm) }, 0, []string{epm}},
		{"all printable", func(t *testing.T, r *recorder) { r.line(t, "aZ09!@#$%^&*()_+-=[]{};:'\",.<>/?`~\\| ") }, 0,
			[]string{"aZ09!@#$%^&*()_+-=[]{};:'\",.<>/?`~\\| "}},
		{"right shift", func(t *testing.T, r *recorder) {
			r.ev(EvKey, KeyRightShift, 1)
			r.key(18)
			r.ev(EvKey, KeyRightShift, 0)
			r.key(18)
			r.key(KeyEnter)
		}, 0, []string{"Ee"}},
		{"caps lock letters only", func(t *testing.T, r *recorder) {
			r.key(KeyCapsLock)
			r.text(t, "epm1")
			r.ev(EvKey, KeyLeftShift, 1)
			r.key(39)
			r.key(18)
			r.ev(EvKey, KeyLeftShift, 0)
			r.key(KeyCapsLock)
			r.text(t, "x")
			r.key(KeyKPEnter)
		}, 0, []string{"EPM1:ex"}},
		{"caps lock held: its auto-repeat does not turn it again", func(t *testing.T, r *recorder) {
			r.ev(EvKey, KeyCapsLock, 1)
			r.ev(EvKey, KeyCapsLock, 2)
			r.ev(EvKey, KeyCapsLock, 2)
			r.ev(EvKey, KeyCapsLock, 2)
			r.ev(EvKey, KeyCapsLock, 0)
			r.text(t, "epm1")
			r.key(KeyEnter)
		}, 0, []string{"EPM1"}},
		{"unknown keys ignored", func(t *testing.T, r *recorder) {
			r.text(t, "A")
			r.key(59)  // F1
			r.key(183) // F13
			r.ev(EvKey, KeyLeftCtrl, 1)
			r.key(46) // Ctrl+C
			r.ev(EvKey, KeyLeftCtrl, 0)
			r.ev(0x02, 0, 5) // EV_REL noise
			r.text(t, "B")
			r.key(KeyEnter)
		}, 0, []string{"AB"}},
		{"keypad digits", func(t *testing.T, r *recorder) {
			for _, c := range []uint16{79, 80, 81, 82} {
				r.key(c)
			}
			r.key(KeyKPEnter)
		}, 0, []string{"1230"}},
		{"backspace, esc, tab, autorepeat", func(t *testing.T, r *recorder) {
			r.text(t, "AX")
			r.key(KeyBackspace)
			r.key(KeyTab)
			r.key(KeyEsc)
			r.ev(EvKey, 48, 1)
			r.ev(EvKey, 48, 2)
			r.ev(EvKey, 48, 0)
			r.key(KeyEnter)
		}, 0, []string{"Abb"}},
		{"empty enter skipped, aim stripped", func(t *testing.T, r *recorder) {
			r.key(KeyEnter)
			r.line(t, "]Q1EPM1:X")
		}, 0, []string{"EPM1:X"}},
		{"too long cut then resync", func(t *testing.T, r *recorder) {
			r.line(t, "ABCDEFGH")
			r.line(t, "OK")
		}, 4, []string{"CUT:8:ABCD", "OK"}},
		{"exactly max is whole", func(t *testing.T, r *recorder) { r.line(t, "ABCD") }, 4, []string{"ABCD"}},
		{"backspace over the cut", func(t *testing.T, r *recorder) {
			r.text(t, "ABCDEF")
			r.key(KeyBackspace)
			r.key(KeyBackspace)
			r.key(KeyBackspace)
			r.text(t, "XY")
			r.key(KeyEnter)
		}, 4, []string{"CUT:5:ABCX"}},
		{"aim prefix of a cut code", func(t *testing.T, r *recorder) { r.line(t, "]Q1ABCDEFG") }, 5, []string{"CUT:10:AB"}},
		{"idle drops an over-long partial code", func(t *testing.T, r *recorder) {
			r.text(t, "ABCDEFGH")
			r.t = r.t.Add(5 * time.Second)
			r.line(t, "NEXT")
		}, 4, []string{"IDLE", "NEXT"}},
		{"syn dropped mid-code", func(t *testing.T, r *recorder) {
			r.text(t, "EPM1:AB")
			r.ev(EvSyn, SynDropped, 0)
			r.text(t, "CD")
			r.key(KeyEnter)
			r.line(t, "AGAIN")
		}, 0, []string{"LOST", "AGAIN"}},
		{"syn dropped between codes: the next code is dropped and said so", func(t *testing.T, r *recorder) {
			r.line(t, "ONE")
			r.ev(EvSyn, SynDropped, 0)
			r.line(t, "TWO")
			r.line(t, "THREE")
		}, 0, []string{"ONE", "LOST", "THREE"}},
		{"syn dropped twice in a code: said once", func(t *testing.T, r *recorder) {
			r.text(t, "AB")
			r.ev(EvSyn, SynDropped, 0)
			r.text(t, "CD")
			r.ev(EvSyn, SynDropped, 0)
			r.line(t, "EF")
			r.line(t, "OK")
		}, 0, []string{"LOST", "OK"}},
		{"syn dropped then only releases: nothing to say", func(t *testing.T, r *recorder) {
			r.line(t, "ONE")
			r.ev(EvSyn, SynDropped, 0)
			r.ev(EvKey, KeyLeftShift, 0)
			r.key(KeyEnter)
			r.line(t, "TWO")
		}, 0, []string{"ONE", "TWO"}},
		{"syn dropped, then the code idles out: said once", func(t *testing.T, r *recorder) {
			r.ev(EvSyn, SynDropped, 0)
			r.text(t, "PART")
			r.t = r.t.Add(5 * time.Second)
			r.line(t, "NEXT")
		}, 0, []string{"LOST", "NEXT"}},
		{"idle partial dropped", func(t *testing.T, r *recorder) {
			r.text(t, "PART")
			r.t = r.t.Add(5 * time.Second)
			r.line(t, "NEXT")
		}, 0, []string{"IDLE", "NEXT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder()
			tt.build(t, r)
			got := decodeAll(t, r.buf, tt.max)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeEventsFromFile(t *testing.T) {
	r := newRecorder()
	r.line(t, epm)
	r.line(t, "SECOND")
	path := filepath.Join(t.TempDir(), "events.bin")
	if err := os.WriteFile(path, append(r.buf, 1, 2, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	err = DecodeEvents(f, &KeyDecoder{}, func(fr Frame) { got = append(got, fr.Text) })
	if err == nil {
		t.Fatal("trailing partial event not reported")
	}
	if strings.Join(got, "|") != epm+"|SECOND" {
		t.Fatalf("got %q", got)
	}
}

func TestInputEventRoundTrip(t *testing.T) {
	e := InputEvent{Sec: 1_700_000_000, Usec: 999_999, Type: EvKey, Code: KeyLeftShift, Value: -1}
	b := AppendInputEvent(nil, e)
	if len(b) != InputEventSize {
		t.Fatalf("size %d", len(b))
	}
	got, err := ParseInputEvent(b)
	if err != nil || got != e {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if _, err := ParseInputEvent(b[:23]); err == nil {
		t.Fatal("short event accepted")
	}
}

// FuzzInputEvents: any byte stream decodes without panic; lines are
// non-empty, bounded and free of control bytes; events round-trip.
func FuzzInputEvents(f *testing.F) {
	r := newRecorder()
	r.ev(EvKey, KeyLeftShift, 1)
	r.key(18)
	r.ev(EvKey, KeyLeftShift, 0)
	r.key(KeyEnter)
	f.Add(r.buf)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &KeyDecoder{MaxLine: 32}
		_ = DecodeEvents(bytes.NewReader(data), d, func(fr Frame) {
			if d.Held() > 32 {
				t.Fatalf("decoder holds %d characters", d.Held())
			}
			if fr.Kind != FrameLine {
				return
			}
			if fr.Text == "" || len(fr.Text) > 32 || fr.N != 0 && fr.N <= 32 {
				t.Fatalf("bad line %+v", fr)
			}
			for _, c := range []byte(fr.Text) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("control byte in %q", fr.Text)
				}
			}
		})
		if len(data) >= InputEventSize {
			e, err := ParseInputEvent(data[:InputEventSize])
			if err != nil || !bytes.Equal(AppendInputEvent(nil, e), data[:InputEventSize]) {
				t.Fatalf("event does not round-trip: %v", err)
			}
		}
	})
}
