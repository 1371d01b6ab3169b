package textline

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// refFit is what ReadFit must return for the line l (no '\n'): l whole
// up to keep bytes; past that, its text from the first to the last
// character that is not white space (decoded as utf8.DecodeRune does),
// when that is at most limit bytes; else its first keep bytes, not whole.
func refFit(l string, keep, limit int) (string, bool) {
	if len(l) <= keep {
		return l, true
	}
	s, e := -1, -1
	for i := 0; i < len(l); {
		r, size := utf8.DecodeRuneInString(l[i:])
		if !unicode.IsSpace(r) {
			if s < 0 {
				s = i
			}
			e = i + size
		}
		i += size
	}
	if s < 0 {
		return "", true
	}
	if e-s <= limit {
		return strings.TrimSpace(l[s:e]), true
	}
	return l[:keep], false
}

// TestReadFit: a line over keep bytes is its text when that, without the
// white space around it (spaces, tabs, CR, NBSP, U+3000...), fits limit;
// white space followed by more text is over-long as Read has it.
func TestReadFit(t *testing.T) {
	const keep, limit = 4097, 4096
	mark := "EPM1:" + strings.Repeat("A", 167)
	sp := strings.Repeat(" ", 5000)
	tests := []struct {
		name, line, want string
		whole            bool
	}{
		{"short, as read", "  " + mark + " \r", "  " + mark + " \r", true},
		{"5000 spaces after", mark + sp, mark, true},
		{"5000 spaces before", sp + mark, mark, true},
		{"tabs and CR", strings.Repeat("\t", 5000) + mark + strings.Repeat("\t", 5000) + "\r", mark, true},
		{"NBSP and U+3000", strings.Repeat("\u00a0", 2500) + mark + strings.Repeat("\u3000", 1700), mark, true},
		{"a megabyte of spaces", mark + strings.Repeat(" ", 1<<20), mark, true},
		{"exactly the limit in spaces", sp + strings.Repeat("B", limit) + sp, strings.Repeat("B", limit), true},
		{"only white space", sp, "", true},
		{"5000 spaces, then X", mark + sp + "X", (mark + sp)[:keep], false},
		{"one byte over in spaces", sp + strings.Repeat("B", limit+1) + sp, sp[:keep], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tt.line+"\n"+mark), 16)
			got, n, whole, err := ReadFit(r, keep, limit)
			if err != nil || got != tt.want || n != len(tt.line) || whole != tt.whole {
				t.Fatalf("%q… (%d bytes), length %d, whole %v, %v; want %d bytes, length %d, whole %v",
					got[:min(len(got), 20)], len(got), n, whole, err, len(tt.want), len(tt.line), tt.whole)
			}
			if got, _, _, err := ReadFit(r, keep, limit); err != nil || got != mark { // the next line
				t.Fatalf("next line %q, %v", got, err)
			}
		})
	}
}

// FuzzReadFit checks ReadFit against refFit on arbitrary input, buffer
// sizes and limits, and that Fit never holds more than its limit plus
// utf8.UTFMax.
func FuzzReadFit(f *testing.F) {
	f.Add("AB   \u3000\u3000 \n   AB C\n\xe3\x80 AB \xe3\x80\x80\xe3\x80\n", 3, uint8(3))
	f.Add("\u00a0\u00a0AB\t\t\t\r\nA\xc2 \xa0  \n", 1, uint8(2))
	f.Fuzz(func(t *testing.T, in string, size int, lim uint8) {
		limit := int(lim%16) + 1
		keep := limit + int(lim/16)%3
		r := bufio.NewReaderSize(strings.NewReader(in), 16+(size&63))
		lines := strings.Split(in, "\n")
		if strings.HasSuffix(in, "\n") || in == "" {
			lines = lines[:len(lines)-1] // no line after the last '\n'
		}
		for i, l := range lines {
			got, n, whole, err := ReadFit(r, keep, limit)
			want, wantWhole := refFit(l, keep, limit)
			if err != nil || got != want || n != len(l) || whole != wantWhole {
				t.Fatalf("line %d %q: %q, %d, %v, %v; want %q, %v", i+1, l, got, n, whole, err, want, wantWhole)
			}
		}
		if _, _, _, err := ReadFit(r, keep, limit); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last line: %v", err)
		}
		var fit Fit
		fit.Max = limit
		for i := 0; i < len(in); i++ {
			fit.Add(in[i])
			if fit.Held() > limit+utf8.UTFMax {
				t.Fatalf("Fit holds %d bytes, limit %d", fit.Held(), limit)
			}
		}
	})
}

// TestFitBounded: 10 MiB of white space around a mark, fed a byte or a
// chunk at a time, is held in at most Max plus utf8.UTFMax bytes.
func TestFitBounded(t *testing.T) {
	const max = 4096
	mark := []byte("EPM1:" + strings.Repeat("A", 167))
	chunk := bytes.Repeat([]byte(" \t\u3000\u00a0"), 64<<10/8)
	for _, end := range []string{"", "X"} {
		var f Fit
		f.Max = max
		for i := 0; i < 80; i++ { // 5 MiB before
			f.Write(chunk)
			if f.Held() > max+utf8.UTFMax {
				t.Fatalf("holds %d bytes after %d KiB", f.Held(), (i+1)*len(chunk)>>10)
			}
		}
		f.Write(mark)
		for i := 0; i < 80; i++ { // 5 MiB after
			for _, c := range chunk {
				f.Add(c)
			}
			if f.Held() > max+utf8.UTFMax {
				t.Fatalf("holds %d bytes after the mark and %d KiB", f.Held(), (i+1)*len(chunk)>>10)
			}
		}
		f.Write([]byte(end))
		kept, trimmed, over := f.End()
		if end == "" && (strings.TrimSpace(string(kept)) != string(mark) || !trimmed || over) ||
			end != "" && (!over || !bytes.HasPrefix(kept, mark) || len(kept) != max) || f.Seen() != 160*len(chunk)+len(mark)+len(end) {
			t.Fatalf("end %q: kept %d bytes, trimmed %v, over %v, seen %d", end, len(kept), trimmed, over, f.Seen())
		}
	}
}
