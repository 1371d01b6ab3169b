package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// TestRunMarkInWhiteSpace: a line of a shared vector's mark inside more
// than 4 KiB of white space (MARK-FORMAT §1: surrounding white space is
// ignored), bare or as a JSON object's text, also past the 64 KiB kept of
// a line, is stored with the bare mark's verdict and the mark's text; it
// was NOT_A_MARK or MALFORMED "line of N bytes". A text longer than
// 4096 bytes without its white space is judged as before, with its real
// length.
func TestRunMarkInWhiteSpace(t *testing.T) {
	good := testdata.VectorNamed(t, "valid registered letter").Text
	run := func(t *testing.T, in string) mark.Record {
		t.Helper()
		o, db, _ := setup(t)
		res, err := Run(context.Background(), strings.NewReader(in), o)
		if err != nil || res.Stored != 1 {
			t.Fatalf("import: %+v %v, want one scan stored", res, err)
		}
		recs, _, err := db.List(context.Background(), store.Filter{})
		if err != nil || len(recs) != 1 {
			t.Fatalf("stored %d records: %v", len(recs), err)
		}
		return recs[0]
	}
	bare := run(t, good+"\n") // ACCEPT on the tests' default clock
	sp, far := strings.Repeat(" ", 5000), strings.Repeat(" ", maxLine+5000)
	for _, tt := range []struct{ name, line string }{
		{"5000 spaces after", good + sp},
		{"5000 spaces before, CRLF", sp + good + "\r"},
		{"5000 tabs around", strings.Repeat("\t", 5000) + good + strings.Repeat("\t", 5000)},
		{"NBSP before, U+3000 after", strings.Repeat("\u00a0", 2500) + good + strings.Repeat("\u3000", 1700)},
		{"past the 64 KiB kept: spaces after", good + far},
		{"past the 64 KiB kept: spaces before and after", far + good + far + "\r"},
		{"JSON text in spaces", fmt.Sprintf(`{"text":%q}`, sp+good+sp)},
		{"JSON object past the 64 KiB kept", fmt.Sprintf(`{"text":%q}`, good) + far},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := run(t, tt.line+"\n")
			if rec.Verdict != bare.Verdict || fmt.Sprint(rec.Reasons) != fmt.Sprint(bare.Reasons) || rec.Text != good || rec.Message != "" {
				t.Fatalf("%s %v text %d bytes %q; want %s %v and the mark's text", rec.Verdict, rec.Reasons, len(rec.Text), rec.Message,
					bare.Verdict, bare.Reasons)
			}
		})
	}
	for _, tt := range []struct {
		name, line string
		length     int
	}{
		{"5000 spaces, then X", good + sp + "X", len(good) + 5001},
		{"past the 64 KiB kept, then X", good + far + "X", len(good) + len(far) + 1},
	} {
		t.Run(tt.name+": over-long as before", func(t *testing.T) {
			rec := run(t, tt.line+"\n")
			if rec.Verdict != mark.Reject || fmt.Sprint(rec.Reasons) != "[MALFORMED]" || len(rec.Text) != mark.MaxInputSize ||
				!strings.HasPrefix(rec.Text, good) || !strings.Contains(rec.Message, fmt.Sprintf("line of %d bytes", tt.length)) {
				t.Fatalf("%s %v text %d bytes %q; want REJECT [MALFORMED], its first 4096 bytes, line of %d bytes",
					rec.Verdict, rec.Reasons, len(rec.Text), rec.Message, tt.length)
			}
		})
	}
}
