package verify

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestWatcherUnwatchableFolderAdvice: a list folder that cannot be watched
// is logged with the reload that works on every system, markd reload
// (SIGHUP alone does not exist on Windows), naming the folder.
func TestWatcherUnwatchableFolderAdvice(t *testing.T) {
	var buf bytes.Buffer
	gone := filepath.Join(t.TempDir(), "gone")
	w := &Watcher{Files: func() []string { return []string{filepath.Join(gone, "keyring.yaml")} }, Reload: func(string) {},
		Log: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Serve sets up the watch, then returns at once
	if err := w.Serve(ctx); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "cannot watch folder") || !strings.Contains(s, gone) || !strings.Contains(s, "markd reload") {
		t.Errorf("log of an unwatchable folder, want it named with the advice markd reload:\n%s", s)
	}
}
