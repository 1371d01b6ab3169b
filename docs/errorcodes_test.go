package docs_test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"markd/internal/httperr"
)

// TestCollectorErrorCodes: the codes docs/api.md says an error body of
// the collector carries are those internal/httperr gives the statuses the
// collector answers (a 405 is "method_not_allowed": the list lacked it),
// so a client written from the page knows every code it will meet.
func TestCollectorErrorCodes(t *testing.T) {
	data, err := os.ReadFile("api.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(data)), " ")
	_, list, ok := strings.Cut(text, "`code` is one of ")
	if !ok {
		t.Fatal("api.md has no sentence \"`code` is one of …\"")
	}
	list, _, _ = strings.Cut(list, ";")
	var documented []string
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(list, -1) {
		documented = append(documented, m[1])
	}
	// what hub answers: hub/server.go and its handlers through httperr
	var want []string
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusConflict, http.StatusRequestEntityTooLarge,
		http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInternalServerError} {
		if c := httperr.Code(status); !slices.Contains(want, c) {
			want = append(want, c)
		}
	}
	slices.Sort(documented)
	slices.Sort(want)
	if !slices.Equal(documented, want) {
		t.Errorf("api.md says `code` is one of %v; the collector answers %v", documented, want)
	}
}
