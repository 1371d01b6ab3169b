package scanner

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"markd/internal/testdata"
	"markd/mark"
	"markd/pipeline"
	"markd/verify"
)

// spaceMark is the shared vector the white-space tests wrap (an ACCEPT on
// the tests' default clock).
func spaceMark(t *testing.T) string {
	t.Helper()
	return testdata.VectorNamed(t, "valid registered letter").Text
}

// spaceLine is a line (terminator excluded) of a source in the white-space
// tests: a mark in more than 4 KiB of white space is the mark (MARK-FORMAT
// §1: "surrounding white space ... ignored"); one whose text is longer
// than 4096 bytes without it is cut as before.
type spaceLine struct {
	name, line string
	cut        bool // over-long: passed on cut with its real length
}

func spaceLines(good string) []spaceLine {
	sp := strings.Repeat(" ", 5000)
	return []spaceLine{
		{"5000 spaces after", good + sp, false},
		{"5000 spaces before", sp + good, false},
		{"5000 tabs around", strings.Repeat("\t", 5000) + good + strings.Repeat("\t", 5000), false},
		{"NBSP before, U+3000 after", strings.Repeat("\u00a0", 2500) + good + strings.Repeat("\u3000", 1700), false},
		{"U+3000 straddling the limit", good + strings.Repeat("\u3000", 1400) + " ", false},
		{"spaces, AIM prefix, spaces", sp + "]Q1" + good + sp, false},
		{"5000 spaces, then X", good + sp + "X", true},
	}
}

// judge is the record the pipeline makes of sc, on the tests' clock
// (Judge: the verdict, before reuse and storage).
func judge(t *testing.T, sc mark.Scan) mark.Record {
	t.Helper()
	p := pipeline.New(pipeline.Options{Verifier: verify.NewHolder(testdata.Verifier(t)), Office: 426000, Counter: "A",
		Location: time.UTC, RescanWindow: 10 * time.Minute, Now: testdata.Now})
	sc.At = testdata.Now()
	return p.Judge(sc)
}

// checkSpaceScan checks the scan a source made of l: the bare mark's
// record, or over-long as before (its first 4096 bytes, its length, and
// REJECT MALFORMED).
func checkSpaceScan(t *testing.T, l spaceLine, good string, sc mark.Scan) {
	t.Helper()
	bare := judge(t, mark.Scan{Text: good})
	rec := judge(t, sc)
	if l.cut {
		if sc.Length != len(l.line) || sc.Text != l.line[:DefaultMaxLine] ||
			rec.Verdict != mark.Reject || fmt.Sprint(rec.Reasons) != "[MALFORMED]" {
			t.Errorf("%s: scan of %d bytes, length %d, %s %v; want its first %d bytes, length %d, REJECT [MALFORMED]",
				l.name, len(sc.Text), sc.Length, rec.Verdict, rec.Reasons, DefaultMaxLine, len(l.line))
		}
		return
	}
	// (stdin leaves the AIM prefix to the decoder, as for any line)
	if strings.TrimPrefix(sc.Text, "]Q1") != good || sc.Length != 0 || rec.Verdict != bare.Verdict || fmt.Sprint(rec.Reasons) != fmt.Sprint(bare.Reasons) {
		t.Errorf("%s: scan %.20q… (%d bytes, length %d) %s %v; want the mark (%s %v)",
			l.name, sc.Text, len(sc.Text), sc.Length, rec.Verdict, rec.Reasons, bare.Verdict, bare.Reasons)
	}
}

