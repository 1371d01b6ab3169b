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

// TestAuditLinesInWords: the audit lines of a record say what happened
// and its result in words of the page's language: an override's result,
// and a signature corrected at start (whose action had no words at all).
func TestAuditLinesInWords(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 5, mark.ReasonExpired)
	e.insert(mark.Record{ID: "a1", At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:a1", Verdict: mark.Accept, Mark: testMark(6)})
	ctx := context.Background()
	if err := e.db.OverrideAccept(ctx, "r1", supName, "чек"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CorrectBadSignature(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login(supName, supPass)
	for id, want := range map[string][]string{
		"r1": {`<span class="ru">серийный номер 5 учтён как использованный</span><span class="en">serial 5 now counts as used</span>`},
		"a1": {`<span class="ru">подпись проверена заново при запуске</span>`, `<span class="ru">подпись, проверенная заново`},
	} {
		code, body := c.get("/review/" + id)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", id, code)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the audit table lacks %s\n%s", id, w, snippet(body, `id="audit"`))
			}
		}
		if strings.Contains(body, "REJECT BAD_SIGNATURE") {
			t.Errorf("%s: a code in the audit table", id)
		}
	}
}
