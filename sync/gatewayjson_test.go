package sync

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"markd/mark"
)

// TestGatewayJSONError: an API gateway in front of the collector answers
// its own JSON error ({"message": "..."}, not markhub's code/error); the
// counter's error says what it said and that it is not markhub's, not a
// bare "collector answered 429".
func TestGatewayJSONError(t *testing.T) {
	col := newCollector(t, "office-a")
	f := newFront(t, col)
	f.set(jsonAnswer(http.StatusTooManyRequests, `{"message":"API rate limit exceeded for kassa-1"}`, "Retry-After", "30"))
	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 1600, day0)
	u := NewUploader(db, newClient(t, f.srv.URL, "office-a"), UploaderOptions{}, quiet, nil)
	_, _, err := u.Once(context.Background(), true)
	if err == nil || !strings.Contains(err.Error(), "API rate limit exceeded for kassa-1") || !strings.Contains(err.Error(), "not from markhub") {
		t.Fatalf("Once: %v, want the gateway's message, named as not markhub's", err)
	}
}
