package scanner

import (
	"context"
	"strings"
	"testing"

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
		{"empty line kept", "a\n\nb\n", []string{"a", "", "b"}},
		{"long line cut", long + "\nx\n", []string{long[:maxStdinLine], "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader("in", strings.NewReader(tt.in), nil)
			var got []string
			if err := r.Serve(context.Background(), func(s mark.Scan) { got = append(got, s.Text) }); err != nil {
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
