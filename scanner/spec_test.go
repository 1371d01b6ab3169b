package scanner

import (
	"testing"
	"time"

	"markd/decode"
	"markd/internal/testdata"
	"markd/mark"
)

// Tests that hold the sources to MARK-FORMAT §1 with marks made for them:
// what a scanner's line becomes must be judged as the spec judges the
// text the scanner read.

const b32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// specMarks signs marks with the test issuer key until their base32
// payloads hold every character of the alphabet, and returns them with
// the context they are accepted in.
func specMarks(t *testing.T) ([]string, mark.Context) {
	t.Helper()
	sign := testdata.Signer(t)
	day, err := mark.ParseDay("2026-11-25")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	seen := map[rune]bool{}
	for serial := uint64(9_100_000_001); len(seen) < len(b32Alphabet); serial++ {
		if serial > 9_100_000_050 {
			t.Fatalf("50 marks hold only %d of the 32 base32 characters", len(seen))
		}
		text := sign(testdata.ValidMark(serial, day))
		texts = append(texts, text)
		for _, c := range text[len(mark.Prefix):] {
			seen[c] = true
		}
	}
	return texts, mark.Context{Office: 426000, Date: day}
}

// judgeAs checks that text, as a source passed it on, is judged want, and
// that an ACCEPT is the mark that was meant.
func judgeAs(t *testing.T, what, text, meant string, c mark.Context, want mark.Verdict) {
	t.Helper()
	v := testdata.Verifier(t)
	res := v.Verify(text, c)
	if res.Verdict != want {
		t.Errorf("%s: %q judged %s %v, want %s", what, text, res.Verdict, res.Reasons, want)
		return
	}
	if want != mark.Accept {
		return
	}
	mb, _, _ := decode.Text(meant)
	gb, _, _ := decode.Text(text)
	if mb != gb {
		t.Errorf("%s: %q is another mark than %q", what, text, meant)
	}
}

// TestSourcesAIMPrefixAsSpec: §1 strips an AIM symbology prefix ]Q1..]Q6
// (QR code) before EPM1:; anything else before EPM1: means the text does
// not start with it: NOT_A_MARK (§7 step 1). The serial framer and the
// keyboard wedge must pass the scanner's line on so that this holds.
func TestSourcesAIMPrefixAsSpec(t *testing.T) {
	texts, c := specMarks(t)
	good := texts[0]
	cases := map[string]mark.Verdict{
		"]Q1": mark.Accept, "]Q2": mark.Accept, "]Q3": mark.Accept,
		"]Q4": mark.Accept, "]Q5": mark.Accept, "]Q6": mark.Accept,
		"]Q0": mark.NotAMark, "]Q7": mark.NotAMark, "]q1": mark.NotAMark,
		"]C1": mark.NotAMark, "]d2": mark.NotAMark, "]E0": mark.NotAMark, "]QA": mark.NotAMark,
	}
	for prefix, want := range cases {
		// serial (and every framed source)
		f := NewFramer(nil, DefaultMaxLine, time.Second)
		var lines []string
		f.Feed([]byte(prefix+good+"\r\n"), time.Unix(0, 0), func(fr Frame) { lines = append(lines, fr.Text) })
		if len(lines) != 1 {
			t.Fatalf("framer %s: %d lines", prefix, len(lines))
		}
		judgeAs(t, "serial "+prefix, lines[0], good, c, want)

		// keyboard wedge (evdev)
		r := newRecorder()
		r.line(t, prefix+good)
		got := decodeAll(t, r.buf, 0)
		if len(got) != 1 {
			t.Fatalf("wedge %s: %q", prefix, got)
		}
		judgeAs(t, "wedge "+prefix, got[0], good, c, want)
	}
}

// TestScaleAboveDeclaredAsSpec: §4 "a measured weight above weight_g is
// OVERWEIGHT". A mark paid for 20 g with the scale reading a fraction of
// a gram more is above it; the same reading at or under 20 g is not.
func TestScaleAboveDeclaredAsSpec(t *testing.T) {
	texts, c := specMarks(t)
	p, err := NewScaleParser("", "")
	if err != nil {
		t.Fatal(err)
	}
	v := testdata.Verifier(t)
	for line, over := range map[string]bool{
		"ST,GS,   0.019kg": false, "ST,GS,   0.0199kg": false, "ST,GS,   0.020kg": false,
		"ST,GS,   0.0200kg": false, "ST,GS,   0.0201kg": true, "ST,GS,   0.0204kg": true,
		"ST,GS,   0.0205kg": true, "ST,GS,   0.021kg": true, "ST,GS,   0.020001kg": true,
	} {
		g, err := p.Parse(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		cx := c
		cx.MeasuredWeightG = g
		res := v.Verify(texts[0], cx) // declared weight_g 20
		got := len(res.Reasons) == 1 && res.Reasons[0] == mark.ReasonOverweight
		if got != over || (!over && res.Verdict != mark.Accept) {
			t.Errorf("scale %q (%d g) on a 20 g mark: %s %v, want OVERWEIGHT %v", line, g, res.Verdict, res.Reasons, over)
		}
	}
}
