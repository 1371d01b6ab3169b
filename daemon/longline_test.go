package daemon

import (
	"strings"
	"testing"

	"markd/config"
	"markd/hub"
	"markd/mark"
)

// TestSerialLongLineStored: a line of 10 000 bytes from a serial scanner
// (a socat pty) is recorded as NOT_A_MARK, cut to 4096 bytes, with its
// real length in the message, and the collector would take its upload;
// the mark scanned next is judged as usual (issue 9 §5; it was dropped).
func TestSerialLongLineStored(t *testing.T) {
	dev, peer := ptyPair(t)
	c := testConfig(t)
	c.Sources = []config.Source{{Kind: "serial", Name: "front", Port: dev, Baud: 9600}}
	r := start(t, Options{Config: c})
	long := strings.Repeat("4600000000001;", 715)[:10000]
	if _, err := peer.WriteString(long + "\r\n" + signed(t, 77) + "\r\n"); err != nil {
		t.Fatal(err)
	}
	rec := r.next(t)
	if rec.Verdict != mark.NotAMark || rec.Source != "front" || rec.Text != long[:4096] ||
		!strings.Contains(rec.Message, "line of 10000 bytes") {
		t.Fatalf("long line: %s from %q, %d bytes, %q", rec.Verdict, rec.Source, len(rec.Text), rec.Message)
	}
	got, err := r.Store.Get(t.Context(), rec.ID)
	if err != nil || got.Text != rec.Text {
		t.Fatalf("stored: %v", err)
	}
	if err := (&hub.UploadRequest{Records: []hub.Record{hub.FromRecord(got)}}).Validate(); err != nil {
		t.Fatalf("the collector would refuse it: %v", err)
	}
	if rec := r.next(t); rec.Verdict != mark.Accept {
		t.Fatalf("the mark after it: %s %v", rec.Verdict, rec.Reasons)
	}
}
