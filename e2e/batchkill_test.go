package e2e

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"markd/internal/testdata"
)

// TestCloseKill9: markd run is SIGKILLed while the cash-desk program
// closes a batch, at points from before the close's commit to after its
// answer (the receipt made and stored or not). After the restart the
// desk, as it would, asks for the batch and closes it again when it is
// still open: the batch ends closed once, a close sent again gives the
// same closed_at, the receipt reads the same bytes every time and the
// same as one the desk got before the kill, the totals hold the scans
// acknowledged, and the scans' retries under their Idempotency-Keys are
// answered with the first records. Receipts made again from the stored
// scans (none stored) are the same bytes as those handed over.
func TestCloseKill9(t *testing.T) {
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	desk := tokenAdd(t, cfg, "kassa")
	text := contractMarks(t)
	type sent struct {
		code   int
		header http.Header
		body   []byte
	}
	send := func(method, path, body string, key string) (sent, error) {
		req, _ := http.NewRequest(method, desk.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+desk.token)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return sent{}, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return sent{resp.StatusCode, resp.Header, b}, err
	}
	must := func(method, path, body, key string, want int) sent {
		t.Helper()
		s, err := send(method, path, body, key)
		if err != nil || s.code != want {
			t.Fatalf("%s %s: %d %s %v, want %d", method, path, s.code, s.body, err, want)
		}
		return s
	}
	type batchView struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Closed string `json:"closed_at"`
		Totals struct {
			Scans, Accepted int
			PaidKop         int64 `json:"paid_kop"`
		} `json:"totals"`
	}
	view := func(s sent) batchView {
		t.Helper()
		var v batchView
		if err := json.Unmarshal(s.body, &v); err != nil {
			t.Fatalf("%s: %v", s.body, err)
		}
		return v
	}

	d := runDaemon(t, cfg, testdata.Now(), false)
	desk.url = d.URL
	receipts := map[string][]byte{}
	serial := uint64(0)
	rounds := 8
	for round := range rounds {
		id := view(must("POST", "/api/batches", `{"contract": 1004417}`, "", 201)).ID
		type keyed struct{ body, id string }
		ids := map[string]keyed{} // Idempotency-Key → the scan and its record
		for range 3 {
			serial++
			key := fmt.Sprintf("kassa-%d", serial)
			body := fmt.Sprintf(`{"text": %q, "batch": %q}`, text(serial), id)
			var rec struct{ ID, Verdict string }
			if err := json.Unmarshal(must("POST", "/api/scans", body, key, 200).body, &rec); err != nil || rec.Verdict != "ACCEPT" {
				t.Fatalf("scan %d: %+v %v", serial, rec, err)
			}
			ids[key] = keyed{body, rec.ID}
		}
		// The close, and the receipt right after it, while markd is killed.
		var closed, pdf sent
		var closeErr, pdfErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if closed, closeErr = send("POST", "/api/batches/"+id+"/close", "", ""); closeErr == nil {
				pdf, pdfErr = send("GET", "/api/batches/"+id+"/receipt.pdf", "", "")
			}
		}()
		time.Sleep(time.Duration(round) * 4 * time.Millisecond) // where the kill lands, not a timed check
		_ = d.cmd.Process.Kill()
		_ = d.cmd.Wait()
		wg.Wait()

		d = runDaemon(t, cfg, testdata.Now(), false)
		desk.url = d.URL
		st := view(must("GET", "/api/batches/"+id, "", "", 200))
		t.Logf("round %d: after the kill the batch is %s (close answered: %v; receipt read: %v)", round, st.State,
			closeErr == nil, closeErr == nil && pdfErr == nil)
		if st.State == "open" { // the close was not done: the desk sends it again
			st = view(must("POST", "/api/batches/"+id+"/close", "", "", 200))
		}
		again := view(must("POST", "/api/batches/"+id+"/close", "", "", 200))
		if st.State != "closed" || again.Closed != st.Closed {
			t.Errorf("round %d: %s closed_at %s, closed again %s", round, st.State, st.Closed, again.Closed)
		}
		if closeErr == nil && closed.code == 200 && view(closed).Closed != st.Closed {
			t.Errorf("round %d: the close answered closed_at %s before the kill, %s after", round, view(closed).Closed, st.Closed)
		}
		if st.Totals.Scans != 3 || st.Totals.Accepted != 3 {
			t.Errorf("round %d: totals %+v, want the 3 scans acknowledged", round, st.Totals)
		}
		got := must("GET", "/api/batches/"+id+"/receipt.pdf", "", "", 200).body
		if again := must("GET", "/api/batches/"+id+"/receipt.pdf", "", "", 200).body; !bytes.Equal(again, got) {
			t.Errorf("round %d: the receipt read twice differs", round)
		}
		if closeErr == nil && pdfErr == nil && pdf.code == 200 && !bytes.Equal(pdf.body, got) {
			t.Errorf("round %d: the receipt before the kill (%d bytes) differs from the one after (%d bytes)", round, len(pdf.body), len(got))
		}
		receipts[id] = got
		for key, k := range ids { // the desk's retries of the scans, after the restart
			s, err := send("POST", "/api/scans", k.body, key)
			var rec struct{ ID string }
			if err == nil {
				err = json.Unmarshal(s.body, &rec)
			}
			if err != nil || s.code != 200 || rec.ID != k.id || s.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("round %d: retry of %s: %d %s %v, want the first record %s replayed", round, key, s.code, rec.ID, err, k.id)
			}
		}
	}
	d.stop(t)

	// The receipts made again from the stored scans, none stored.
	db, err := sql.Open("sqlite3", dbPath(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM batch_receipts`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d = runDaemon(t, cfg, testdata.Now(), false)
	desk.url = d.URL
	for id, want := range receipts {
		if got := must("GET", "/api/batches/"+id+"/receipt.pdf", "", "", 200).body; !bytes.Equal(got, want) {
			t.Errorf("batch %s: the receipt made again (%d bytes) differs from the one handed over (%d bytes)", id, len(got), len(want))
		}
	}
}

// dbPath is the store file of a config writeConfig made.
func dbPath(t *testing.T, cfg string) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(cfg), "markd.db")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}
