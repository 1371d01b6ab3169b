package hubweb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/hubweb"
	"markd/hub/sqlitestore"
	"markd/mark"
)

// brokenDays is the real store whose office-days read fails after its
// first groups (a database going away mid-download).
type brokenDays struct {
	*sqlitestore.DB
	after int
}

var errGone = errors.New("database went away")

func (b brokenDays) OfficeDays(ctx context.Context, office uint32, from, to time.Time, fn func(hub.OfficeDayGroup) error) error {
	n := 0
	err := b.DB.OfficeDays(ctx, office, from, to, func(g hub.OfficeDayGroup) error {
		if n++; n > b.after {
			return errGone
		}
		return fn(g)
	})
	return err
}

// TestOfficeCSV: the CSV streams whole days; a store failure before the
// first row is an error page, after it the transfer breaks instead of
// ending short (an invoice check must not be silently incomplete).
func TestOfficeCSV(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var recs []hub.Record
	for i := range 3 {
		r := hubtest.Rec(fmt.Sprintf("csv-%d", i), 426000, "1", mark.Accept, uint64(5000+i))
		r.At = e.now.AddDate(0, 0, -i)
		recs = append(recs, r)
	}
	if _, err := e.store.Ingest(ctx, "office-a", &hub.UploadRequest{Records: recs}, e.now); err != nil {
		t.Fatal(err)
	}
	addSession(t, e.store, "csv-token", e.now)
	get := func(store hub.Regional, query string) (int, string, error) {
		pages, err := hubweb.New(hubweb.Options{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return e.now }})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(pages.Handler())
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/offices.csv?"+query, nil)
		req.AddCookie(&http.Cookie{Name: "markhub_session", Value: "csv-token"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	q := "office=426000&from=2026-11-23&to=2026-11-25&part=contracts"
	code, body, err := get(e.store, q)
	want := "day,office,contract,items,unverified,paid_kop,paid_rub\n2026-11-23,426000,7,1,0,5000,50.00\n2026-11-24,426000,7,1,0,5000,50.00\n2026-11-25,426000,7,2,0,10000,100.00\n"
	if err != nil || code != 200 || body != want {
		t.Fatalf("CSV: %d %v\n%s\nwant\n%s", code, err, body, want)
	}
	if code, body, _ := get(brokenDays{e.store, 0}, q); code != http.StatusServiceUnavailable && code != http.StatusInternalServerError {
		t.Errorf("failure before the first row: %d %q, want an error status", code, body)
	}
	if code, body, err := get(brokenDays{e.store, 2}, q); err == nil {
		t.Errorf("failure after the first day: %d, read without error:\n%s", code, body)
	} else if !strings.Contains(body, "2026-11-23") {
		t.Errorf("the first day should have come before the break: %q", body)
	}
	for _, bad := range []string{"office=426000&part=pdf", "part=days", "office=426000&part=days&from=x"} {
		if code, _, _ := get(e.store, bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
}

// TestCSVDownloadHeaders: the disputed and rejects exports are sent as
// a named CSV attachment no cache keeps, their head row first.
func TestCSVDownloadHeaders(t *testing.T) {
	e := newEnv(t)
	addSession(t, e.store, "csvh-token", e.now)
	pages, err := hubweb.New(hubweb.Options{Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages.Handler())
	defer srv.Close()
	tests := []struct{ path, file, head string }{
		{"/disputed.csv", "disputed.csv", "scanned,received,office,terminal,counter,record_id,serial,reasons,why,review_state,reviewed_at,review_by,review_note\n"},
		{"/rejects.csv?office=426&from=2026-11-19&to=2026-11-25", "rejects-426-2026-11-19-2026-11-25.csv",
			"rank,office,accepted,rejected,overridden,other,reject_share_pct,top_reasons\n"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
		req.AddCookie(&http.Cookie{Name: "markhub_session", Value: "csvh-token"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if err != nil || resp.StatusCode != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" || h.Get("Cache-Control") != "no-store" ||
			h.Get("Content-Disposition") != `attachment; filename="`+tt.file+`"` || !strings.HasPrefix(string(b), tt.head) {
			t.Errorf("%s: %d %v %v\n%s", tt.path, resp.StatusCode, err, h, b)
		}
	}
}
