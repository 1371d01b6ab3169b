package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
)

// TestReviewCSVQuestioned: the rejected-marks export keeps its columns in
// their order and gives the collector's question after them: its state,
// the collector's reason, when the region's reviewer closed it (the
// counter's zone), the reviewer's name and note as stored (not HTML), a
// formula in any of them defused; a rejection without a question leaves
// them empty.
func TestReviewCSVQuestioned(t *testing.T) {
	e := newEnv(t, nil)
	e.a11yData()
	e.questionedData()
	if err := e.db.ApplyQuestions(context.Background(), []store.CollectorQuestion{{RecordID: "x-rej",
		Reasons: []mark.Reason{mark.ReasonUnderpaid}, Why: "+1 UNDERPAID does not hold", State: store.QuestionReviewed,
		ReviewedAt: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC), Seq: 5,
		ReviewBy: "@boss", ReviewNote: `=HYPERLINK("http://evil.example/","fixed")`}}, 5); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login(supName, supPass)
	code, body := c.get("/review/export.csv")
	if code != http.StatusOK {
		t.Fatalf("export: %d\n%s", code, body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	before := []string{"id", "time", "office", "counter", "operator", "source", "verdict", "reasons", "reasons_ru",
		"review_state", "serial", "contract", "mail_class", "weight_g", "paid_rub", "tracking", "first_accepted_record", "raw_text"}
	added := []string{"questioned_state", "questioned_why", "questioned_reviewed_at", "questioned_review_by", "questioned_review_note"}
	if !slices.Equal(rows[0], append(slices.Clone(before), added...)) {
		t.Fatalf("header %q: want the columns before, in their order, then %q", rows[0], added)
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r[len(before):]
	}
	for id, want := range map[string][]string{
		"x-q1":  {"open", "", "", "", ""},
		"x-q2":  {"reviewed", "the collector would have accepted this mark: UNDERPAID does not hold", "2026-11-25 11:00:00 +03:00", "Анна <b>Петрова</b>", questionNote},
		"x-rej": {"reviewed", "'+1 UNDERPAID does not hold", "2026-11-25 12:30:00 +03:00", "'@boss", `'=HYPERLINK("http://evil.example/","fixed")`},
	} {
		got, ok := byID[id]
		if id == "x-q1" && ok && strings.Contains(got[1], "Europe/Samara") {
			got[1] = "" // the collector's long reason: checked above on the pages
		}
		if !ok || !slices.Equal(got, want) {
			t.Errorf("%s: question columns %q, want %q", id, got, want)
		}
	}
	var plain int
	for id, r := range byID {
		if !strings.HasPrefix(id, "x-q") && id != "x-rej" {
			plain++
			if !slices.Equal(r, []string{"", "", "", "", ""}) {
				t.Errorf("%s, not questioned: %q", id, r)
			}
		}
	}
	if plain == 0 {
		t.Fatal("no rejection without a question in the export")
	}
}
