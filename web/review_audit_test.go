package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"markd/mark"
)

// TestReviewNoteLength: the note's limit is the forms' maxlength, 2000
// characters; a Russian note of 1200 letters (over 2000 bytes) is taken
// and kept exactly, one of 2001 characters is refused naming the limit.
func TestReviewNoteLength(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonExpired)
	e.rejected("r2", 2, mark.ReasonExpired)
	c := e.client()
	c.login(supName, supPass)
	c.get("/review/r1")
	note := strings.Repeat("Клиент показал чек. ", 60)
	note = note[:len(note)-1] // no trailing space: it is kept exactly
	if code, body := c.post("/review/r1/override", url.Values{"note": {note}}); code != http.StatusSeeOther {
		t.Fatalf("override with a %d-character Russian note: %d, want 303\n%s", len([]rune(note)), code, snippet(body, "note"))
	}
	a, err := e.db.AuditFor(context.Background(), "r1")
	if err != nil || len(a) != 1 || a[0].Note != note {
		t.Fatalf("audit of r1: %+v %v", a, err)
	}
	long := strings.Repeat("я", 2001)
	code, body := c.post("/review/r2/confirm", url.Values{"note": {long}})
	if code != http.StatusBadRequest || !strings.Contains(body, "2001 characters, at most 2000") {
		t.Fatalf("confirm with 2001 characters: %d\n%s", code, snippet(body, "note"))
	}
}

// snippet is the part of body around s, for failure messages.
func snippet(body, s string) string {
	i := strings.Index(body, s)
	if i < 0 {
		return ""
	}
	return body[max(0, i-200):min(len(body), i+200)]
}
