// Command batchbench measures the batch API of the counter daemon for
// bench/batch.sh: the p50/p99 of POST /api/scans (request to durable
// verdict JSON) beside P1, a line on markd run's stdin to its durable
// verdict on stdout, interleaved one to one in the same run against the
// same daemon and store; then a batch of -items scans closed over the API
// (EndBatch, receipt PDF made and stored) and its receipt downloaded.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"markd/bench/benchutil"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	bin := flag.String("markd", "bin/markd", "markd binary")
	td := flag.String("testdata", "../shared/testdata", "shared test data (keyring, tariffs, issuer keys)")
	n := flag.Int("n", 500, "scans per path (stdin and API), interleaved")
	items := flag.Int("items", 1000, "items of the batch that is closed")
	dir := flag.String("dir", "", "work folder (default: a temp folder; put it on the disk you measure)")
	flag.Parse()
	if err := run(*bin, *td, *dir, *n, *items); err != nil {
		fmt.Fprintln(os.Stderr, "batchbench:", err)
		os.Exit(1)
	}
}

func run(bin, td, dir string, n, items int) error {
	dir, done, err := benchutil.WorkDir(dir, "markd-batchbench-")
	if err != nil {
		return err
	}
	defer done()
	marks, err := benchutil.Marks(filepath.Join(td, "issuer-keys.yaml"), 2*n+items, 1, 10500, 0)
	if err != nil {
		return err
	}
	cfg, err := benchutil.CounterConfig(td, dir)
	if err != nil {
		return err
	}
	if out, err := exec.Command(bin, "init", "--config", cfg).CombinedOutput(); err != nil {
		return fmt.Errorf("markd init: %w: %s", err, out)
	}
	var stderr strings.Builder
	tokenAdd := exec.Command(bin, "token", "add", "bench", "--config", cfg)
	tokenAdd.Stderr = &stderr
	out, err := tokenAdd.Output()
	if err != nil {
		return fmt.Errorf("markd token add: %w: %s", err, stderr.String())
	}
	token := strings.TrimSpace(string(out))
	daemon, err := benchutil.StartDaemon(bin, cfg)
	if err != nil {
		return err
	}
	defer daemon.Stop()
	base := daemon.URL
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	api := func(method, path string, body []byte) ([]byte, int, error) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return b, resp.StatusCode, err
	}
	var p1, pa []time.Duration
	for i := 0; i < n; i++ {
		took, err := daemon.Scan(marks[2*i])
		if err != nil {
			return err
		}
		p1 = append(p1, took)
		body, _ := json.Marshal(map[string]string{"text": marks[2*i+1]})
		start := time.Now()
		b, code, err := api("POST", "/api/scans", body)
		if err != nil {
			return err
		}
		pa = append(pa, time.Since(start))
		if code != 200 || !bytes.Contains(b, []byte(`"verdict":"ACCEPT"`)) {
			return fmt.Errorf("API verdict: %d %s", code, b)
		}
	}

	b, code, err := api("POST", "/api/batches", []byte(`{"contract": 1}`))
	if err != nil || code != 201 {
		return fmt.Errorf("open batch: %d %s %v", code, b, err)
	}
	var st struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &st)
	for _, m := range marks[2*n:] {
		body, _ := json.Marshal(map[string]string{"text": m, "batch": st.ID})
		if b, code, err := api("POST", "/api/scans", body); err != nil || code != 200 {
			return fmt.Errorf("batch scan: %d %s %v", code, b, err)
		}
	}
	start := time.Now()
	if b, code, err := api("POST", "/api/batches/"+st.ID+"/close", nil); err != nil || code != 200 {
		return fmt.Errorf("close: %d %s %v", code, b, err)
	}
	closed := time.Since(start)
	start = time.Now()
	pdf, code, err := api("GET", "/api/batches/"+st.ID+"/receipt.pdf", nil)
	if err != nil || code != 200 {
		return fmt.Errorf("receipt: %d %v", code, err)
	}
	fetched := time.Since(start)

	s50, s99, a50, a99 := benchutil.Pct(p1, 50), benchutil.Pct(p1, 99), benchutil.Pct(pa, 50), benchutil.Pct(pa, 99)
	ratio := float64(a50) / float64(s50)
	fmt.Printf("%-48s %12s %12s %10s %6s\n", "measure", "p50/value", "p99", "goal", "met")
	fmt.Printf("%-48s %12s %12s %10s %6s\n", fmt.Sprintf("P1 stdin line→durable verdict (n=%d)", n), benchutil.Ms(s50), benchutil.Ms(s99), "", "")
	fmt.Printf("%-48s %12s %12s %10s %6v\n", fmt.Sprintf("POST /api/scans→durable verdict (n=%d)", n), benchutil.Ms(a50), benchutil.Ms(a99), "≤1.5× P1", ratio <= 1.5)
	fmt.Printf("%-48s %12.2f %12s %10s %6s\n", "API p50 ÷ P1 p50", ratio, "", "≤1.5", "")
	fmt.Printf("%-48s %12s %12s %10s %6v\n", fmt.Sprintf("close of a %d-item batch + receipt PDF", items), benchutil.Ms(closed), "", "≤1 s", closed <= time.Second)
	fmt.Printf("%-48s %12s %12s %10s %6s\n", fmt.Sprintf("GET receipt.pdf (%d KiB, stored)", len(pdf)/1024), benchutil.Ms(fetched), "", "", "")
	return nil
}
