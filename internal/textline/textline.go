// Package textline reads '\n'-terminated lines of any length from a
// buffered reader, keeping at most a bounded start of each (markd verify's
// stdin, markd import's files): a line too long to be a scan is still
// read to its end and reported with its real length, in bounded memory.
package textline

import (
	"bufio"
	"errors"
	"io"
	"strings"
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

// ReadFit is Read with the size limit of MARK-FORMAT §1 applied to the
// line's text without its surrounding white space (textline.Fit, as
// strings.TrimSpace has it): a line over keep bytes whose text without
// that white space is at most limit bytes (keep >= limit) is returned
// without it, and whole; any other line as Read returns it, whole when it
// is at most keep bytes. n is the line's real length, as Read's. Beside
// the keep bytes it holds at most limit plus utf8.UTFMax.
func ReadFit(r *bufio.Reader, keep, limit int) (line string, n int, whole bool, err error) {
	var buf []byte
	var fit *Fit
	got := false
	for {
		chunk, err := r.ReadSlice('\n')
		if err == nil && !got && len(chunk) <= keep {
			return trimNewline(chunk), len(chunk) - 1, true, nil // the whole line: one copy
		}
		if len(chunk) > 0 {
			got = true
			n += len(chunk)
			taken := 0
			if room := keep - len(buf); room > 0 {
				taken = min(room, len(chunk))
				buf = append(buf, chunk[:taken]...)
			}
			body := chunk
			if err == nil {
				body = chunk[:len(chunk)-1]
			}
			switch {
			case fit != nil:
				fit.Write(body)
			case n-(len(chunk)-len(body)) > keep: // the line is over keep bytes: from here its white space counts
				fit = &Fit{Max: limit}
				fit.Write(buf)
				fit.Write(body[taken:])
			}
		}
		switch {
		case err == nil:
			n--
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if !got {
				return "", 0, false, io.EOF
			}
		default:
			return "", 0, false, err
		}
		if fit != nil {
			if kept, _, over := fit.End(); !over {
				return strings.TrimSpace(string(kept)), n, true, nil
			}
			return trimNewline(buf), n, false, nil
		}
		return trimNewline(buf), n, true, nil
	}
}

func trimNewline(b []byte) string {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b)
}
