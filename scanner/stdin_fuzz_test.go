package scanner

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"markd/mark"
)

// FuzzStdinLines feeds arbitrary bytes, in reads of a fuzzed size, to
// readLine, the stdin source's framer: the lines are those of the bytes
// split at LF, CR or CRLF (each once), kept up to maxStdinLine bytes with
// their real length, and the last without an end comes with io.EOF.
func FuzzStdinLines(f *testing.F) {
	for _, s := range []string{"EPM1:AAAA\n", "a\r\nb\rc\n\nd", "\r\n\r\n", "\r", "x\r", "\n\r", strings.Repeat("z", maxStdinLine+3) + "\rq",
		"EPM1:\x00\xff\n", strings.Repeat(" ", maxStdinLine+9) + "EPM1:A\u3000 \r" + strings.Repeat("\t", 5000) + "B" + strings.Repeat(" ", maxStdinLine) + "\n",
		"A" + strings.Repeat(" ", maxStdinLine+mark.MaxInputSize) + "B\n"} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var r io.Reader = bytes.NewReader(data)
		if chunk%8 == 1 {
			r = iotest.OneByteReader(r)
		} else if chunk%8 != 0 {
			r = iotest.HalfReader(r)
		}
		br := bufio.NewReaderSize(r, 16+int(chunk))
		// what they are: split at CRLF, then at CR or LF
		parts := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n")
		afterCR := false
		for i, p := range parts {
			last := i == len(parts)-1
			line, n, err := readLine(br, &afterCR)
			if last {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("%q: after the last end: %q, %v, want io.EOF", data, line, err)
				}
			} else if err != nil {
				t.Fatalf("%q: line %d: %v", data, i+1, err)
			}
			wantN, want := len(p), p[:min(len(p), maxStdinLine)]
			if t := strings.TrimSpace(p); len(p) > mark.MaxInputSize && len(t) <= mark.MaxInputSize {
				wantN, want = len(t), t // a text in white space (MARK-FORMAT §1)
			}
			if n != wantN || line != want {
				t.Fatalf("%q: line %d = %q (%d bytes), want %q (%d bytes)", cut(string(data)), i+1, cut(line), n, cut(want), wantN)
			}
			if last {
				return
			}
		}
	})
}

func cut(s string) string { return s[:min(len(s), 40)] }
