package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"markd/batch"
	"markd/httpapi"
	"markd/mark"
	"markd/store"
)

// TestBatchKill9: markd run is SIGKILLed in the middle of a batch while
// scans come from stdin and from the cash-desk program over POST
// /api/scans. After a restart the batch is still open, holds every scan
// that was acknowledged (a verdict line or a 200), and takes the next ones.
func TestBatchKill9(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "markd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	token, err := db.AddToken(ctx, "kassa")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A", Contract: 5})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	n := 400
	if testing.Short() {
		n = 150
	}
	marks := dmMarks(t, 2*n+10, 3_000_000)
	post := func(base, text string) (httpapi.ScanResult, int) {
		body, _ := json.Marshal(httpapi.ScanRequest{Text: text, Batch: b.ID})
		req, _ := http.NewRequest("POST", base+"/api/scans", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return httpapi.ScanResult{}, 0 // the daemon died under the request: not acknowledged
		}
		defer resp.Body.Close()
		var res httpapi.ScanResult
		_ = json.NewDecoder(resp.Body).Decode(&res)
		return res, resp.StatusCode
	}

	p := dmStart(t, bin, "--config", cfg)
	base := strings.TrimPrefix(p.waitLog(t, listenURL, 0)[0], "url=")
	acked := map[string]bool{} // record ids acknowledged to a scanner or the program
	var mu sync.Mutex
	go func() {
		for _, m := range marks[:n] {
			if _, err := fmt.Fprintln(p.stdin, m); err != nil {
				return
			}
		}
	}()
	apiDone := make(chan struct{})
	go func() {
		defer close(apiDone)
		for _, m := range marks[n : 2*n] {
			res, code := post(base, m)
			if code == 0 {
				return
			}
			if code == 200 && res.ID != "" {
				mu.Lock()
				acked[res.ID] = true
				mu.Unlock()
			}
		}
	}()
	for got := 0; got < n/2; got++ {
		if o := p.next(t); o.ID != "" {
			mu.Lock()
			acked[o.ID] = true
			mu.Unlock()
		}
	}
	_ = p.cmd.Process.Signal(os.Kill)
	_ = p.cmd.Wait()
	for o := range p.lines { // printed before the kill
		if o.ID != "" {
			acked[o.ID] = true
		}
	}
	<-apiDone
	if len(acked) < n/2 {
		t.Fatalf("only %d acknowledged scans before the kill", len(acked))
	}

	p = dmStart(t, bin, "--config", cfg)
	base = strings.TrimPrefix(p.waitLog(t, listenURL, 0)[0], "url=")
	req, _ := http.NewRequest("GET", base+"/api/batches/current", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st batch.StatusJSON
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || st.ID != b.ID || st.State != mark.BatchOpen {
		t.Fatalf("after restart: %d %+v %v", resp.StatusCode, st.Batch, err)
	}
	if st.Totals.Scans < len(acked) {
		t.Errorf("batch has %d scans, %d were acknowledged", st.Totals.Scans, len(acked))
	}
	for _, m := range marks[2*n:] {
		if res, code := post(base, m); code != 200 || res.Verdict != mark.Accept || res.Batch != b.ID {
			t.Fatalf("scan after restart: %d %+v", code, res.Record)
		}
	}
	p.stop(t)

	db, err = store.Open(ctx, filepath.Join(dir, "markd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id := range acked {
		rec, err := db.Get(ctx, id)
		if err != nil || rec.Batch != b.ID {
			t.Errorf("acknowledged scan %s: batch %q, %v", id, rec.Batch, err)
		}
	}
	recs, err := db.BatchRecords(ctx, b.ID)
	if err != nil || len(recs) < len(acked)+10 {
		t.Fatalf("batch records %d, want at least %d (%v)", len(recs), len(acked)+10, err)
	}
}
