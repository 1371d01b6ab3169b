package testdata

import (
	"maps"
	"strings"
	"testing"
)

func TestDocKeyTable(t *testing.T) {
	const head = "| key | default | meaning |"
	tests := []struct {
		name, rows string
		want       map[string]string
		err        string
	}{
		{"one key", "| `a` | `1` | x |", map[string]string{"a": "1"}, ""},
		{"keys sharing a default", "| `a`, `b` | `0` | x |", map[string]string{"a": "0", "b": "0"}, ""},
		{"a default each", "| `a`, `b` | `1`, `2` | x |", map[string]string{"a": "1", "b": "2"}, ""},
		{"required", "| `a` | (none; required) | x |", map[string]string{"a": ""}, ""},
		{"the table ends", "| `a` | `1` | x |\n\n| `b` | `2` | y |", map[string]string{"a": "1"}, ""},
		{"defaults not fitting", "| `a`, `b`, `c` | `1`, `2` | x |", nil, "row of [a b c]: 2 defaults for 3 keys"},
		{"short row", "| `a` | `1` |", nil, "fewer than three cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := DocKeyTable("intro\n"+head+"\n| --- | --- | --- |\n"+tt.rows+"\n\nafter", head)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) || !strings.HasSuffix(rest, "after") {
				t.Fatalf("%v %v %q, want %v", got, err, rest, tt.want)
			}
		})
	}
	if _, _, err := DocKeyTable("no table", head); err == nil || !strings.Contains(err.Error(), "no key table") {
		t.Fatalf("no table: %v", err)
	}
}
