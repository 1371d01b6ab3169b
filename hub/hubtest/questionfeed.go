package hubtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"markd/hub"
	"markd/mark"
)

// RunQuestionFeedSuite holds the collector to its feed of questioned
// rejections (GET /v1/questioned) over real HTTP: an upload answer names
// hub.TakesQuestions and its body is as before; a terminal reads only its
// own questioned records, page by page in the order they changed; a
// repeat of a stored record changes nothing; the region's review and
// reopening come again at the next pull with the new state and the
// reviewer's name and note (bounded, neutralised); a bad cursor
// or limit is refused naming it; no credentials, no feed.
func RunQuestionFeedSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	ctx := context.Background()
	Publish(t, s)
	vs := PublishedVersions(t)
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Now: func() time.Time { return t0.Add(24 * time.Hour) }}).Handler())
	t.Cleanup(srv.Close)
	// questioned is term's REJECT UNDERPAID of a mark paid in full under
	// the published lists: the collector questions it.
	questioned := func(term, id string, serial uint64) hub.Record {
		r := Rec(id, Offices[term], "1", mark.Reject, serial)
		r.Versions, r.Reasons, r.Verification = vs, []mark.Reason{mark.ReasonUnderpaid}, ""
		return r
	}
	truly := Rec("a-true", Offices["office-a"], "1", mark.Reject, 0) // no mark: never judged
	recs := []hub.Record{questioned("office-a", "a-1", 801), questioned("office-a", "a-2", 802), truly,
		questioned("office-a", "a-3", 803)}
	h, raw := uploadOK(t, srv.URL, "office-a", recs...)
	if !hub.Takes(h, hub.TakesQuestions) {
		t.Fatalf("upload answer's %s %q does not name %s", hub.HeaderTakes, h.Get(hub.HeaderTakes), hub.TakesQuestions)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if strings.Contains(k, "question") {
			t.Fatalf("the upload answer's body is as an older counter knows it; it has %q: %s", k, raw)
		}
	}
	uploadOK(t, srv.URL, "office-b", questioned("office-b", "b-1", 901))

	var next int64
	t.Run("own records only, paged in order", func(t *testing.T) {
		p := pullPage(t, srv.URL, "office-a", 0, 2)
		if p.Done || len(p.Items) != 2 || p.Items[0].RecordID != "a-1" || p.Items[1].RecordID != "a-2" || p.Next != p.Items[1].Seq ||
			p.Items[0].Seq >= p.Items[1].Seq {
			t.Fatalf("first page %+v", p)
		}
		it := p.Items[0]
		if it.State != hub.DisputeOpen || it.ReviewedAt != nil || joinReasons(it.Reasons) != "UNDERPAID" ||
			!strings.Contains(it.Why, "would have accepted") {
			t.Fatalf("item %+v", it)
		}
		p = pullPage(t, srv.URL, "office-a", p.Next, 2)
		if !p.Done || len(p.Items) != 1 || p.Items[0].RecordID != "a-3" {
			t.Fatalf("second page %+v", p)
		}
		next = p.Next
		if p := pullPage(t, srv.URL, "office-a", next, 0); !p.Done || len(p.Items) != 0 || p.Next != next {
			t.Fatalf("after the last: %+v", p)
		}
		b := pullPage(t, srv.URL, "office-b", 0, 0)
		if !b.Done || len(b.Items) != 1 || b.Items[0].RecordID != "b-1" {
			t.Fatalf("office-b reads %+v: want its own b-1 alone", b)
		}
	})
	t.Run("a repeat of a stored record changes nothing", func(t *testing.T) {
		uploadOK(t, srv.URL, "office-a", recs...)
		if p := pullPage(t, srv.URL, "office-a", next, 0); len(p.Items) != 0 {
			t.Fatalf("after a repeat: %+v", p)
		}
	})
	rg := regionalOf(t, s)
	t.Run("reviewed and reopened: the new state at the next pull", func(t *testing.T) {
		at := t0.Add(30 * time.Hour)
		if err := rg.SetDisputeState(ctx, "office-a", "a-2", hub.DisputeReviewed, "boss", "clock fixed", at); err != nil {
			t.Fatal(err)
		}
		p := pullPage(t, srv.URL, "office-a", next, 0)
		if len(p.Items) != 1 || p.Items[0].RecordID != "a-2" || p.Items[0].State != hub.DisputeReviewed ||
			p.Items[0].ReviewedAt == nil || !p.Items[0].ReviewedAt.Equal(at) || p.Items[0].Seq <= next ||
			p.Items[0].ReviewBy != "boss" || p.Items[0].ReviewNote != "clock fixed" || !p.Notes {
			t.Fatalf("after the review: %+v", p)
		}
		next = p.Next
		if b := pullPage(t, srv.URL, "office-b", 0, 0); len(b.Items) != 1 || b.Items[0].RecordID != "b-1" {
			t.Fatalf("office-b after a-2's review: %+v", b)
		}
		if err := rg.SetDisputeState(ctx, "office-a", "a-2", hub.DisputeOpen, "boss", "again", at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		p = pullPage(t, srv.URL, "office-a", next, 0)
		if len(p.Items) != 1 || p.Items[0].RecordID != "a-2" || p.Items[0].State != hub.DisputeOpen || p.Items[0].ReviewedAt != nil ||
			p.Items[0].ReviewBy != "boss" || p.Items[0].ReviewNote != "again" {
			t.Fatalf("after reopening: %+v", p)
		}
		next = p.Next
		// From the start: each record once, in the order of its last change.
		all := pullPage(t, srv.URL, "office-a", 0, 0)
		var ids []string
		for _, it := range all.Items {
			ids = append(ids, it.RecordID)
		}
		if got := strings.Join(ids, " "); got != "a-1 a-3 a-2" {
			t.Fatalf("from the start: %s", got)
		}
		if all.Items[0].ReviewBy != "" || all.Items[0].ReviewNote != "" {
			t.Fatalf("a-1, never reviewed, names a review: %+v", all.Items[0])
		}
	})
	t.Run("the reviewer's note: bounded, controls and bidi neutralised", func(t *testing.T) {
		at := t0.Add(32 * time.Hour)
		note := "fixed\r\nline 2 \u202egnp.exe\x07 \u200bend"
		if err := rg.SetDisputeState(ctx, "office-a", "a-1", hub.DisputeReviewed, "bo\u202ess\n", note, at); err != nil {
			t.Fatal(err)
		}
		p := pullPage(t, srv.URL, "office-a", next, 0)
		if len(p.Items) != 1 || p.Items[0].RecordID != "a-1" ||
			p.Items[0].ReviewNote != "fixed\nline 2 \ufffdgnp.exe\ufffd \ufffdend" || p.Items[0].ReviewBy != "bo\ufffdss\ufffd" {
			t.Fatalf("a note with controls: %+v", p)
		}
		next = p.Next
		long := strings.Repeat("я", hub.MaxDisputeNote) // two bytes a letter
		if err := rg.SetDisputeState(ctx, "office-a", "a-1", hub.DisputeReviewed, strings.Repeat("b", 300), long, at); err != nil {
			t.Fatal(err)
		}
		p = pullPage(t, srv.URL, "office-a", next, 0)
		if len(p.Items) != 1 || len(p.Items[0].ReviewNote) != hub.MaxDisputeNote || !utf8.ValidString(p.Items[0].ReviewNote) ||
			len(p.Items[0].ReviewBy) != hub.MaxReviewerName {
			t.Fatalf("a long note: %d bytes (valid %t), name %d bytes; want %d, %d", len(p.Items[0].ReviewNote),
				utf8.ValidString(p.Items[0].ReviewNote), len(p.Items[0].ReviewBy), hub.MaxDisputeNote, hub.MaxReviewerName)
		}
	})
	t.Run("bad cursor, bad limit, no credentials", func(t *testing.T) {
		for _, c := range []struct {
			query, tok string
			code       int
			field      string
		}{
			{"after=-1", "tok-office-a", http.StatusBadRequest, "after"},
			{"after=x", "tok-office-a", http.StatusBadRequest, "after"},
			{"limit=0", "tok-office-a", http.StatusBadRequest, "limit"},
			{fmt.Sprintf("limit=%d", hub.MaxQuestionedPage+1), "tok-office-a", http.StatusBadRequest, "limit"},
			{"after=0", "", http.StatusUnauthorized, ""},
			{"after=0", "tok-nobody", http.StatusUnauthorized, ""},
		} {
			code, raw := getFeed(t, srv.URL, c.tok, c.query)
			var e hub.ErrorResponse
			if code != c.code || json.Unmarshal(raw, &e) != nil || e.Field != c.field {
				t.Errorf("%s (token %q): %d %s, want %d naming %q", c.query, c.tok, code, raw, c.code, c.field)
			}
		}
	})
}

// getFeed asks the collector at url for GET /v1/questioned?query with the
// bearer token tok ("" = none).
func getFeed(t *testing.T, url, tok, query string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/v1/questioned?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// pullPage reads one page of term's feed after the cursor (limit 0: the
// collector's page size).
func pullPage(t *testing.T, url, term string, after int64, limit int) hub.QuestionedPage {
	t.Helper()
	q := fmt.Sprintf("after=%d", after)
	if limit > 0 {
		q += fmt.Sprintf("&limit=%d", limit)
	}
	code, raw := getFeed(t, url, "tok-"+term, q)
	var p hub.QuestionedPage
	if code != http.StatusOK || json.Unmarshal(raw, &p) != nil {
		t.Fatalf("GET /v1/questioned?%s as %s: %d %s", q, term, code, raw)
	}
	return p
}
