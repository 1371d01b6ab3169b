package hubweb_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestReviewNoteChecks: an alert's and a disputed acceptance's note is
// refused, saying why, when it holds a bidirectional control, is over
// 2000 bytes once trimmed, or is missing where the state needs one; the
// refusal comes before the store is asked (alert 999999 and record x
// exist nowhere).
func TestReviewNoteChecks(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e.ts.URL)
	tok := b.login(supName, supPass)
	long := strings.Repeat("я", 1000) + "x" // 2001 bytes
	tests := []struct {
		name, path, state, note, want string
	}{
		{"alert bidi", "/alerts/999999", "acknowledged", "a\u202eb", "note: character 2 is U+202E"},
		{"alert too long", "/alerts/999999", "acknowledged", "  " + long + "  ", "note: at most 2000 bytes, got 2001"},
		{"alert resolved without note", "/alerts/999999", "resolved", "   ", "note: say how the reuse was resolved (Заметка: опишите решение)"},
		{"dispute bidi", "/disputed", "reviewed", "a\u202eb", "note: character 2 is U+202E"},
		{"dispute too long", "/disputed", "open", long, "note: at most 2000 bytes, got 2001"},
		{"dispute reviewed without note", "/disputed", "reviewed", "", "note: say what the review found (Заметка: опишите, что выяснилось)"},
		{"question reviewed without note", "/questioned", "reviewed", " ", "note: say what the review found (Заметка: опишите, что выяснилось)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"csrf": {tok}, "state": {tt.state}, "note": {tt.note}, "terminal": {"office-a"}, "record": {"x"}}
			code, page, _ := b.do(http.MethodPost, tt.path, form)
			if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(page), tt.want) {
				t.Errorf("%s: %d, want 400 saying %q:\n%s", tt.path, code, tt.want, page)
			}
		})
	}
}