// TestFramerWhiteSpace: the framer's size limit applies to the line's
// text without the white space around it; that white space past the limit
// is counted, not kept, and a character after it makes the line over-long
// as before (small max_line, the rules one by one).
func TestFramerWhiteSpace(t *testing.T) {
	tests := []struct {
		name   string
		term   string
		max    int
		chunks []string
		expire time.Duration
		want   []string
	}{
		{"spaces after", "", 5, []string{"ABC      ", "   \r"}, 0, []string{"ABC"}},
		{"spaces before", "", 5, []string{"      ", " ABCDE\r"}, 0, []string{"ABCDE"}},
		{"tabs, CR of CRLF", "", 5, []string{"\t\t\tAB\t\t\t\t\r\nOK\r\n"}, 0, []string{"AB", "OK"}},
		{"U+3000 straddling the limit", "", 4, []string{"ABC\u3000\u3000\r"}, 0, []string{"ABC"}},
		{"NBSP, U+2003 and NEL around", "", 4, []string{"\u00a0\u00a0\u0085AB\u2003", "\u2003\u00a0\n"}, 0, []string{"AB"}},
		{"white space then X: over-long as before", "", 5, []string{"ABC      X\r"}, 0, []string{"CUT:10:ABC  "}},
		{"a character straddling the limit: over-long", "", 4, []string{"ABC\u0416  \r"}, 0, []string{"CUT:7:ABC\xd0"}},
		{"an invalid byte inside the limit stays", "", 4, []string{"ABC\xe3    \r"}, 0, []string{"ABC\xe3"}},
		{"a character never whole past the limit: over-long", "", 4, []string{"ABCD \xe3\x80\r"}, 0, []string{"CUT:7:ABCD"}},
		{"spaces before a long text: cut from its text", "", 5, []string{"    ABCDEFG\r"}, 0, []string{"CUT:11:ABCDE"}},
		{"white space only over max_line: no line", "", 3, []string{"      \rOK\r"}, 0, []string{"OK"}},
		{"control bytes are not white space", "", 4, []string{"\x02AB   \x03\r"}, 0, []string{"CUT:7:AB "}},
		{"custom suffix in white space", "END", 3, []string{"AB      EN", "DX END"}, 0, []string{"AB", "X "}}, // "X ": not over max_line, as read
		{"CRLF suffix split after white space", "CRLF", 3, []string{"  AB  \r", "\n"}, 0, []string{"AB"}},
		{"a text in white space left without its end is dropped", "", 3, []string{"AB        "}, 2 * time.Second, []string{"IDLE:10"}},
		{"white space alone left without its end is dropped", "", 3, []string{"          "}, 2 * time.Second, []string{"IDLE:10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term, err := ParseTerminator(tt.term)
			if err != nil {
				t.Fatal(err)
			}
			if got := frames(NewFramer(term, tt.max, time.Second), tt.chunks, tt.expire); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFramerMarkInWhiteSpace: the shared vector in more than 4 KiB of white
// space, at the default max_line, in reads of 1000 bytes, is the mark;
// followed by X it is cut as before.
func TestFramerMarkInWhiteSpace(t *testing.T) {
	good := spaceMark(t)
	for _, term := range []string{"", "CRLF", "END"} {
		for _, l := range spaceLines(good) {
			t.Run(term+" "+l.name, func(t *testing.T) {
				tb, _ := ParseTerminator(term)
				end := string(tb)
				if tb == nil {
					end = "\r"
				}
				f := NewFramer(tb, 0, time.Second)
				var got []mark.Scan
				stream := l.line + end + "OK" + end
				for i := 0; i < len(stream); i += 1000 {
					f.Feed([]byte(stream[i:min(i+1000, len(stream))]), time.Unix(0, 0), func(fr Frame) {
						got = append(got, mark.Scan{Text: fr.Text, Length: fr.N})
					})
				}
				if len(got) != 2 || got[1].Text != "OK" {
					t.Fatalf("%d frames, want the line and OK", len(got))
				}
				checkSpaceScan(t, l, good, got[0])
			})
		}
	}
}

// TestFramerWhiteSpaceBounded: 10 MiB of white space around a mark is
// counted, not kept: the framer holds at most max_line plus the
// terminator plus utf8.UTFMax, and the line is the mark.
func TestFramerWhiteSpaceBounded(t *testing.T) {
	good := spaceMark(t)
	chunk := bytes.Repeat([]byte(" \t\u3000\u00a0"), 64<<10/8) // 64 KiB
	for _, term := range [][]byte{nil, []byte("\r\n"), []byte("END")} {
		f := NewFramer(term, 0, time.Second)
		var got []Frame
		out := func(fr Frame) { got = append(got, fr) }
		feed := func(p []byte) {
			f.Feed(p, time.Unix(0, 0), out)
			if f.Held() > DefaultMaxLine+len(term)+utf8.UTFMax {
				t.Fatalf("%q: holds %d bytes", term, f.Held())
			}
		}
		for i := 0; i < 80; i++ { // 5 MiB before
			feed(chunk)
		}
		feed([]byte(good))
		for i := 0; i < 80; i++ { // 5 MiB after
			feed(chunk)
		}
		end := term
		if end == nil {
			end = []byte("\n")
		}
		feed(end)
		if len(got) != 1 || got[0].Text != good || got[0].N != 0 {
			t.Fatalf("%q: %d frames, want the mark alone", term, len(got))
		}
	}
}

// TestReaderMarkInWhiteSpace: the stdin source, the lines of spaceLines
// and the mark past the 64 KiB it keeps of a line.
func TestReaderMarkInWhiteSpace(t *testing.T) {
	good := spaceMark(t)
	far := strings.Repeat(" ", maxStdinLine+5000)
	lines := append(spaceLines(good),
		spaceLine{"past the 64 KiB kept, spaces around", far + good + far, false},
		spaceLine{"past the 64 KiB kept, then X", good + far + "X", true})
	var in strings.Builder
	for i, l := range lines {
		in.WriteString(l.line + []string{"\n", "\r\n", "\r"}[i%3])
	}
	var got []mark.Scan
	err := NewReader("in", strings.NewReader(in.String()), testdata.Now).Serve(context.Background(), func(s mark.Scan) { got = append(got, s) })
	if err != nil || len(got) != len(lines) {
		t.Fatalf("%d scans, %v; want %d", len(got), err, len(lines))
	}
	for i, l := range lines {
		if l.cut && len(l.line) > maxStdinLine { // kept 64 KiB of it, as before
			if got[i].Length != len(l.line) || got[i].Text != l.line[:maxStdinLine] {
				t.Errorf("%s: %d bytes, length %d", l.name, len(got[i].Text), got[i].Length)
			}
			continue
		}
		if l.cut { // kept whole, as before: the pipeline cuts it
			if got[i].Text != l.line || got[i].Length != 0 {
				t.Errorf("%s: %d bytes, length %d", l.name, len(got[i].Text), got[i].Length)
			}
			if rec := judge(t, got[i]); rec.Verdict != mark.Reject || fmt.Sprint(rec.Reasons) != "[MALFORMED]" {
				t.Errorf("%s: %s %v, want REJECT [MALFORMED]", l.name, rec.Verdict, rec.Reasons)
			}
			continue
		}
		checkSpaceScan(t, l, good, got[i])
	}
}

// TestKeyDecoderWhiteSpace: the keyboard wedge's limit applies to the code
// without the spaces around it (the only white space a key types), with
// Backspace across those spaces; a key after them is over-long as before.
func TestKeyDecoderWhiteSpace(t *testing.T) {
	bs := func(r *recorder, n int) {
		for range n {
			r.key(KeyBackspace)
		}
	}
	tests := []struct {
		name  string
		build func(t *testing.T, r *recorder)
		want  []string
	}{
		{"spaces after", func(t *testing.T, r *recorder) { r.line(t, "ABC        ") }, []string{"ABC"}},
		{"spaces before", func(t *testing.T, r *recorder) { r.line(t, "        ABCDE") }, []string{"ABCDE"}},
		{"spaces, then X: over-long as before", func(t *testing.T, r *recorder) { r.line(t, "ABC      X") }, []string{"CUT:10:ABC  "}},
		{"X taken back: fits again", func(t *testing.T, r *recorder) { r.text(t, "ABC      X"); bs(r, 1); r.key(KeyEnter) }, []string{"ABC"}},
		{"spaces taken back into the code", func(t *testing.T, r *recorder) { r.text(t, "    ABC "); bs(r, 5); r.line(t, "D") }, []string{"   D"}},
		{"spaces before a long code: cut from its text", func(t *testing.T, r *recorder) { r.line(t, "    ABCDEFG") }, []string{"CUT:11:ABCDE"}},
		{"spaces only: no code", func(t *testing.T, r *recorder) { r.line(t, "         "); r.line(t, "OK") }, []string{"OK"}},
		{"exactly max_line, as typed", func(t *testing.T, r *recorder) { r.line(t, " AB  ") }, []string{" AB  "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder()
			tt.build(t, r)
			if got := decodeAll(t, r.buf, 5); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	// The shared vector in 5000 spaces, at the default max_line.
	good := spaceMark(t)
	sp := strings.Repeat(" ", 5000)
	r := newRecorder()
	r.line(t, sp+good+sp)
	r.line(t, good+sp+"X")
	got := decodeAll(t, r.buf, 0)
	if len(got) != 2 || got[0] != good || got[1] != fmt.Sprintf("CUT:%d:%s", len(good)+5001, (good + sp)[:DefaultMaxLine]) {
		t.Fatalf("got %d codes: %.40q", len(got), got)
	}
}

// TestFramerRawLimit: a framer for lines that are no marks (the scale's
// readings) applies max_line to the whole line, white space included.
func TestFramerRawLimit(t *testing.T) {
	f := NewFramer(nil, 5, time.Second)
	f.RawLimit = true
	if got := frames(f, []string{"AB      \r", "AB \r"}, 0); strings.Join(got, "|") != "CUT:8:AB   |AB " {
		t.Fatalf("got %q", got)
	}
}
