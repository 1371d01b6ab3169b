package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestReviewNoteLength: the note's limit is the forms' maxlength, 2000
// characters; a Russian note of 1200 letters (over 2000 bytes) is taken
// and kept exactly, one of 2001 characters is refused naming the limit.
func TestReviewNoteLength(t *testing.T) {
	e, c := twoRejected(t)
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

// twoRejected is a counter with two EXPIRED rejections to review, r1
// (serial 1) and r2 (serial 2), and a supervisor's client logged in.
func twoRejected(t *testing.T) (*env, *client) {
	t.Helper()
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonExpired)
	e.rejected("r2", 2, mark.ReasonExpired)
	c := e.client()
	c.login(supName, supPass)
	return e, c
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

// TestReviewDaysReversed: a "from" day after the "to" day is refused
// naming both, on the list and the CSV, instead of an empty list; one
// day (from = to) across the office's midnight is still a day.
func TestReviewDaysReversed(t *testing.T) {
	e := newEnv(t, nil)
	e.clock.t = time.Date(2026, 11, 24, 20, 59, 30, 0, time.UTC) // 23:59:30 in Moscow, the 24th
	e.rejected("late24", 1, mark.ReasonExpired)
	e.clock.t = time.Date(2026, 11, 24, 21, 0, 30, 0, time.UTC) // 00:00:30 in Moscow, the 25th
	e.rejected("early25", 2, mark.ReasonExpired)
	c := e.client()
	c.login(supName, supPass)
	for _, path := range []string{"/review", "/review/export.csv"} {
		code, body := c.get(path + "?from=26.11.2026&to=25.11.2026")
		if code != http.StatusBadRequest || !strings.Contains(body, "filter from 26.11.2026 is after to 25.11.2026") {
			t.Errorf("%s with the days reversed: %d\n%s", path, code, snippet(body, "filter"))
		}
	}
	for q, id := range map[string]string{"from=25.11.2026&to=25.11.2026": "early25", "from=24.11.2026&to=24.11.2026": "late24"} {
		code, body := c.get("/review?" + q)
		if code != http.StatusOK || strings.Count(body, `class="open"`) != 1 || !strings.Contains(body, "/review/"+id) {
			t.Errorf("%s: %d, want only %s", q, code, id)
		}
	}
}

// TestFormOverLimit: a form body over its limit is 413 naming the limit,
// with nothing done. It read as a form without its fields: a 403 "reload
// the page" when the token was in the form, and, when a fetch sent the
// token in X-CSRF-Token, a rejection confirmed without its note. The
// longest note the form lets through (2000 characters of 4 bytes, 24 KB
// encoded) is under the limit.
func TestFormOverLimit(t *testing.T) {
	e, c := twoRejected(t)
	huge := strings.Repeat("x", maxForm)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		hdr        map[string]string
	}{
		{"token in the form", "/review/r1/confirm", url.Values{"csrf": {c.csrf}, "note": {huge}}, nil},
		{"token in the header", "/review/r1/confirm", url.Values{"note": {huge}}, map[string]string{"X-CSRF-Token": c.csrf}},
		{"override, token in the header", "/review/r1/override", url.Values{"note": {huge}}, map[string]string{"X-CSRF-Token": c.csrf}},
		{"resend", "/review/setaside/resend", url.Values{"csrf": {c.csrf}, "all": {"1"}, "pad": {huge}}, nil},
	} {
		code, body, _ := c.do("POST", tc.path, tc.form, tc.hdr)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "more than 65536 bytes") {
			t.Errorf("%s: %d, want 413 naming the limit\n%s", tc.name, code, snippet(body, "form"))
		}
	}
	if a, _ := e.db.AuditFor(context.Background(), "r1"); len(a) != 0 {
		t.Fatalf("a form over the limit was acted on: %+v", a)
	}
	note := strings.Repeat("😀", maxNote)
	if code, body := c.post("/review/r2/confirm", url.Values{"note": {note}}); code != http.StatusSeeOther {
		t.Fatalf("the longest note: %d, want 303\n%s", code, snippet(body, "form"))
	}
	fresh := e.client()
	fresh.get("/login")
	code, body, _ := fresh.do("POST", "/login", url.Values{"csrf": {fresh.csrf}, "user": {supName}, "password": {strings.Repeat("p", maxLoginForm)}}, nil)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "more than 8192 bytes") {
		t.Fatalf("login form over its limit: %d, want 413\n%s", code, snippet(body, "form"))
	}
}

// TestReviewNoteCharacters: the counter's review form holds a note to the
// collector's rule (webtext.CheckNote): a right-to-left override or a zero
// width space is refused, 400, naming the character and its position, and
// nothing is reviewed; line breaks (the textarea's CR LF) and a tab are
// kept.
func TestReviewNoteCharacters(t *testing.T) {
	e, c := twoRejected(t)
	c.get("/review/r1")
	for _, x := range []struct{ path, note, want string }{
		{"/review/r1/override", "чек \u202Eпоказан", "character 5 is U+202E RIGHT-TO-LEFT OVERRIDE"},
		{"/review/r1/confirm", "ok\u200B", "character 3 is U+200B ZERO WIDTH SPACE"},
	} {
		code, body := c.post(x.path, url.Values{"note": {x.note}})
		if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), x.want) {
			t.Errorf("%s with %q: %d, want 400 naming %q\n%s", x.path, x.note, code, x.want, snippet(body, "note"))
		}
	}
	if a, err := e.db.AuditFor(context.Background(), "r1"); err != nil || len(a) != 0 {
		t.Fatalf("audit of r1 after the refusals: %+v %v, want none", a, err)
	}
	note := "Клиент показал чек.\r\nПроверено:\tда"
	if code, body := c.post("/review/r2/override", url.Values{"note": {note}}); code != http.StatusSeeOther {
		t.Fatalf("override with line breaks and a tab: %d, want 303\n%s", code, snippet(body, "note"))
	}
	if a, err := e.db.AuditFor(context.Background(), "r2"); err != nil || len(a) != 1 || a[0].Note != note {
		t.Fatalf("audit of r2: %+v %v", a, err)
	}
}
