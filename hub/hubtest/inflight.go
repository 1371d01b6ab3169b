package hubtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// holdIngest is the real store whose Ingest of one terminal waits until
// released: that terminal's uploads stay in progress while the test
// sends more.
type holdIngest struct {
	hub.Store
	terminal string
	entered  chan struct{}
	release  chan struct{}
}

func (h *holdIngest) Ingest(ctx context.Context, terminal string, q *hub.UploadRequest, now time.Time) (hub.UploadResponse, error) {
	if terminal == h.terminal {
		h.entered <- struct{}{}
		<-h.release
	}
	return h.Store.Ingest(ctx, terminal, q, now)
}

// testInFlight: a terminal with valid credentials sent uploads at once
// without bound, each up to 8 MiB and 10 000 signature checks; the
// collector now works on hub.DefaultInFlight of one terminal at a time
// and answers the next 429 with Retry-After, naming the terminal, while
// another terminal's upload goes through; once answered, the terminal
// uploads again. Nothing is stored twice or lost.
func testInFlight(t *testing.T, s hub.Store, hubNow time.Time) {
	h := &holdIngest{Store: s, terminal: "office-a", entered: make(chan struct{}, 16), release: make(chan struct{})}
	srv := httptest.NewServer(hub.NewServer(h, hub.ServerOptions{Now: func() time.Time { return hubNow }}).Handler())
	defer srv.Close()
	body := func(id string, office uint32) []byte {
		b, _ := json.Marshal(hub.UploadRequest{Records: []hub.Record{Rec(id, office, "1", mark.NotAMark, 0)}})
		return b
	}
	var once sync.Once
	release := func() { once.Do(func() { close(h.release) }) }
	defer release()
	var wg sync.WaitGroup
	codes := make([]int, hub.DefaultInFlight)
	for i := range hub.DefaultInFlight {
		wg.Go(func() {
			codes[i], _, _ = postUpload(t, srv.URL, "office-a", body("rt-flight-"+string(rune('a'+i)), 426000))
		})
		select {
		case <-h.entered:
		case <-time.After(10 * time.Second):
			t.Fatalf("upload %d never reached the store", i)
		}
	}
	// Before the bound this one was held as well: a client deadline ends it.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/upload", bytes.NewReader(body("rt-flight-more", 426000)))
	req.Header.Set("Authorization", "Bearer tok-office-a")
	req.Header.Set("Content-Type", "application/json")
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req); err != nil {
		t.Errorf("upload past %d in progress: no answer in 5 s (%v): taken as well", hub.DefaultInFlight, err)
	} else {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e hub.ErrorResponse
		_ = json.Unmarshal(raw, &e)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(e.Error, "office-a") {
			t.Errorf("upload past %d in progress: %d Retry-After %q %s", hub.DefaultInFlight, resp.StatusCode, resp.Header.Get("Retry-After"), raw)
		}
	}
	if code, _, raw := postUpload(t, srv.URL, "office-b", body("rt-flight-b", 101000)); code != http.StatusOK {
		t.Errorf("another terminal meanwhile: %d %s", code, raw)
	}
	release()
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("upload %d in progress: %d", i, c)
		}
	}
	// Released: the next upload is not held (its entry is buffered).
	if code, _, raw := postUpload(t, srv.URL, "office-a", body("rt-flight-more", 426000)); code != http.StatusOK {
		t.Errorf("after the answers: %d %s", code, raw)
	}
}
