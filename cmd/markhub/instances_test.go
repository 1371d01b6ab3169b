package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/testdata"
	"markd/mark"
)

// TestProcessesTwoInstancesOnePostgres runs two `markhub serve` processes
// over one PostgreSQL database. Two offices accepted the same serials;
// their uploads race on the two instances, and every batch is also sent
// to the other instance at the same moment (a counter retrying after a
// timeout on a load balancer). Afterwards every record is stored once,
// every serial is held by its earliest scan, and each reuse made exactly
// one alert on each side: the database's constraints decide, not memory.
func TestProcessesTwoInstancesOnePostgres(t *testing.T) {
	dsn := hubtest.SharedDatabase(t)
	markhub, _ := buildBinaries(t)
	ctx := context.Background()
	pg := []string{"--db-driver", "postgres", "--db", dsn}
	tokA := run1(t, markhub, append([]string{"terminal", "add", "office-a", "--office", "426000"}, pg...)...)
	tokB := run1(t, markhub, append([]string{"terminal", "add", "office-b", "--office", "101000"}, pg...)...)
	publishTestKeyring(t, "postgres", dsn)
	var urls [2]string
	for i := range urls {
		addr := freePort(t)
		start(t, true, markhub, append([]string{"serve", "--listen", addr}, pg...)...)
		urls[i] = "http://" + addr
	}

	const n, batch = 400, 25
	base := testdata.Now().Add(-48 * time.Hour)
	recs := func(prefix string, office uint32, lo, hi int, at func(i int) time.Time) []hub.Record {
		out := make([]hub.Record, 0, hi-lo)
		for i := lo; i < hi; i++ {
			m := hubtest.TestMark(uint64(70000+i), 426000) // one mark, two offices
			f := m.Fields()
			out = append(out, hub.Record{ID: fmt.Sprintf("%s-%04d", prefix, i), At: at(i), Office: office, Counter: "1",
				Source: "stdin", Text: hubtest.Sign(m), Verdict: mark.Accept, Reasons: []mark.Reason{}, Mark: &f,
				Versions: mark.Versions{Keyring: "k", Tariffs: "t", Revocations: "r"}})
		}
		return out
	}
	// Office a scanned every serial at base+i s; office b scanned the even
	// ones earlier and the odd ones later, so the holder moves for half.
	atA := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	atB := func(i int) time.Time {
		if i%2 == 0 {
			return atA(i).Add(-time.Minute)
		}
		return atA(i).Add(time.Minute)
	}
	client := &http.Client{Timeout: time.Minute}
	// postOnce sends one upload; post sends it again after a 503 (the
	// collector's store slower than its deadline, as on a loaded CI
	// machine), as markd sync does: the same records, stored once.
	postOnce := func(url, token string, q hub.UploadRequest) (hub.UploadResponse, int, error) {
		body, _ := json.Marshal(q)
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/upload", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return hub.UploadResponse{}, 0, err
		}
		defer resp.Body.Close()
		var out hub.UploadResponse
		if resp.StatusCode != http.StatusOK {
			var e hub.ErrorResponse
			_ = json.NewDecoder(resp.Body).Decode(&e)
			return out, resp.StatusCode, fmt.Errorf("%s: status %d: %s", url, resp.StatusCode, e.Error)
		}
		return out, resp.StatusCode, json.NewDecoder(resp.Body).Decode(&out)
	}
	post := func(url, token string, q hub.UploadRequest) (hub.UploadResponse, error) {
		for attempt := 1; ; attempt++ {
			out, code, err := postOnce(url, token, q)
			if code != http.StatusServiceUnavailable || attempt == 5 {
				return out, err
			}
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
	}
	stored := map[string]int{}
	var mu sync.Mutex
	for lo := 0; lo < n; lo += batch {
		a := hub.UploadRequest{Records: recs("a", 426000, lo, lo+batch, atA)}
		b := hub.UploadRequest{Records: recs("b", 101000, lo, lo+batch, atB)}
		sends := []struct {
			url, token, who string
			q               hub.UploadRequest
		}{{urls[0], tokA, "a", a}, {urls[1], tokB, "b", b}, {urls[1], tokA, "a", a}, {urls[0], tokB, "b", b}}
		var wg sync.WaitGroup
		gate := make(chan struct{})
		errs := make(chan error, len(sends))
		for _, s := range sends {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				r, err := post(s.url, s.token, s.q)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				stored[s.who] += r.Stored
				mu.Unlock()
			}()
		}
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("upload of batch at %d: %v", lo, err)
		}
	}
	if stored["a"] != n || stored["b"] != n {
		t.Fatalf("stored per terminal %v, want %d each (each batch went to both instances)", stored, n)
	}
	// Each terminal's next upload (to either instance) names every reuse once.
	for i, tok := range []string{tokA, tokB} {
		r, err := post(urls[1-i], tok, hub.UploadRequest{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uint64]int{}
		for _, al := range r.Alerts {
			seen[al.Serial]++
		}
		if len(r.Alerts) != n || len(seen) != n {
			t.Fatalf("terminal %d: %d alerts over %d serials, want %d, one each", i, len(r.Alerts), len(seen), n)
		}
	}
	regionalOnTwoInstances(t, markhub, pg, urls)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var records, uses, alerts, wrongHolder int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM used_serials),
		(SELECT count(*) FROM alerts),
		(SELECT count(*) FROM used_serials WHERE terminal <> CASE WHEN serial % 2 = 0 THEN 'office-b' ELSE 'office-a' END)`).
		Scan(&records, &uses, &alerts, &wrongHolder); err != nil {
		t.Fatal(err)
	}
	if records != 2*n || uses != n || alerts != 2*n || wrongHolder != 0 {
		t.Fatalf("database: %d records, %d used serials, %d alerts, %d serials held by the later scan; want %d, %d, %d, 0",
			records, uses, alerts, wrongHolder, 2*n, n, 2*n)
	}
	// The reject rollup was kept in the racing uploads' transactions: each
	// office's day counts each record once, whichever instance stored it.
	var off, rolled int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE r.n IS DISTINCT FROM c.n), coalesce(sum(c.n), 0)
		FROM (SELECT office, (at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM records GROUP BY 1, 2) r
		FULL JOIN (SELECT office, day, accepted + rejected + other AS n FROM office_day_counts) c ON c.office = r.office AND c.day = r.day`).
		Scan(&off, &rolled); err != nil {
		t.Fatal(err)
	}
	if off != 0 || rolled != 2*n {
		t.Fatalf("reject rollup: %d office days differ from the records, %d records counted; want 0 and %d", off, rolled, 2*n)
	}
}

// regionalOnTwoInstances: an account made with `markhub user add` logs in
// on one instance; the other instance honours the session (it lives in the
// database) and shows the fleet; a form posted without the session's CSRF
// token is refused.
func regionalOnTwoInstances(t *testing.T, markhub string, pg []string, urls [2]string) {
	t.Helper()
	add := exec.Command(markhub, append([]string{"user", "add", "region-sup"}, pg...)...)
	add.Stdin = strings.NewReader("correct horse battery\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("markhub user add: %v %s", err, out)
	}
	jar, _ := cookiejar.New(nil) // cookies do not depend on the port: both instances see them
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(urls[0] + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("login page without a form token: %s", body)
	}
	resp, err = c.PostForm(urls[0]+"/login", url.Values{"csrf": {string(m[1])}, "user": {"region-sup"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(urls[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-terminal="office-b"`) {
		t.Fatalf("fleet on the second instance: %d %s", resp.StatusCode, body)
	}
	resp, err = c.PostForm(urls[1]+"/alerts/1", url.Values{"state": {"resolved"}, "note": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("alert form without the CSRF token: %d, want 403", resp.StatusCode)
	}
}
