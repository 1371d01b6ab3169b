package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"markd/batch"
	"markd/httpapi"
	"markd/internal/testdata"
	"markd/issuer"
)

// TestAPIWriteBudget: through the pages' front (real tokens) to the API
// on a real store and pipeline, a token's batch writes (open, list,
// close, cancel) past api.write_burst are 429 too_many with Retry-After
// naming the token, and nothing is done; scans are not limited (a
// customer's hundreds of letters at once), reads neither; another token
// has its own budget; the budget refills at api.write_limit a minute.
func TestAPIWriteBudget(t *testing.T) {
	ck := &clock{t: testdata.Now()} // elapsed time only
	e := newAPIEnvWith(t, func(o *httpapi.Options) { o.WriteLimit, o.WriteBurst, o.Clock = 6, 3, ck.Now })
	// writes 1, 2, 3: the burst spent
	id := e.openBatch(t, 77)
	if a := e.call(t, "POST", "/api/batches/"+id+"/cancel", "", nil); a.code != http.StatusOK {
		t.Fatalf("cancel: %d %s", a.code, a.body)
	}
	id = e.openBatch(t, 77)
	var list strings.Builder
	list.WriteString("n;tracking;mail_class;weight_g;tariff_kop;serial\n")
	for i := uint64(1); i <= 300; i++ {
		fmt.Fprintf(&list, "%d;%014d;2;20;50000;%d\n", i, issuer.Tracking(426000, i), i)
	}
	csv := map[string]string{"Content-Type": "text/csv"}
	a := e.call(t, "POST", "/api/batches/"+id+"/expect", list.String(), csv)
	if a.code != http.StatusTooManyRequests {
		t.Fatalf("a 4th batch write of a burst of 3: %d %s, want 429", a.code, a.body)
	}
	eb := a.errBody(t)
	if eb["code"] != "too_many" || !strings.Contains(fmt.Sprint(eb["error"]), `API token "kassa"`) ||
		!strings.Contains(fmt.Sprint(eb["error"]), "api.write_limit") {
		t.Errorf("429 body %s: want code too_many naming the token and api.write_limit", a.body)
	}
	if ra := a.hdr.Get("Retry-After"); ra != "10" {
		t.Errorf("Retry-After %q, want 10 (one write each 10 s at 6 a minute)", ra)
	}
	var st batch.StatusJSON
	if a := e.call(t, "GET", "/api/batches/"+id, "", nil); a.code != http.StatusOK { // reads are not limited
		t.Fatalf("read while writes are refused: %d %s", a.code, a.body)
	} else if a.json(t, &st); st.HasList {
		t.Error("the refused list was imported")
	}
	for _, p := range []string{"close", "cancel"} {
		if a := e.call(t, "POST", "/api/batches/"+id+"/"+p, "", nil); a.code != http.StatusTooManyRequests {
			t.Errorf("%s over the budget: %d %s", p, a.code, a.body)
		}
	}
	// A customer's letters scanned as fast as they come: none refused.
	for i := uint64(1); i <= 300; i++ {
		if a, res := e.scan(t, i, 77, id, nil); a.code != http.StatusOK || res.Verdict != "ACCEPT" {
			t.Fatalf("scan %d of a batch, writes refused: %d %s", i, a.code, a.body)
		}
	}
	// Another token has its own budget: its open is judged (409, one
	// open batch a counter), not refused.
	tok2, err := e.db.AddToken(context.Background(), "kassa2")
	if err != nil {
		t.Fatal(err)
	}
	if a := e.call(t, "POST", "/api/batches", `{"contract": 77}`, map[string]string{"Authorization": "Bearer " + tok2}); a.code != http.StatusConflict {
		t.Errorf("another token's first write: %d %s, want 409 (judged)", a.code, a.body)
	}
	// A logged-in user (the operator screen's batch panel) has their own:
	// judged three times (409), refused the fourth naming them.
	op := e.client()
	op.login(opName, opPass)
	hdr := map[string]string{"X-CSRF-Token": op.csrf, "Accept": "application/json"}
	for i := 1; i <= 4; i++ {
		code, body, h := op.do("POST", "/api/batches", nil, hdr)
		switch {
		case i <= 3 && code != http.StatusConflict:
			t.Errorf("the operator's batch write %d: %d %s, want 409 (judged)", i, code, body)
		case i == 4 && (code != http.StatusTooManyRequests || !strings.Contains(body, `user \"`+opName+`\"`) || h.Get("Retry-After") == ""):
			t.Errorf("the operator's 4th batch write of a burst of 3: %d %s, want 429 naming the user", code, body)
		}
	}
	ck.Add(10 * time.Second) // one write back
	if a := e.call(t, "POST", "/api/batches/"+id+"/expect", list.String(), csv); a.code != http.StatusOK {
		t.Fatalf("the list after Retry-After: %d %s", a.code, a.body)
	}
	if a := e.call(t, "POST", "/api/batches/"+id+"/close", "", nil); a.code != http.StatusTooManyRequests {
		t.Errorf("a second write 10 s after the refusal: %d, want 429", a.code)
	}
	ck.Add(10 * time.Second)
	if a := e.call(t, "POST", "/api/batches/"+id+"/close", "", nil); a.code != http.StatusOK {
		t.Errorf("close after Retry-After: %d %s", a.code, a.body)
	}
}
