package scanner

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

func TestReaderLines(t *testing.T) {
	long := strings.Repeat("A", maxStdinLine+10)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"lf", "a\nb\n", []string{"a", "b"}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b"}},
		{"no final newline", "a\nb", []string{"a", "b"}},
		// A scanner left at its factory suffix (CR) behind a pipe
		// (socat /dev/ttyACM0 - | markd run): each CR ends a scan. Before,
		// the whole stream was one line, judged once at its end.
		{"cr", "a\rb\r", []string{"a", "b"}},
		{"cr, crlf and lf mixed", "a\rb\r\nc\nd\r", []string{"a", "b", "c", "d"}},
		{"empty line between crs kept", "a\r\rb\r", []string{"a", "", "b"}},
		{"lfcr is two ends", "a\n\rb\n", []string{"a", "", "b"}},
		{"empty line kept", "a\n\nb\n", []string{"a", "", "b"}},
		{"long line cut, with its length", long + "\nx\n", []string{long[:maxStdinLine] + "#" + strconv.Itoa(maxStdinLine+10), "x"}},
		{"exactly the bound is whole", long[:maxStdinLine] + "\r\n", []string{long[:maxStdinLine]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader("in", strings.NewReader(tt.in), nil)
			var got []string
			err := r.Serve(context.Background(), func(s mark.Scan) {
				if s.Length > 0 {
					s.Text += "#" + strconv.Itoa(s.Length)
				}
				got = append(got, s.Text)
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if h := r.Health(); h.Up || h.Scans != int64(len(tt.want)) {
				t.Fatalf("health after end = %+v", h)
			}
		})
	}
}

// TestReaderCRLineNotHeld: a line ended by CR is emitted when its CR
// arrives, not when the next byte (the LF of a CRLF, or the next scan)
// does: the stream may stay quiet for as long as the counter has no letter.
func TestReaderCRLineNotHeld(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	r := NewReader("in", pr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 4)
	go func() { _ = r.Serve(ctx, func(s mark.Scan) { got <- s.Text }) }()
	for _, w := range []string{"one\r", "\ntwo\r"} {
		if _, err := io.WriteString(pw, w); err != nil {
			t.Fatal(err)
		}
		want := strings.Trim(w, "\r\n")
		select {
		case s := <-got:
			if s != want {
				t.Fatalf("got %q, want %q", s, want)
			}
		case <-time.After(waitLimitStdin):
			t.Fatalf("%q not emitted while the stream stays open after its CR", want)
		}
	}
}

// waitLimitStdin bounds a wait for a line: a deadline for declaring a
// failure, not a speed assertion.
const waitLimitStdin = 15 * time.Second

// TestReaderStopsEmitting: after ctx ends, a line that the blocked read
// still delivers is not emitted (the pipeline may be closed by then).
func TestReaderStopsEmitting(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader("in", pr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 4)
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, func(s mark.Scan) { got <- s.Text }) }()
	if _, err := io.WriteString(pw, "first\n"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "first" {
		t.Fatalf("got %q", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(pw, "late\n"); err != nil { // read by the still-blocked goroutine
		t.Fatal(err)
	}
	pw.Close()
	select {
	case s := <-got:
		t.Fatalf("emitted %q after Serve returned", s)
	default:
	}
	if h := r.Health(); h.Scans != 1 {
		t.Fatalf("scans = %d, want 1", h.Scans)
	}
}
