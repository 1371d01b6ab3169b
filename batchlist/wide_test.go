package batchlist

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"markd/mark"
)

// TestWideRowsBounded: a row of millions of empty columns (16 MiB of
// separators: a header, a "blank" row Excel would never write, a
// Windows-1251 file read letter by letter) is refused naming its line
// before encoding/csv splits it: split, each column cost the reader ~160
// bytes, 2.6 GiB and 10–25 s for one 16 MiB upload (red team, 26th
// stop). A row as wide as Excel's sheet (MaxColumns) is read.
func TestWideRowsBounded(t *testing.T) {
	const n = MaxBytes - 64
	hdr := "mail_class,weight_g,tariff_kop\n"
	item := "1,20,5000\n"
	for _, tt := range []struct {
		name, list string
		line       int
	}{
		{"header of commas", strings.Repeat(",", n) + "\n", 1},
		{"header of semicolons", "mail_class;" + strings.Repeat(";", n-20) + "\n", 1},
		{"a blank row", hdr + item + strings.Repeat(",", n-len(hdr)-len(item)) + "\n", 3},
		{"Windows-1251 letters", strings.Repeat("\xff,", n/2) + "\n", 1},
		{"after a quoted line break", hdr + "\"1\n\",20,5000\n" + strings.Repeat(",", MaxColumns) + "\n", 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			_, err := Parse([]byte(tt.list))
			runtime.ReadMemStats(&m1)
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, mark.ErrInvalid) || pe.Line != tt.line ||
				!strings.Contains(pe.Msg, "more than 16384 columns") {
				t.Fatalf("want a refusal at line %d naming the columns, got %v", tt.line, err)
			}
			if mib := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mib > 96 {
				t.Errorf("%d MiB allocated for a %d MiB list", mib, len(tt.list)>>20)
			}
		})
	}
	// One value of 16 MiB, quoted in the refusal: cut before it is
	// decoded to runes (64 MiB for its 60 first letters), and a header
	// cell of 16 MiB not lowered whole (98 MiB). What is left (~130 MiB,
	// 8 times the line) is encoding/csv's buffers for a line of 16 MiB.
	// The JSON forms of 16 MiB held (red team, 26th stop): read token
	// by token, an item refused at the first, a key not known skipped.
	for _, list := range []string{
		hdr + `"` + strings.Repeat("a", n-len(hdr)-3) + `"` + "\n",
		strings.Repeat("a", n) + "\n",
		`{"items":[` + strings.Repeat("{},", n/3-10) + `{}]}`,
		`{"x":[` + strings.Repeat("{},", n/3-10) + `{}],"items":[]}`,
		`{"items":[{"x":[` + strings.Repeat("{},", n/3-10) + `{}]}]}`,
		`{"items":[{"mail_class":"` + strings.Repeat(`\u0041`, n/6-10) + `"}]}`,
		`{"x":` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `,"items":[]}`,
	} {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err := Parse([]byte(list))
		runtime.ReadMemStats(&m1)
		if err == nil || len(err.Error()) > 1000 {
			t.Fatalf("a 16 MiB value: %.1000v", err)
		}
		if mib := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mib > 160 {
			t.Errorf("a 16 MiB value: %d MiB allocated", mib)
		}
	}
	// As wide as a sheet: a header of MaxColumns columns, a blank row of
	// as many, and a quoted separator that is no column.
	wide := hdr[:len(hdr)-1] + strings.Repeat(",", MaxColumns-3) + "\n" + `"1",20,5000,"a,b"` + "\n" + strings.Repeat(",", MaxColumns-1) + "\n" + item
	l, err := Parse([]byte(wide))
	if err != nil || len(l.Items) != 2 {
		t.Fatalf("a list as wide as a sheet: %d items, %v", len(l.Items), err)
	}
}
