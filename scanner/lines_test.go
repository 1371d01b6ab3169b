package scanner

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// frames feeds chunks one by one (each 1 ms after the previous) and returns
// the frames as short strings: the line text, "CUT:n:text" for a line over
// MaxLine (n its real length) or "IDLE:n".
func frames(f *Framer, chunks []string, expireAt time.Duration) []string {
	var got []string
	out := func(fr Frame) {
		switch fr.Kind {
		case FrameLine:
			if fr.N > 0 {
				got = append(got, fmt.Sprintf("CUT:%d:%s", fr.N, fr.Text))
				break
			}
			got = append(got, fr.Text)
		case FrameIdle:
			got = append(got, fmt.Sprintf("IDLE:%d", fr.N))
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	for _, c := range chunks {
		now = now.Add(time.Millisecond)
		f.Feed([]byte(c), now, out)
		f.Expire(now, out)
	}
	if expireAt > 0 {
		f.Expire(now.Add(expireAt), out)
	}
	return got
}

func TestFramer(t *testing.T) {
	tests := []struct {
		name   string
		term   string
		max    int
		chunks []string
		expire time.Duration // extra Expire call this long after the last chunk
		want   []string
	}{
		{"cr only", "", 0, []string{"A\rB\r"}, 0, []string{"A", "B"}},
		{"lf only", "", 0, []string{"A\nB\n"}, 0, []string{"A", "B"}},
		{"crlf once", "", 0, []string{"A\r\nB\r\n"}, 0, []string{"A", "B"}},
		{"crlf split across writes", "", 0, []string{"A\r", "\nB\r", "\n"}, 0, []string{"A", "B"}},
		{"split writes", "", 0, []string{"EP", "M1:", "XYZ", "\r"}, 0, []string{"EPM1:XYZ"}},
		{"lfcr is two terminators, empty skipped", "", 0, []string{"A\n\rB\n"}, 0, []string{"A", "B"}},
		{"blank lines skipped", "", 0, []string{"\r\n\r\n\rA\r\n"}, 0, []string{"A"}},
		{"noise bytes removed", "", 0, []string{"\x00\x02EPM1:\x11AB\x03\x7f\r"}, 0, []string{"EPM1:AB"}},
		{"aim prefix stripped", "", 0, []string{"]Q1EPM1:AB\r"}, 0, []string{"EPM1:AB"}},
		{"aim of another symbology kept (MARK-FORMAT §1: only ]Q1..]Q6)", "", 0, []string{"]dAXY\r", "]Q7XY\r"}, 0, []string{"]dAXY", "]Q7XY"}},
		{"not aim", "", 0, []string{"]1QXY\r", "]Q\r"}, 0, []string{"]1QXY", "]Q"}},
		{"aim after noise", "", 0, []string{"\x02]Q1AB\r"}, 0, []string{"AB"}},
		{"too long cut then resync", "", 5, []string{"ABCDEFGH", "IJ\rOK\r"}, 0, []string{"CUT:10:ABCDE", "OK"}},
		{"exactly max", "", 5, []string{"ABCDE\rABCDEF\rX\r"}, 0, []string{"ABCDE", "CUT:6:ABCDE", "X"}},
		{"too long with crlf", "", 3, []string{"ABCDEF\r\nGO\r\n"}, 0, []string{"CUT:6:ABC", "GO"}},
		{"too long lf", "", 3, []string{"ABCD\nEFGHIJ", "K\n"}, 0, []string{"CUT:4:ABC", "CUT:7:EFG"}},
		{"cut line cleaned after the cut", "", 6, []string{"]Q1\x00ABCDEFGH\r"}, 0, []string{"CUT:12:AB"}},
		{"cut line of noise only skipped", "", 2, []string{"\x00\x01\x02\x03\rOK\r"}, 0, []string{"OK"}},
		{"custom suffix", "#", 0, []string{"A\rB#C", "D#"}, 0, []string{"AB", "CD"}},
		{"custom crlf ignores lone cr", "CRLF", 0, []string{"A\rB\r", "\nC\r\n"}, 0, []string{"AB", "C"}},
		{"custom lf", "LF", 0, []string{"A\rB\nC\n"}, 0, []string{"AB", "C"}},
		{"escaped etx", `\x03`, 0, []string{"\x02AB\x03\x02CD\x03"}, 0, []string{"AB", "CD"}},
		{"multi-byte suffix split", "END", 0, []string{"ABE", "N", "DCDEN", "D"}, 0, []string{"AB", "CD"}},
		{"multi-byte suffix near max", "END", 3, []string{"ABCEND", "ABCDEND", "XEND"}, 0, []string{"ABC", "CUT:4:ABC", "X"}},
		{"too long custom resync split term", "END", 2, []string{"ABCDEFEN", "DOKEND"}, 0, []string{"CUT:6:AB", "OK"}},
		{"too long custom term straddles the cut", "END", 3, []string{"ABCDE", "NDX", "END"}, 0, []string{"CUT:4:ABC", "X"}},
		{"too long custom partial terminators inside", "##", 2, []string{"A#B#C#", "#"}, 0, []string{"CUT:5:A#"}},
		{"idle partial dropped", "", 0, []string{"EPM1:PART"}, 2 * time.Second, []string{"IDLE:9"}},
		{"idle not yet", "", 0, []string{"EPM1:PART"}, 500 * time.Millisecond, nil},
		{"idle then next line clean", "", 0, []string{"PART"}, 2 * time.Second, []string{"IDLE:4"}},
		{"crlf scanner on cr: the stray lf is no partial line", "CR", 0, []string{"A\r\n"}, 2 * time.Second, []string{"A"}},
		{"crlf scanner on cr: lines clean", "CR", 0, []string{"A\r\nB\r", "\nC\r\n"}, 2 * time.Second, []string{"A", "B", "C"}},
		{"lfcr scanner on lf: the stray cr is no partial line", "LF", 0, []string{"A\n\r"}, 2 * time.Second, []string{"A"}},
		{"crlf after a custom suffix is no partial line", `\x03`, 0, []string{"\x02A\x03\r\n"}, 2 * time.Second, []string{"A"}},
		{"noise alone is no partial line", "", 0, []string{"\x00\x11"}, 2 * time.Second, nil},
		{"an aim prefix alone is a partial line", "", 0, []string{"]Q1"}, 2 * time.Second, []string{"IDLE:3"}},
		{"idle drops an over-long partial line", "", 3, []string{"ABCDEFG"}, 2 * time.Second, []string{"IDLE:7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term, err := ParseTerminator(tt.term)
			if err != nil {
				t.Fatal(err)
			}
			f := NewFramer(term, tt.max, time.Second)
			got := frames(f, tt.chunks, tt.expire)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFramerAfterIdleAndDiscard(t *testing.T) {
	f := NewFramer(nil, 3, time.Second)
	got := frames(f, []string{"ABCDEFG"}, 2*time.Second)
	// After the idle reset the framer is clean: a new line comes through.
	got = append(got, frames(f, []string{"OK\r"}, 0)...)
	want := "IDLE:7|OK"
	if strings.Join(got, "|") != want {
		t.Fatalf("got %q, want %s", got, want)
	}
	if f.Pending() {
		t.Fatal("framer still pending after a complete line")
	}
}

func TestParseTerminator(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{"", nil, false},
		{"cr", []byte("\r"), false},
		{"LF", []byte("\n"), false},
		{"CrLf", []byte("\r\n"), false},
		{`\x03`, []byte{3}, false},
		{`\r\n`, []byte("\r\n"), false},
		{"#", []byte("#"), false},
		{`\q`, nil, true},
		{`\x0`, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseTerminator(tt.in)
		if (err != nil) != tt.wantErr {
			t.Fatalf("ParseTerminator(%q) err = %v", tt.in, err)
		}
		if !bytes.Equal(got, tt.want) {
			t.Fatalf("ParseTerminator(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripAIM(t *testing.T) {
	tests := map[string]string{
		"]Q1EPM1:A": "EPM1:A", "]Q6EPM1:A": "EPM1:A", "]C0123": "]C0123", "]E4X": "]E4X", "EPM1:A": "EPM1:A",
		"]Q": "]Q", "]": "]", "": "", "]Q1": "", "]!1X": "]!1X", "]Q0X": "]Q0X", "]Q7X": "]Q7X", "]q1X": "]q1X", "]d2X": "]d2X",
	}
	for in, want := range tests {
		if got := StripAIM(in); got != want {
			t.Errorf("StripAIM(%q) = %q, want %q", in, got, want)
		}
	}
}

// refLines is what the framer must emit for a whole stream, computed the
// plain way: split at every terminator, cut each line at maxLine, clean it.
func refLines(data, term []byte, maxLine int) []Frame {
	var lines [][]byte
	if term == nil {
		lines = bytes.FieldsFunc(data, func(r rune) bool { return r == '\r' || r == '\n' })
		if n := len(data); n > 0 && data[n-1] != '\r' && data[n-1] != '\n' && len(lines) > 0 {
			lines = lines[:len(lines)-1] // no terminator yet
		}
	} else {
		lines = bytes.Split(data, term)
		lines = lines[:len(lines)-1]
	}
	var out []Frame
	for _, l := range lines {
		fr := Frame{Kind: FrameLine, Text: cleanLine(l)}
		if len(l) > maxLine {
			fr = refLong(l, maxLine)
		}
		if fr.Text != "" {
			out = append(out, fr)
		}
	}
	return out
}

// refLong is the frame of a line over maxLine bytes: its text from the
// first to the last character that is not white space
// (decoded as utf8.DecodeRune does), trimmed, when that is at most maxLine
// bytes; else the first maxLine bytes from that first character, cut,
// with the line's real length.
func refLong(l []byte, maxLine int) Frame {
	s, e := -1, -1
	for i := 0; i < len(l); {
		r, size := utf8.DecodeRune(l[i:])
		if !unicode.IsSpace(r) {
			if s < 0 {
				s = i
			}
			e = i + size
		}
		i += size
	}
	if s < 0 {
		return Frame{Kind: FrameLine}
	}
	if e-s <= maxLine {
		return Frame{Kind: FrameLine, Text: StripAIM(strings.TrimSpace(cleanBytes(l[s:e])))}
	}
	return Frame{Kind: FrameLine, Text: cleanLine(l[s : s+maxLine]), N: len(l)}
}

// FuzzFramer checks the framer against refLines on arbitrary byte streams
// cut at arbitrary points: the same lines whatever the split, none empty,
// longer than MaxLine or with a control byte, a cut line's real length,
// and the framer never holds more than MaxLine plus the terminator.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("EPM1:AB\r\nCD\rEF\n"), uint8(3), uint8(8), "")
	f.Add([]byte("\x02]Q1AB\x03\x02CD\x03"), uint8(1), uint8(4), `\x03`)
	f.Add([]byte("ABCDEFGHIJ\rK\r"), uint8(5), uint8(4), "CRLF")
	f.Add([]byte("xENDyEN"), uint8(2), uint8(2), "END")
	f.Add([]byte("ABCDENDXEND"), uint8(4), uint8(2), "END")
	f.Add([]byte("A#B#C##"), uint8(1), uint8(1), "##")
	f.Add(bytes.Repeat([]byte("0123456789"), 100), uint8(7), uint8(9), "")
	f.Add([]byte("  AB\u3000\u3000 \t\u00a0\r AB  \u3000\u3000  X\n\xe3\x80 AB\xe3\x80\x80\xe3\x80\x80\n"), uint8(3), uint8(3), "")
	f.Add([]byte("\x02  AB \u2003\u2003 \x03\r\n \u3000AB#  \xc2\x01\xa0A\r\n"), uint8(5), uint8(4), "CRLF")
	f.Fuzz(func(t *testing.T, data []byte, cut uint8, max uint8, termSpec string) {
		term, err := ParseTerminator(termSpec)
		if err != nil || len(term) > 8 {
			return
		}
		maxLine := int(max%64) + 1
		run := func(step int) []Frame {
			fr := NewFramer(term, maxLine, time.Second)
			var got []Frame
			now := time.Unix(0, 0)
			for i := 0; i < len(data); i += step {
				j := min(i+step, len(data))
				fr.Feed(data[i:j], now, func(x Frame) { got = append(got, x) })
				if fr.Held() > maxLine+len(term)+utf8.UTFMax {
					t.Fatalf("framer holds %d bytes, max_line %d", fr.Held(), maxLine)
				}
			}
			return got
		}
		whole := run(len(data) + 1)
		split := run(int(cut%16) + 1)
		want := refLines(data, term, maxLine)
		if fmt.Sprint(whole) != fmt.Sprint(split) {
			t.Fatalf("frames differ by split: %v vs %v", whole, split)
		}
		if fmt.Sprint(whole) != fmt.Sprint(want) {
			t.Fatalf("frames %+v, want %+v", whole, want)
		}
		for _, fr := range whole {
			if fr.Kind != FrameLine || fr.Text == "" || len(fr.Text) > maxLine || fr.N != 0 && fr.N <= maxLine {
				t.Fatalf("bad frame %+v (max %d)", fr, maxLine)
			}
			for _, c := range []byte(fr.Text) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("control byte in %q", fr.Text)
				}
			}
		}
	})
}

// TestFramerBounded: megabytes without a terminator are counted, not kept.
func TestFramerBounded(t *testing.T) {
	for _, term := range [][]byte{nil, []byte("\r\n"), []byte("END")} {
		f := NewFramer(term, 0, time.Second)
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
		var got []Frame
		out := func(fr Frame) { got = append(got, fr) }
		for i := 0; i < 160; i++ { // 10 MiB
			f.Feed(chunk, time.Unix(0, 0), out)
			if f.Held() > DefaultMaxLine+len(term)+utf8.UTFMax {
				t.Fatalf("%q: holds %d bytes after %d KiB", term, f.Held(), (i+1)*64)
			}
		}
		end := term
		if end == nil {
			end = []byte("\n")
		}
		f.Feed(end, time.Unix(0, 0), out)
		if len(got) != 1 || got[0].N != 160*len(chunk) || got[0].Text != string(chunk[:DefaultMaxLine]) {
			t.Fatalf("%q: %d frames, first N=%d", term, len(got), got[0].N)
		}
	}
}
