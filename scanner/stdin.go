package scanner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"markd/decode"
	"markd/internal/textline"
	"markd/mark"
)

// maxStdinLine bounds one line read from a stream; a longer line is passed
// on cut to this size with its real length (the pipeline stores it
// NOT_A_MARK, cut further to 4096 bytes, with that length).
const maxStdinLine = 64 * 1024

// Reader is a source over any stream of lines (stdin, a pipe, a file):
// one scan per line (ended by LF, CR or CRLF), its end stripped. It ends when the stream ends.
type Reader struct {
	name string
	r    io.Reader
	now  func() time.Time
	// layout is the keyboard layout mode (LayoutAuto, LayoutRU, LayoutNone)
	// for wedge scanners typing into a terminal; see RecoverLayout.
	layout string
	// place is where the reading goroutine's thread runs (SetPlacement).
	place *Placement

	mu     sync.Mutex
	health mark.SourceHealth
}

// NewReader returns a line source named name over r.
func NewReader(name string, r io.Reader, now func() time.Time) *Reader {
	if now == nil {
		now = time.Now
	}
	return &Reader{name: name, r: r, now: now,
		health: mark.SourceHealth{Name: name, Kind: "stdin", Up: true, Since: now()}}
}

// SetLayout selects the keyboard layout recovery of the lines ("" = auto).
func (s *Reader) SetLayout(mode string) *Reader { s.layout = mode; return s }

// SetPlacement makes the reading goroutine, on which each scan is judged
// and committed, run where p says (nil: anywhere; see Placement). A line
// of a pipe wakes the reader on the writer's CPU, which is the disk
// interrupt's for most lines but not all, and a commit made on a CPU
// without the interrupt is woken across CPUs (docs/notes/perf.md,
// "P1, fourteenth stop").
func (s *Reader) SetPlacement(p *Placement) *Reader { s.place = p; return s }

// Name returns the source name.
func (s *Reader) Name() string { return s.name }

// Health reports whether the stream is still open and how many lines it gave.
func (s *Reader) Health() mark.SourceHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

// Serve reads lines until the stream ends or ctx is done. The end of the
// stream is not an error. Lines are emitted on the reading goroutine itself:
// handing each over a channel cost a cross-thread wake-up per scan, a
// measurable part of the line-to-verdict latency. A read blocked when ctx
// ends cannot be interrupted; whatever it reads afterwards is not emitted.
func (s *Reader) Serve(ctx context.Context, emit func(mark.Scan)) error {
	var gate sync.Mutex // held while emitting; stopped is set under it
	stopped := false
	errc := make(chan error, 1)
	go func() {
		at := s.place.enter(nil)
		defer at.leave()
		br := bufio.NewReaderSize(s.r, 4096)
		afterCR := false
		for {
			line, n, err := readLine(br, &afterCR)
			if line != "" || err == nil {
				at.follow()
				gate.Lock()
				if stopped || ctx.Err() != nil {
					gate.Unlock()
					return
				}
				s.mu.Lock()
				s.health.Scans++
				s.mu.Unlock()
				sc := mark.Scan{Text: RecoverLayout(line, s.layout), Source: s.name, At: s.now()}
				if n > len(line) {
					sc.Length = n
				}
				emit(sc)
				gate.Unlock()
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	select {
	case <-ctx.Done():
		gate.Lock() // waits for a scan being emitted
		stopped = true
		gate.Unlock()
		return nil
	case err := <-errc:
		s.mu.Lock()
		s.health.Up = false
		s.health.Since = s.now()
		s.health.Detail = "input ended"
		s.mu.Unlock()
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("source %s: read: %w", s.name, err)
	}
}

// readLine reads one line without its end, keeping at most maxStdinLine
// bytes of it (the rest is counted, not kept); n is its real length. A
// line ends at LF, CR or CRLF, which counts once: a scanner left at its
// factory suffix (CR) may feed a pipe (socat /dev/ttyACM0 - | markd run),
// and its scans must not be glued into one line judged when the stream
// ends. *afterCR says the previous line ended at a CR, so an LF right after
// it belongs to that line; it is looked for when the next line starts, so
// a line ended by CR is returned as soon as its CR arrives.
//
// A line over mark.MaxInputSize bytes whose text without its surrounding
// white space is at most that (a mark and 5 000 spaces, MARK-FORMAT §1) is
// returned as that text, n its length; past maxStdinLine bytes that white
// space is counted, not kept (textline.Fit).
func readLine(br *bufio.Reader, afterCR *bool) (line string, n int, err error) {
	if *afterCR {
		*afterCR = false
		c, err := br.ReadByte()
		if err != nil {
			return "", 0, err
		}
		if c != '\n' {
			_ = br.UnreadByte()
		}
	}
	var b strings.Builder
	var fit *textline.Fit
	for {
		if br.Buffered() == 0 {
			if _, err := br.Peek(1); err != nil {
				line, n = fitLine(b.String(), n, fit)
				return line, n, err
			}
		}
		buf, _ := br.Peek(br.Buffered())
		i := bytes.IndexAny(buf, "\r\n")
		chunk := buf
		if i >= 0 {
			chunk = buf[:i]
		}
		n += len(chunk)
		taken := 0
		if room := maxStdinLine - b.Len(); room > 0 {
			taken = min(len(chunk), room)
			b.Write(chunk[:taken])
		}
		switch {
		case fit != nil:
			fit.Write(chunk)
		case n > maxStdinLine: // more than is kept: from here its white space is counted
			fit = &textline.Fit{Max: mark.MaxInputSize}
			fit.Write([]byte(b.String()))
			fit.Write(chunk[taken:])
		}
		if i < 0 {
			_, _ = br.Discard(len(buf))
			continue
		}
		*afterCR = buf[i] == '\r'
		_, _ = br.Discard(i + 1)
		line, n = fitLine(b.String(), n, fit)
		return line, n, nil
	}
}

// fitLine applies the size limit to a line's text without its surrounding
// white space: line is what readLine kept of it, fit its Fit past
// maxStdinLine bytes.
func fitLine(line string, n int, fit *textline.Fit) (string, int) {
	if fit != nil {
		if kept, _, over := fit.End(); !over {
			line = strings.TrimSpace(string(kept))
			return line, len(line)
		}
		return line, n
	}
	if n > mark.MaxInputSize {
		if t := decode.Fit(line); len(t) <= mark.MaxInputSize {
			return t, len(t)
		}
	}
	return line, n
}
