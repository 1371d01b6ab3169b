package textline

import (
	"bufio"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	const keep = 4097
	long := strings.Repeat("A", 100_000)
	in := "first\r\n\n" + long + "\nlast"
	r := bufio.NewReaderSize(strings.NewReader(in), 16)
	want := []string{"first\r", "", long[:keep], "last"}
	lengths := []int{6, 0, len(long), 4}
	for i, w := range want {
		got, n, err := Read(r, keep)
		if err != nil || got != w || n != lengths[i] {
			t.Fatalf("line %d: %q (%d bytes, length %d), %v; want %d bytes, length %d", i+1, got[:min(len(got), 20)], len(got), n, err,
				len(w), lengths[i])
		}
	}
	if _, _, err := Read(r, 10); err == nil {
		t.Fatal("no EOF after the last line")
	}
}

// FuzzRead: reading lines back and joining them gives the input (for
// lines under the limit), whatever the buffer size.
func FuzzRead(f *testing.F) {
	f.Add("a\nb\r\n\nc", 16)
	f.Add("", 1)
	f.Fuzz(func(t *testing.T, in string, size int) {
		if size < 0 {
			size = -size
		}
		r := bufio.NewReaderSize(strings.NewReader(in), 16+size%64)
		var lines []string
		for {
			l, n, err := Read(r, 1<<20)
			if err != nil {
				break
			}
			if n != len(l) { // every line is under the limit here
				t.Fatalf("line %q: length %d", l, n)
			}
			lines = append(lines, l)
		}
		want := strings.TrimSuffix(in, "\n")
		if in == "" {
			if len(lines) != 0 {
				t.Fatalf("lines from empty input: %q", lines)
			}
			return
		}
		if got := strings.Join(lines, "\n"); got != want {
			t.Fatalf("joined %q, want %q", got, want)
		}
	})
}
