package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/internal/testdata"
)

// panelWait is how long a change made elsewhere may take to show on the
// batch panel: its heartbeat is 2 s; the rest is slack for a busy host.
const panelWait = 6 * time.Second

// TestBatchPanelFollowsEngineerList: the engineer loads the customer's
// list with `markd batch expect FILE` (another process on the same store)
// while the operator screen shows the open batch: the panel shows the
// list within its heartbeat, without a scan, and a corrected list that
// replaces it too. Until 2026-12-04 the panel showed such a list only at
// the next scan (it followed only the requests the daemon itself served).
func TestBatchPanelFollowsEngineerList(t *testing.T) {
	const op, opPass = "ivan", "operator-pass"
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}})
	list, err := os.ReadFile(testdata.Path(t, "batches", "list-utf8.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first := filepath.Join(dir, "zakaz-17.csv")
	var big strings.Builder
	big.WriteString("n;mail_class;weight_g;tariff_kop;serial\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&big, "%d;1;20;5000;%d\n", i, 8_000_000_000+i)
	}
	second := filepath.Join(dir, "zakaz-17-fixed.csv")
	for p, b := range map[string][]byte{first: list, second: []byte(big.String())} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "open a batch",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.Focus(chromedp.ID("batch-contract")),
		chromedp.KeyEvent("1004417\r"),
		chromedp.WaitVisible(chromedp.ID("batch-box")),
	)
	// Two heartbeats after the open, so that what the panel learns of its
	// own open is done with (else it might read the batch again just after
	// the command by chance).
	step(t, ctx, "two heartbeats",
		chromedp.Evaluate[chromedp.Void](`window.beats = 0; document.addEventListener('markd:health', () => window.beats++)`),
		chromedp.Poll[chromedp.Void](`window.beats >= 2`))
	for _, c := range []struct {
		file string
		want int
	}{{first, 12}, {second, 30}} {
		out := runCLI(t, "", "batch", "expect", c.file, "--config", cfg)
		start := time.Now()
		step(t, ctx, fmt.Sprintf("%s on the panel without a scan", filepath.Base(c.file)),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#batch-diffs tr[data-kind="MISSING"]').length === %d`, c.want),
				chromedp.WithPollingTimeout(panelWait)))
		t.Logf("%s (markd batch expect: %s) on the panel %v after the command returned", filepath.Base(c.file), strings.TrimSpace(out), time.Since(start).Round(10*time.Millisecond))
	}
	browsertest.Check(t, ctx, "e2e-operator-batch-cli-list", browsertest.Views, "#batch")
}
