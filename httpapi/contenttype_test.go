package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"markd/batch"
	"markd/mark"
)

// TestContentType: a JSON request says application/json or nothing; a
// list is its file's bytes (CSV or JSON, told from the content) whatever
// text type it is sent as. A body sent as a form or as another type is
// 415 naming what the route takes (a list posted as a multipart form was
// a 400 about its "--boundary" header line, a scan as a form was read as
// JSON all the same).
func TestContentType(t *testing.T) {
	e := newBatchEnv(t)
	post := func(path, ct, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("POST %s (%s): %d %q", path, ct, resp.StatusCode, b)
		}
		return resp.StatusCode, m
	}
	code, m := post("/api/batches", "application/json; charset=utf-8", `{"contract": 77}`)
	if code != http.StatusCreated {
		t.Fatalf("open: %d %v", code, m)
	}
	id := m["id"].(string)
	list := csvList(3)
	for _, ct := range []string{"", "text/csv", "text/csv; charset=windows-1251", "text/plain", "application/octet-stream",
		"application/vnd.ms-excel", "application/json"} {
		if code, m := post("/api/batches/"+id+"/expect", ct, list); code != http.StatusOK || m["list_items"] != 3.0 {
			t.Errorf("list as %q: %d %v", ct, code, m)
		}
	}
	for _, ct := range []string{"", "application/json", "application/json; charset=utf-8"} {
		if code, m := post("/api/scans", ct, scanBody(e.sign(1, 77, 20), 0, id)); code != http.StatusOK || m["verdict"] == string(mark.Error) {
			t.Errorf("scan as %q: %d %v", ct, code, m)
		}
	}
	tests := []struct {
		path, ct, body, names string
	}{
		{"/api/scans", "application/x-www-form-urlencoded", scanBody(e.sign(2, 77, 20), 0, id), "application/json"},
		{"/api/scans", "text/plain", scanBody(e.sign(2, 77, 20), 0, id), "application/json"},
		{"/api/batches", "multipart/form-data; boundary=x", "--x--", "application/json"},
		{"/api/batches/" + id + "/expect", "multipart/form-data; boundary=x", "--x\r\n\r\n" + list + "--x--", "text/csv"},
		{"/api/batches/" + id + "/expect", "application/x-www-form-urlencoded", list, "text/csv"},
		{"/api/batches/" + id + "/expect", "application/pdf", list, "text/csv"},
		{"/api/batches/" + id + "/expect", "not a type", list, "text/csv"},
	}
	for _, tc := range tests {
		code, m := post(tc.path, tc.ct, tc.body)
		if code != http.StatusUnsupportedMediaType || m["code"] != "unsupported_type" ||
			!strings.Contains(m["error"].(string), tc.names) || m["hint"] == nil {
			t.Errorf("POST %s as %q: %d %v, want 415 naming %s, with a hint", tc.path, tc.ct, code, m, tc.names)
		}
	}
	var st batch.StatusJSON
	e.do(t, "GET", "/api/batches/"+id, "", &st)
	if st.Totals.Scans != 3 || st.ListItems != 3 {
		t.Errorf("after the refusals: %d scans %d items, want the 3 taken and 3", st.Totals.Scans, st.ListItems)
	}
}
