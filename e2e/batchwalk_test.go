package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"

	"markd/internal/testdata"
)

// expectCLI runs `markd batch expect FILE --config cfg` as the guide's
// engineer does and gives its exit code and stderr.
func expectCLI(t *testing.T, cfg, file string) (int, string) {
	t.Helper()
	cmd := exec.Command(markdBinary(t), "batch", "expect", file, "--config", cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("markd batch expect %s: %v", file, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// badLists are customer's list files of every kind of mistake, each with
// what its refusal must name: the line (and column where there is one)
// and the rule broken.
func badLists(t *testing.T) []struct{ name, data, where, rule string } {
	t.Helper()
	const en = "n,tracking,mail_class,weight_g,tariff_kop,notice,serial\n"
	cp866, err := charmap.CodePage866.NewEncoder().String("n;ШПИ;Вид;Масса, г;Плата, руб\n1;42600000000015;заказное письмо;20;105,00\n")
	if err != nil {
		t.Fatal(err)
	}
	utf16le := func(s string, bom bool) string {
		var b []byte
		if bom {
			b = []byte{0xFF, 0xFE}
		}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return string(b)
	}
	var many strings.Builder
	many.WriteString("n;mail_class;weight_g;tariff_kop\n")
	for i := 1; i <= 100_001; i++ {
		fmt.Fprintf(&many, "%d;1;20;5000\n", i)
	}
	return []struct{ name, data, where, rule string }{
		{"check.csv", en + "1,42600000000015,2,20,10500,0,7100000001\n2,42600000000023,2,20,10500,0,7100000002\n", "line 3, column 2 (tracking)", "check digit"},
		{"nocolumn.csv", "n,tracking,mail_class,tariff_kop\n1,42600000000015,2,10500\n", "line 1 (weight_g)", "no weight column"},
		{"cut.json", "{\"contract\": 1004417,\n \"items\": [\n  {\"n\": 1, \"tracking\": \"42600000000015\"", "line 3, column", "ends too early"},
		{"dup.csv", en + "1,42600000000015,2,20,10500,0,7100000001\n2,42600000000022,2,20,10500,0,7100000002\n3,42600000000039,2,20,10500,0,7100000001\n", "line 4, column 7 (serial)", "listed twice (first on line 2)"},
		{"quote.csv", en + "1,\"42600000000015\"5,2,20,10500,0,7100000001\n", "line 2, column 2", "quote"},
		{"comma.csv", "n,tracking,mail_class,weight_g,tariff_rub\n1,42600000000015,2,20,105,00\n", "line 2, column 6", "must be in quotes"},
		{"class.csv", en + "1,42600000000015,7,20,10500,0,7100000001\n", "line 2, column 3 (mail_class)", "unknown mail class"},
		{"weight.csv", "n;tracking;mail_class;weight_g;tariff_kop\n1;42600000000015;2;20,5;10500\n", "line 2, column 4 (weight_g)", "whole grams"},
		{"tariffs.csv", "n;tracking;mail_class;weight_g;tariff_kop;tariff_rub\n1;42600000000015;2;20;10500;105,50\n", "line 2, column 6 (tariff_rub)", "disagree"},
		{"noitems.csv", en, "line 1", "no items"},
		{"empty.csv", "", "line 1", "empty"},
		{"book.xlsx", "PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "line 1", "Excel workbook"},
		{"unicode.txt", utf16le(en+"1,42600000000015,2,20,10500,0,7100000001\n", true), "line 1", "UTF-16"},
		{"nobom16.csv", utf16le(en+"1,42600000000015,2,20,10500,0,7100000001\n", false), "line 1", "UTF-16"},
		{"dos866.csv", cp866, "line 1", "another encoding"},
		{"many.csv", many.String(), "line 100002", "more than 100000 items"},
	}
}

// TestBatchWalk walks the operator guide's batch section with the real
// binary, as the operator, the engineer (markd batch expect) and the
// cash-desk program (the local API) do it: every bad list file refused by
// markd batch expect naming the file, the line and the rule, and nothing
// imported; lists with a BOM and CRLF, in Windows-1251 and as JSON taken;
// a list replaced in the middle of the batch; markd SIGKILLed and started
// again (the batch open with its list and every acknowledged scan, a scan
// sent again under its key not counted twice); a second batch refused
// while one is open; after the close, scans and lists for it refused and
// not counted; the receipt printed again the same bytes, also after a
// restart.
func TestBatchWalk(t *testing.T) {
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	desk := tokenAdd(t, cfg, "kassa")
	d := runDaemon(t, cfg, testdata.Now(), false)
	desk.url = d.URL
	var b batchView
	desk.json(t, "POST", "/api/batches", []byte(`{"contract": 1004417}`), "application/json", 201, &b)
	status := func() batchView {
		t.Helper()
		var v batchView
		desk.json(t, "GET", "/api/batches/"+b.ID, nil, "", 200, &v)
		return v
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Every bad file: refused naming the file, the line and the rule; the
	// batch keeps no list.
	for _, c := range badLists(t) {
		p := write(c.name, []byte(c.data))
		code, stderr := expectCLI(t, cfg, p)
		if code == 0 || !strings.Contains(stderr, p+": batch list: "+c.where) || !strings.Contains(stderr, c.rule) {
			t.Errorf("%s: exit %d\n%.600s\nwant it refused naming %q, %q and %q", c.name, code, stderr, p, c.where, c.rule)
		}
		if strings.ContainsRune(stderr, 0) {
			t.Errorf("%s: the refusal writes a zero byte to the terminal", c.name)
		}
	}
	if v := status(); v.HasList || v.ListItems != 0 {
		t.Fatalf("after the refused files the batch has a list: %+v", v)
	}

	// The accepted forms of the spec's samples, each replacing the one
	// before: UTF-8 with a BOM and CRLF, Windows-1251 with Russian
	// headers, JSON.
	sample := func(name string) []byte {
		data, err := os.ReadFile(testdata.Path(t, filepath.Join("batches", name)))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	utf8csv := sample("list-utf8.csv")
	bomCRLF := append([]byte("\ufeff"), bytes.ReplaceAll(utf8csv, []byte("\n"), []byte("\r\n"))...)
	for name, data := range map[string][]byte{"bom-crlf.csv": bomCRLF, "list-cp1251.csv": sample("list-cp1251.csv"), "list.json": sample("list.json")} {
		if code, stderr := expectCLI(t, cfg, write(name, data)); code != 0 {
			t.Fatalf("%s: exit %d %s", name, code, stderr)
		}
		if v := status(); v.ListItems != 12 {
			t.Fatalf("%s: %d items, want 12", name, v.ListItems)
		}
	}

	// The first six items as the list, then eight envelopes scanned by the
	// desk: item 7 is EXTRA, item 8 none (rejected: BATCH-LIST.md's EXTRA
	// is an accepted scan), none MISSING.
	items := listMarks(t, utf8csv, testdata.Today(nil))
	rows := strings.SplitAfter(string(utf8csv), "\n")
	write("first6.csv", []byte(strings.Join(rows[:7], "")))
	if code, stderr := expectCLI(t, cfg, filepath.Join(dir, "first6.csv")); code != 0 {
		t.Fatalf("first six: exit %d %s", code, stderr)
	}
	sign := testdata.Signer(t)
	scan := func(i int) []byte {
		t.Helper()
		body := fmt.Sprintf(`{"text": %q, "batch": %q}`, sign(items[i].m), b.ID)
		return desk.keyed(t, "/api/scans", body, fmt.Sprintf("walk-%d", i), 200)
	}
	verdicts := ""
	for i := range 8 {
		verdicts += verdictOf(t, scan(i)) + " "
	}
	// item 8 pays 92,00 of a 105,00 tariff (the sample's UNDERPAID one)
	if verdicts != strings.Repeat("ACCEPT ", 7)+"REJECT " {
		t.Fatalf("verdicts of items 1–8: %s", verdicts)
	}
	kinds := func(v batchView) string {
		var k []string
		for _, d := range v.Differences {
			k = append(k, fmt.Sprintf("%s %d", d.Kind, d.Serial))
		}
		return strings.Join(k, ", ")
	}
	if v := status(); kinds(v) != "EXTRA 7100000007" {
		t.Errorf("six listed, eight scanned: differences %q, want item 7 EXTRA", kinds(v))
	}
	// The customer's whole list replaces it mid-batch (from the desk):
	// items 9 to 12 not scanned yet.
	desk.do(t, "POST", "/api/batches/"+b.ID+"/expect", utf8csv, "text/csv", 200)
	want := "MISSING 7100000009, MISSING 7100000010, MISSING 7100000011, MISSING 7100000025"
	if v := status(); kinds(v) != want || v.ListItems != 12 {
		t.Errorf("list replaced: %d items, differences %q, want 12 and %q", v.ListItems, kinds(v), want)
	}

	// markd is killed mid-batch and started again.
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	d = runDaemon(t, cfg, testdata.Now(), false)
	desk.url = d.URL
	if v := status(); v.State != "open" || v.ListItems != 12 || v.Totals.Scans != 8 || v.Totals.Accepted != 7 || kinds(v) != want {
		t.Fatalf("after SIGKILL: %+v, differences %q; want open, 12 listed, 8 scans, 7 accepted, %q", v, kinds(v), want)
	}
	if v := verdictOf(t, scan(7)); v != "REJECT" { // the desk's retry of the last scan, same key
		t.Fatalf("retry of item 8: %s", v)
	}
	for i := 8; i < 12; i++ {
		scan(i)
	}
	if v := status(); v.Totals.Scans != 12 || v.Totals.Accepted != 11 || v.Totals.Rejected != 1 || len(v.Differences) != 0 {
		t.Errorf("after the restart and the rest: totals %+v, differences %q; want 12 scans (the retry not counted), 11 accepted, none", v.Totals, kinds(v))
	}
	// Two batches at once: the design has one open per counter.
	desk.do(t, "POST", "/api/batches", []byte(`{"contract": 1004417}`), "application/json", 409)

	// Close; then a scan and a list for the closed batch are refused and
	// change nothing; the receipt printed again is the same bytes.
	desk.do(t, "POST", "/api/batches/"+b.ID+"/close", nil, "", 200)
	desk.do(t, "GET", "/api/batches/current", nil, "", 404)
	before := status()
	late := testdata.ValidMark(9_100_000_001, testdata.Today(nil))
	late.Contract = 1004417
	desk.do(t, "POST", "/api/scans", []byte(fmt.Sprintf(`{"text": %q, "batch": %q}`, sign(late), b.ID)), "application/json", 409)
	desk.do(t, "POST", "/api/batches/"+b.ID+"/expect", utf8csv, "text/csv", 409)
	// The desk's retry of the last scan, its answer lost before the close:
	// the first record, not a 409 nor a second scan.
	if v := verdictOf(t, scan(11)); v != "ACCEPT" {
		t.Errorf("retry after the close: %s, want the first record (ACCEPT)", v)
	}
	if code, stderr := expectCLI(t, cfg, filepath.Join(dir, "first6.csv")); code != 1 || !strings.Contains(stderr, "no batch open") {
		t.Errorf("markd batch expect after the close: exit %d %s", code, stderr)
	}
	if v := status(); v.State != "closed" || v.Totals != before.Totals || v.ListItems != 12 {
		t.Errorf("after a late scan and list: %+v, want %+v", v, before)
	}
	pdf := desk.do(t, "GET", "/api/batches/"+b.ID+"/receipt.pdf", nil, "", 200)
	if again := desk.do(t, "GET", "/api/batches/"+b.ID+"/receipt.pdf", nil, "", 200); !bytes.Equal(again, pdf) {
		t.Error("the receipt printed again differs")
	}
	d.stop(t)
	d = runDaemon(t, cfg, testdata.Now(), false)
	desk.url = d.URL
	if again := desk.do(t, "GET", "/api/batches/"+b.ID+"/receipt.pdf", nil, "", 200); !bytes.Equal(again, pdf) {
		t.Error("the receipt printed again after a restart differs")
	}
	if text, ok := pdfText(t, pdf); ok && !strings.Contains(text, "42600000000251") {
		t.Errorf("receipt without the last item's tracking number:\n%s", text)
	}
}

// keyed posts a JSON body with an Idempotency-Key and wants status want.
func (p *apiProgram) keyed(t *testing.T, path, body, key string, want int) []byte {
	t.Helper()
	req, err := http.NewRequest("POST", p.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("POST %s (key %s): %d %s, want %d", path, key, res.StatusCode, b, want)
	}
	return b
}

func verdictOf(t *testing.T, body []byte) string {
	t.Helper()
	var rec struct{ Verdict string }
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return rec.Verdict
}

// TestListReplacedKill9: markd run is SIGKILLed while the cash desk
// replaces a batch's list of 12 items with one of 100 000 (the largest
// BATCH-LIST.md import markd takes), at points from before the import's
// commit to after it. After each restart the batch is open and has one of
// the two lists whole, never part of the new one; the list the desk got a
// 200 for is the one kept.
func TestListReplacedKill9(t *testing.T) {
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	desk := tokenAdd(t, cfg, "kassa")
	d := runDaemon(t, cfg, testdata.Now(), false)
	desk.url = d.URL
	var b batchView
	desk.json(t, "POST", "/api/batches", []byte(`{"contract": 1004417}`), "application/json", 201, &b)
	small, err := os.ReadFile(testdata.Path(t, "batches", "list-utf8.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var big strings.Builder
	big.WriteString("n;mail_class;weight_g;tariff_kop;serial\n")
	for i := 1; i <= 100_000; i++ {
		fmt.Fprintf(&big, "%d;1;20;5000;%d\n", i, 8_000_000_000+i)
	}
	for round := range 6 {
		desk.do(t, "POST", "/api/batches/"+b.ID+"/expect", small, "text/csv", 200)
		answered := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("POST", desk.url+"/api/batches/"+b.ID+"/expect", strings.NewReader(big.String()))
			req.Header.Set("Authorization", "Bearer "+desk.token)
			req.Header.Set("Content-Type", "text/csv")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				answered <- 0 // killed under the request
				return
			}
			res.Body.Close()
			answered <- res.StatusCode
		}()
		time.Sleep(time.Duration(round) * 400 * time.Millisecond) // where the kill lands, not a timed check
		_ = d.cmd.Process.Kill()
		_ = d.cmd.Wait()
		code := <-answered
		d = runDaemon(t, cfg, testdata.Now(), false)
		desk.url = d.URL
		var v batchView
		desk.json(t, "GET", "/api/batches/"+b.ID, nil, "", 200, &v)
		t.Logf("round %d: the import answered %d; after the kill the list has %d items", round, code, v.ListItems)
		if v.State != "open" || !v.HasList || (v.ListItems != 12 && v.ListItems != 100_000) || (code == 200 && v.ListItems != 100_000) {
			t.Fatalf("round %d: %s, list of %d items (import answered %d); want open with 12 or 100000 items, 100000 after a 200",
				round, v.State, v.ListItems, code)
		}
	}
}
