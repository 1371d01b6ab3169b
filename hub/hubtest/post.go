package hubtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"markd/hub"
)

// postUpload posts body to the collector at url's upload route as
// terminal term (its token tok-term) and gives the answer's status,
// headers and body, whatever the status.
func postUpload(t *testing.T, url, term string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/upload", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok-"+term)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("upload: read the answer: %v", err)
	}
	return resp.StatusCode, resp.Header, raw
}

// uploadOK uploads recs as terminal term and fails the test unless the
// collector answers 200; it gives the answer's headers and body.
func uploadOK(t *testing.T, url, term string, recs ...hub.Record) (http.Header, []byte) {
	t.Helper()
	body, err := json.Marshal(hub.UploadRequest{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	code, h, raw := postUpload(t, url, term, body)
	if code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, raw)
	}
	return h, raw
}
