package pipeline

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"markd/hub"
	"markd/mark"
)

// TestLineLongerThanAMark: a scanned line over 4096 bytes is stored as
// NOT_A_MARK, cut to at most 4096 bytes at a character boundary, with its
// real length in the message; the collector then takes it (the whole line
// was refused there forever).
func TestLineLongerThanAMark(t *testing.T) {
	p, db, sign := setup(t)
	ctx := context.Background()
	for _, text := range []string{
		sign(7) + strings.Repeat("A", 5000),      // starts like a mark
		strings.Repeat("я", 3000),                // 6000 bytes of two-byte characters
		strings.Repeat("x", mark.MaxInputSize+1), // one byte over
	} {
		rec := p.Process(ctx, mark.Scan{Text: text, Source: "t"})
		if rec.Verdict != mark.NotAMark || rec.ID == "" || len(rec.Text) > mark.MaxInputSize || len(rec.Text) < mark.MaxInputSize-3 ||
			!utf8.ValidString(rec.Text) || !strings.HasPrefix(text, rec.Text) || !strings.Contains(rec.Message, "line of") {
			t.Fatalf("%d bytes: %s %q… (%d bytes) %q", len(text), rec.Verdict, rec.Text[:20], len(rec.Text), rec.Message)
		}
		got, err := db.Get(ctx, rec.ID)
		if err != nil || got.Text != rec.Text || got.Message != rec.Message {
			t.Fatalf("stored: %v", err)
		}
		q := hub.UploadRequest{Records: []hub.Record{hub.FromRecord(got)}}
		if err := q.Validate(); err != nil {
			t.Fatalf("the collector would refuse it: %v", err)
		}
	}
}
