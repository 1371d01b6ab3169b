package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestReasonsJSON: the reasons column is json.Marshal's bytes, written
// by hand for plain codes and left to json.Marshal for anything else.
func TestReasonsJSON(t *testing.T) {
	tests := []struct {
		name string
		rs   []mark.Reason
		ok   bool
	}{
		{"nil", nil, true},
		{"empty", []mark.Reason{}, true},
		{"one", []mark.Reason{mark.ReasonBadSignature}, true},
		{"several", []mark.Reason{mark.ReasonBadSignature, "EXPIRED", "WEIGHT_2"}, true},
		{"empty code", []mark.Reason{""}, true},
		{"lower case", []mark.Reason{"expired"}, false},
		{"quote", []mark.Reason{`A"B`}, false},
		{"html", []mark.Reason{"<A>&"}, false},
		{"not UTF-8", []mark.Reason{"A\xffB"}, false},
		{"space", []mark.Reason{"A B"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := reasonsJSON(tt.rs)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			want, err := json.Marshal(tt.rs)
			if err != nil {
				t.Fatal(err)
			}
			if tt.rs == nil {
				want = []byte("[]") // the store's reasons are never null (startRecord)
			}
			if ok && got != string(want) {
				t.Fatalf("reasonsJSON = %s, json.Marshal = %s", got, want)
			}
		})
	}
}

// FuzzReasonsJSON: for any reasons, reasonsJSON either declines or writes
// json.Marshal's bytes.
func FuzzReasonsJSON(f *testing.F) {
	f.Add("BAD_SIGNATURE,EXPIRED")
	f.Add("")
	f.Add(`A"B,<x>`)
	f.Fuzz(func(t *testing.T, list string) {
		var rs []mark.Reason
		for _, r := range strings.Split(list, ",") {
			rs = append(rs, mark.Reason(r))
		}
		got, ok := reasonsJSON(rs)
		if !ok {
			return
		}
		want, err := json.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Fatalf("reasonsJSON = %s, json.Marshal = %s", got, want)
		}
	})
}

// TestFormatTime: scan times as time.Format writes timeFormat, in UTC,
// for times in and out of the years written by hand.
func TestFormatTime(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	tests := []time.Time{
		time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2027, 1, 1, 2, 3, 4, 5, msk), // the day before in UTC
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 120, time.Local),
		{},
	}
	for _, at := range tests {
		if got, want := formatTime(at), at.UTC().Format(timeFormat); got != want {
			t.Errorf("formatTime(%v) = %s, want %s", at, got, want)
		}
	}
}

// FuzzFormatTime: any instant is written as time.Format writes it.
func FuzzFormatTime(f *testing.F) {
	f.Add(int64(1764054000), int64(0), int64(0))
	f.Add(int64(-62135596800), int64(999999999), int64(3600))
	f.Fuzz(func(t *testing.T, sec, nsec, zone int64) {
		at := time.Unix(sec, nsec).In(time.FixedZone("Z", int(zone%86400)))
		if got, want := formatTime(at), at.UTC().Format(timeFormat); got != want {
			t.Fatalf("formatTime(%v) = %s, want %s", at, got, want)
		}
	})
}

// BenchmarkRowColumns: the reasons and time columns of a scan's row,
// written by hand and by encoding/json and time.Format.
func BenchmarkRowColumns(b *testing.B) {
	at := time.Date(2026, 11, 25, 7, 0, 0, 123456789, time.FixedZone("MSK", 3*3600))
	rs := []mark.Reason{}
	b.Run("formatTime", func(b *testing.B) {
		for b.Loop() {
			_ = formatTime(at)
		}
	})
	b.Run("time.Format", func(b *testing.B) {
		for b.Loop() {
			_ = at.UTC().Format(timeFormat)
		}
	})
	b.Run("reasonsJSON", func(b *testing.B) {
		for b.Loop() {
			_, _ = reasonsJSON(rs)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(rs)
		}
	})
}
