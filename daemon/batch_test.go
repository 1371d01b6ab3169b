package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"markd/batch"
	"markd/config"
	"markd/httpapi"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
)

// batchContract is the customer of the batch tests.
const batchContract = 1004417

// batchMarks signs marks of one customer for the test day: serial s, a
// registered letter of 20 g at the exact tariff.
func batchMarks(t *testing.T) func(s uint64, contract uint32) string {
	t.Helper()
	signer, today := testdata.Signer(t), mark.DayOf(testNow)
	return func(s uint64, contract uint32) string {
		m := testdata.ValidMark(s, today)
		m.Contract, m.TariffKop = contract, 10500
		return signer(m)
	}
}

// ptyPair starts socat with a pseudo-terminal pair: dev is the scanner's
// port as markd opens it, peer the end the test writes scans into.
func ptyPair(t *testing.T) (dev string, peer *os.File) {
	t.Helper()
	return testdata.SocatPair(t, testdata.SocatDir(t, "markd-batch-"), "ttyACM-scanner", "peer", "the serial batch")
}

// apiClient calls the daemon's JSON API with a program's token.
type apiClient struct {
	url, token string
}

func (c apiClient) do(t *testing.T, method, path string, body []byte, v any) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, b
}

// TestBatch500 is the acceptance of a batch of 500 marks: 250 through a
// serial scanner (a socat pty) and 250 through POST /api/scans, plus a
// mark of another contract; the customer's list in Windows-1251 CSV with
// 3 items not brought, 2 brought but not listed and 1 of another weight;
// closing, and the receipt PDF read back with pdftotext and pdftoppm.
func TestBatch500(t *testing.T) {
	if testing.Short() {
		t.Skip("500 marks through a pty and HTTP")
	}
	dev, peer := ptyPair(t)
	c := testConfig(t)
	c.Sources = []config.Source{{Kind: "serial", Name: "front", Port: dev, Baud: 9600}}
	r := start(t, Options{Config: c})
	token, err := r.Store.AddToken(t.Context(), "kassa")
	if err != nil {
		t.Fatal(err)
	}
	api := apiClient{url: r.HTTP.URL(), token: token}
	sign := batchMarks(t)

	var st batch.StatusJSON
	if code, b := api.do(t, "POST", "/api/batches", []byte(`{"contract": 1004417}`), &st); code != http.StatusCreated {
		t.Fatalf("open: %d %s", code, b)
	}
	id := st.ID
	const n = 500
	// Serials 1001..1500: the odd ones through the scanner, the even ones
	// through the API, interleaved as two counters' worth of work would be.
	go func() {
		for s := uint64(1001); s <= 1000+n; s += 2 {
			if _, err := io.WriteString(peer, sign(s, batchContract)+"\r"); err != nil {
				return
			}
		}
		_, _ = io.WriteString(peer, sign(9001, 555)+"\r") // another customer's mark
	}()
	for s := uint64(1002); s <= 1000+n; s += 2 {
		body, _ := json.Marshal(httpapi.ScanRequest{Text: sign(s, batchContract), Batch: id})
		var res httpapi.ScanResult
		if code, b := api.do(t, "POST", "/api/scans", body, &res); code != 200 || res.Verdict != mark.Accept || res.Batch != id {
			t.Fatalf("API scan %d: %d %s", s, code, b)
		}
	}
	serial := 0
	for serial < n/2+1 {
		rec := r.next(t)
		if rec.Source != "front" {
			continue
		}
		serial++
		want := mark.Accept
		if rec.Mark != nil && rec.Mark.Contract == 555 {
			want = mark.Reject
		}
		if rec.Verdict != want || rec.Batch != id {
			t.Fatalf("serial scan %d: %s %v batch %q", serial, rec.Verdict, rec.Reasons, rec.Batch)
		}
	}

	// The list: 1003..1500 (1001 and 1002 were brought, not listed),
	// 3 listed but not brought, 1100 listed at 25 g.
	var csv strings.Builder
	csv.WriteString("№;ШПИ;Вид;Масса, г;Плата, руб;Серия знака\r\n")
	line := 0
	for s := uint64(1003); s <= 1000+n+3; s++ {
		line++
		w := 20
		if s == 1100 {
			w = 25
		}
		fmt.Fprintf(&csv, "%d;%014d;заказное письмо;%d;105,00;%d\r\n", line, issuer.Tracking(426000, s), w, s)
	}
	cp1251, err := charmap.Windows1251.NewEncoder().String(csv.String())
	if err != nil {
		t.Fatal(err)
	}
	if code, b := api.do(t, "POST", "/api/batches/"+id+"/expect", []byte(cp1251), &st); code != 200 {
		t.Fatalf("expect: %d %s", code, b)
	}
	kinds := map[batchlistKind]int{}
	for _, d := range st.Differences {
		kinds[batchlistKind(d.Kind)]++
	}
	if st.ListItems != n+1 || kinds["MISSING"] != 3 || kinds["EXTRA"] != 2 || kinds["WEIGHT"] != 1 || len(st.Differences) != 6 {
		t.Fatalf("list %d items, differences %v", st.ListItems, kinds)
	}
	if st.Totals.Accepted != n || st.Totals.Rejected != 1 || st.Totals.PaidKop != n*10500 || st.Totals.PerClass[2] != n {
		t.Fatalf("totals %+v", st.Totals)
	}
	if code, b := api.do(t, "POST", "/api/batches/"+id+"/close", nil, &st); code != 200 || st.State != mark.BatchClosed {
		t.Fatalf("close: %d %s", code, b)
	}
	code, pdf := api.do(t, "GET", "/api/batches/"+id+"/receipt.pdf", nil, nil)
	if code != 200 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("receipt: %d %.40q", code, pdf)
	}
	checkReceiptPDF(t, pdf, id, n)
}

type batchlistKind string

// checkReceiptPDF reads the receipt back as text (pdftotext) and as page
// images (pdftoppm): the Cyrillic texts, the batch id, the totals, the
// rejected mark with its reason in words, and pages that are not blank.
func checkReceiptPDF(t *testing.T, pdf []byte, id string, n int) {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian package poppler-utils)", tool)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "receipt.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := string(out)
	space := regexp.MustCompile(`[\s\x{00a0}\x{202f}]+`)
	flat := space.ReplaceAllString(text, " ")
	for _, want := range []string{
		"Квитанция о приёме партионных почтовых отправлений", id, "1004417", "426000",
		fmt.Sprintf("Итого принято: %d", n), "52 500,00", fmt.Sprintf("%014d", issuer.Tracking(426000, 1500)),
		mark.Explain(mark.ReasonOtherContract).RU,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("receipt text lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("pdftotext:\n%s", text)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "40", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) < 2 {
		t.Fatalf("%d pages for %d items, want several", len(pages), n)
	}
	f, err := os.Open(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	dark, b := 0, img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); (r+g+bl)/3 < 0x8000 {
				dark++
			}
		}
	}
	if share := float64(dark) / float64(b.Dx()*b.Dy()); share < 0.01 || share > 0.5 {
		t.Errorf("first page: %.1f%% dark pixels, want text on white (%s)", 100*share, pages[0])
	}
}
