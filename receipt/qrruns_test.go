package receipt

import (
	"slices"
	"testing"
)

func TestDarkRuns(t *testing.T) {
	tests := []struct {
		name string
		m    [][]bool
		want []qrRun
	}{
		{"empty", nil, nil},
		{"all light", [][]bool{{false, false}}, nil},
		{"runs at both ends and between", [][]bool{{true, true, false, true}, {false, true, true, false}},
			[]qrRun{{0, 0, 2}, {0, 3, 4}, {1, 1, 3}}},
		{"a whole row", [][]bool{{false}, {true, true, true}}, []qrRun{{1, 0, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slices.Collect(darkRuns(tt.m)); !slices.Equal(got, tt.want) {
				t.Fatalf("runs %v, want %v", got, tt.want)
			}
		})
	}
	if got := svgPath([][]bool{{true, true, false, true}}); got != "M4 4h2v1h-2zM7 4h1v1h-1z" {
		t.Fatalf("svg path %q", got)
	}
}
