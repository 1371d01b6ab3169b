package eventreplay

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"markd/mark"
)

// TestLogged: a failed store read is logged once and the stream goes on
// with what it has; a read that held logs nothing.
func TestLogged(t *testing.T) {
	var buf bytes.Buffer
	c := &Cursor{log: slog.New(slog.NewTextHandler(&buf, nil))}
	evs := []Event{{Record: mark.Record{ID: "a"}, ID: "a"}}
	if got := c.Logged(evs, nil); len(got) != 1 || buf.Len() != 0 {
		t.Fatalf("a read that held: %v, log %q", got, buf.String())
	}
	if got := c.Logged(nil, errors.New("disk I/O error")); got != nil || !strings.Contains(buf.String(), "disk I/O error") ||
		strings.Count(buf.String(), "\n") != 1 {
		t.Fatalf("a failed read: %v, log %q", got, buf.String())
	}
}
