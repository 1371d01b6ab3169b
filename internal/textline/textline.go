// Package textline reads '\n'-terminated lines of any length from a
// buffered reader, keeping at most a bounded start of each (markd verify's
// stdin, markd import's files): a line too long to be a scan is still
// read to its end and reported with its real length, in bounded memory.
package textline

import (
	"bufio"
	"errors"
	"io"
)

// Read reads one '\n'-terminated line of any length and keeps at most
// keep bytes of it (enough to tell that it is too long); n is the line's
// real length without its '\n'. It returns io.EOF only when no byte was
// left; a last line without '\n' counts.
func Read(r *bufio.Reader, keep int) (line string, n int, err error) {
	var buf []byte
	got := false
	for {
		chunk, err := r.ReadSlice('\n')
		if err == nil && !got && len(chunk) <= keep {
			return trimNewline(chunk), len(chunk) - 1, nil // the whole line: one copy
		}
		if len(chunk) > 0 {
			got = true
			n += len(chunk)
			if room := keep - len(buf); room > 0 {
				buf = append(buf, chunk[:min(room, len(chunk))]...)
			}
		}
		switch {
		case err == nil:
			return trimNewline(buf), n - 1, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if !got {
				return "", 0, io.EOF
			}
			return trimNewline(buf), n, nil
		default:
			return "", 0, err
		}
	}
}

func trimNewline(b []byte) string {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b)
}
