// Package browsertest starts the headless Chromium that the browser tests
// of web and e2e drive, and keeps their screenshots in one place.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is the browser the tests drive (Debian package chromium).
const ChromiumPath = "/usr/bin/chromium"

// New gives the test a browser of its own, or skips the test when
// Chromium is not installed. In a test binary run through Main it is a
// new browser context (cookies, storage, cache and service workers of its
// own, as a fresh profile) of the one Chromium the binary shares, which
// saves a browser's start a test (1–6 s on the 2-core CI machine);
// otherwise a headless Chromium with a fresh profile of its own. Either is
// closed in t.Cleanup.
func New(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("browser test needs %s (Debian package chromium; .ci/run installs it): %v", ChromiumPath, err)
	}
	if !shared.on {
		ctx, cancel := start(t.TempDir())
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx); err != nil { // start it with no deadline
			t.Fatalf("start chromium: %v", err)
		}
		return ctx
	}
	root, err := shared.get()
	if err != nil {
		t.Fatalf("start the shared chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a browser context in the shared chromium: %v", err)
	}
	return ctx
}

// Main runs a test binary's tests (call it from TestMain) with one
// Chromium shared by every New, closed and its profile removed after the
// last test.
func Main(m *testing.M) int {
	shared.on = true
	code := m.Run()
	shared.stop()
	return code
}

// sharedBrowser is the Chromium of a test binary run through Main.
type sharedBrowser struct {
	on     bool
	once   sync.Once
	root   context.Context
	cancel context.CancelFunc
	dir    string
	err    error
}

var shared sharedBrowser

// get starts the shared Chromium on first use.
func (s *sharedBrowser) get() (context.Context, error) {
	s.once.Do(func() {
		s.dir, s.err = os.MkdirTemp("", "markd-chromium-")
		if s.err != nil {
			return
		}
		s.root, s.cancel = start(s.dir)
		s.err = chromedp.Do(s.root)
	})
	if s.err == nil && s.root.Err() != nil {
		return nil, fmt.Errorf("it has gone: %w", context.Cause(s.root))
	}
	return s.root, s.err
}

// stop closes the shared Chromium, if started, and removes its profile.
func (s *sharedBrowser) stop() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// start readies a headless Chromium with its profile in dir; it starts
// at the first action run in the returned context.
func start(dir string) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	return ctx, func() { cancel(); cancelAlloc() }
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
