package web

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"markd/mark"
	"markd/store"
)

// questionNote is the region's reviewer's note on x-q2 (questionedData):
// several lines, markup a page must show as text, a word too long for a
// cell, and more than the list shows.
var questionNote = "Часовой пояс кассы был Europe/Moscow вместо Europe/Samara; исправлено.\n" +
	`<script>alert("x")</script> & <b>bold</b>` + "\n" +
	strings.Repeat("длинноеслово", 12) + " " + strings.Repeat("Марка действительна, отказ ошибочен. ", 8)

// TestReviewQuestionNotes: the region's reviewer's name and note reach
// the rejected-marks list (cut, with an ellipsis) and the rejection's
// page (whole), HTML-escaped; a reopened question says it was reopened,
// with the reopening's note; a question without a note shows none.
func TestReviewQuestionNotes(t *testing.T) {
	e := newEnv(t, nil)
	e.a11yData()
	e.questionedData()
	c := e.client()
	c.login(supName, supPass)
	escaped := html.EscapeString(questionNote)
	code, body := c.get("/review/x-q2")
	if code != http.StatusOK || !strings.Contains(body, `data-question-note="closed"`) || !strings.Contains(body, escaped) ||
		!strings.Contains(body, "Анна &lt;b&gt;Петрова&lt;/b&gt;") || strings.Contains(body, "<script>alert") ||
		!strings.Contains(body, "The region's reviewer's note") {
		t.Fatalf("/review/x-q2: %d, the note missing or not escaped:\n%s", code, body)
	}
	code, body = c.get("/review")
	if code != http.StatusOK || strings.Count(body, `class="question-note"`) != 1 || strings.Contains(body, escaped) ||
		strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("/review: %d, want the note once, cut and escaped:\n%s", code, body)
	}
	i := strings.Index(body, `<span class="note">`)
	cut := html.UnescapeString(body[i+len(`<span class="note">`) : i+strings.Index(body[i:], "</span>")])
	if !strings.HasSuffix(cut, "…") || utf8.RuneCountInString(cut) != listNoteRunes+1 ||
		!strings.HasPrefix(questionNote, strings.TrimSuffix(cut, "…")) {
		t.Fatalf("the list's note %q: want the first %d characters and an ellipsis", cut, listNoteRunes)
	}
	if code, body = c.get("/review/x-q1"); code != http.StatusOK || strings.Contains(body, "question-note") {
		t.Fatalf("/review/x-q1 shows a note it has not: %d", code)
	}
	if err := e.db.ApplyQuestions(context.Background(), []store.CollectorQuestion{{RecordID: "x-q2",
		Reasons: []mark.Reason{mark.ReasonUnderpaid}, Why: "UNDERPAID does not hold", State: store.QuestionOpen, Seq: 5,
		ReviewBy: "lead", ReviewNote: "not fixed after all"}}, 5); err != nil {
		t.Fatal(err)
	}
	code, body = c.get("/review/x-q2")
	if code != http.StatusOK || !strings.Contains(body, `data-question-note="reopened"`) || !strings.Contains(body, "(lead)") ||
		!strings.Contains(body, "not fixed after all") || !strings.Contains(body, "Reopened by the region") {
		t.Fatalf("/review/x-q2 reopened: %d\n%s", code, body)
	}
}
