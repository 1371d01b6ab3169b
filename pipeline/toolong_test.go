package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"markd/hub"
	"markd/mark"
)

// TestLineLongerThanAMark: a scanned line over 4096 bytes — whole from
// stdin, the API or import, or already cut by the serial or wedge framer
// (Scan.Length) — is stored as NOT_A_MARK, cut to at most 4096 bytes at a
// character boundary, with its real length in the message; the collector
// then takes it, also after the JSON of the upload turned bytes that are
// not UTF-8 (serial noise) into U+FFFD (the whole line was refused there
// forever).
func TestLineLongerThanAMark(t *testing.T) {
	p, db, sign := setup(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		scan    mark.Scan
		length  int
		verdict mark.Verdict // REJECT: MALFORMED alone (starts like a mark, MARK-FORMAT §7 step 2)
	}{
		{"starts like a mark", mark.Scan{Text: sign(7) + strings.Repeat("A", 5000)}, 172 + 5000, mark.Reject},
		{"starts like a mark after tolerances", mark.Scan{Text: " ]Q1EPM1:" + strings.Repeat("a", 5000)}, 5009, mark.Reject},
		{"two-byte characters", mark.Scan{Text: strings.Repeat("я", 3000)}, 6000, mark.NotAMark},
		{"one byte over", mark.Scan{Text: strings.Repeat("x", mark.MaxInputSize+1)}, mark.MaxInputSize + 1, mark.NotAMark},
		{"cut by the source", mark.Scan{Text: strings.Repeat("y", mark.MaxInputSize), Length: 1 << 20}, 1 << 20, mark.NotAMark},
		{"cut by the source below 4096 (max_line)", mark.Scan{Text: sign(8)[:100], Length: 300}, 300, mark.Reject},
		{"a whole mark, then more the source cut", mark.Scan{Text: sign(9), Length: 400}, 400, mark.Reject},
		{"noise that is not UTF-8", mark.Scan{Text: strings.Repeat("\xff\x80", 1000)}, 2000, mark.NotAMark},
		{"not UTF-8, cut by the source", mark.Scan{Text: strings.Repeat("\xfe", 4000), Length: 9000}, 9000, mark.NotAMark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.scan.Source = "t"
			rec := p.Process(ctx, tt.scan)
			wantReasons := "[]"
			if tt.verdict == mark.Reject {
				wantReasons = "[MALFORMED]"
			}
			if rec.Verdict != tt.verdict || fmt.Sprint(rec.Reasons) != wantReasons || rec.Mark != nil || rec.ID == "" || len(rec.Text) > mark.MaxInputSize || len(rec.Text) < 100 ||
				!utf8.ValidString(rec.Text) || !strings.Contains(rec.Message, fmt.Sprintf("line of %d bytes", tt.length)) {
				t.Fatalf("%s %.20q… (%d bytes) %q", rec.Verdict, rec.Text, len(rec.Text), rec.Message)
			}
			if utf8.ValidString(tt.scan.Text) && !strings.HasPrefix(tt.scan.Text, rec.Text) {
				t.Fatalf("text %.20q… is not the start of the line", rec.Text)
			}
			got, err := db.Get(ctx, rec.ID)
			if err != nil || got.Text != rec.Text || got.Message != rec.Message {
				t.Fatalf("stored: %v", err)
			}
			// What the collector gets: the upload's JSON, decoded.
			b, err := json.Marshal(hub.UploadRequest{Records: []hub.Record{hub.FromRecord(got)}})
			if err != nil {
				t.Fatal(err)
			}
			var q hub.UploadRequest
			if err := json.Unmarshal(b, &q); err != nil {
				t.Fatal(err)
			}
			if err := q.Validate(); err != nil {
				t.Fatalf("the collector would refuse it: %v", err)
			}
		})
	}
	// Short noise stays as read: its JSON fits.
	if rec := p.Process(ctx, mark.Scan{Text: strings.Repeat("\xff", 1000), Source: "t"}); rec.Verdict != mark.NotAMark ||
		rec.Text != strings.Repeat("\xff", 1000) || rec.Message != "" {
		t.Fatalf("short noise: %s %q", rec.Verdict, rec.Message)
	}
}
