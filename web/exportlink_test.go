package web

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"markd/mark"
)

// TestExportLinkKeepsFilter: the Download CSV link of the rejected-marks
// list and of the batches carries the filter as a query string the server
// reads (state=pending, not state%3dpending, which reads as a key without
// a value: the whole list exported), and the CSV it gives is filtered.
func TestExportLinkKeepsFilter(t *testing.T) {
	e, _ := batchEnv(t)
	e.rejected("x-under", 30, mark.ReasonUnderpaid)
	e.rejected("x-exp", 31, mark.ReasonExpired)
	c := e.client()
	c.login(supName, supPass)
	href := regexp.MustCompile(`id="(?:batch-)?export" href="([^"]*)"`)
	for _, tc := range []struct {
		page, want string
	}{
		{"/review?reason=UNDERPAID&questioned=1", "/review/export.csv?questioned=1&reason=UNDERPAID"},
		{"/review/batches?state=closed&counter=A", "/review/batches/export.csv?counter=A&state=closed"},
	} {
		code, body := c.get(tc.page)
		m := href.FindStringSubmatch(body)
		if code != http.StatusOK || m == nil {
			t.Fatalf("%s: %d, no export link", tc.page, code)
		}
		if got := html.UnescapeString(m[1]); got != tc.want {
			t.Errorf("%s: export link %q, want %q", tc.page, got, tc.want)
		}
	}
	code, body := c.get("/review?reason=UNDERPAID")
	link := html.UnescapeString(href.FindStringSubmatch(body)[1])
	if code, body = c.get(link); code != http.StatusOK || !strings.Contains(body, "x-under") || strings.Contains(body, "x-exp") {
		t.Fatalf("%s: %d, want x-under alone:\n%s", link, code, body)
	}
}
