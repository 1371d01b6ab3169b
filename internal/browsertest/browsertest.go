// Package browsertest starts the headless Chromium that the browser tests
// of web and e2e drive, and keeps their screenshots in one place.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is the browser the tests drive (Debian package chromium).
const ChromiumPath = "/usr/bin/chromium"

// New starts headless Chromium with a fresh profile, or skips the test when
// Chromium is not installed. The browser is closed in t.Cleanup.
func New(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("browser test needs %s (Debian package chromium; .ci/run installs it): %v", ChromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start it with no deadline
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// ArtifactDir is where screenshots go: $MARKD_ARTIFACTS, or testdata/artifacts
// of the package under test. It is created if missing.
func ArtifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MARKD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Screenshot saves a full-page screenshot as ArtifactDir/file.png. It returns
// the error of taking the screenshot, so the caller decides whether that
// fails the test; failing to write the file always does.
func Screenshot(t *testing.T, ctx context.Context, file string) error {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ArtifactDir(t), file+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	return nil
}
