package hubtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"markd/hub"
)

// Post sends body to the collector at url's upload route with token as
// its bearer (none when "") and ctype as its Content-Type (none when
// ""), then the headers in header, and gives the answer's status, headers
// and body, whatever the status.
func Post(t *testing.T, url, token, ctype string, body []byte, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/upload", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
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

// postUpload posts body to the collector at url's upload route as
// terminal term (its token tok-term) and gives the answer's status,
// headers and body, whatever the status.
func postUpload(t *testing.T, url, term string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	return Post(t, url, "tok-"+term, "application/json", body, nil)
}

// refusalOf is the error body of an answer other than 200 (none for a
// 200); a refusal whose body is not JSON fails the test.
func refusalOf(t *testing.T, code int, raw []byte) hub.ErrorResponse {
	t.Helper()
	var e hub.ErrorResponse
	if code != http.StatusOK {
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("error body not JSON: %q", raw)
		}
	}
	return e
}

// answerOf is the body of an upload's answer: the response of a 200, the
// error of anything else; one not JSON fails the test.
func answerOf(t *testing.T, code int, raw []byte) (hub.UploadResponse, hub.ErrorResponse) {
	t.Helper()
	var ok hub.UploadResponse
	var bad hub.ErrorResponse
	var err error
	if code == http.StatusOK {
		err = json.Unmarshal(raw, &ok)
	} else {
		err = json.Unmarshal(raw, &bad)
	}
	if err != nil {
		t.Fatalf("answer %d not JSON: %q", code, raw)
	}
	return ok, bad
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
