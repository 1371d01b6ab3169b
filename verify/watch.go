package verify

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce gathers the events of one editor save or file replacement.
const DefaultDebounce = 300 * time.Millisecond

// Watcher is the service that reloads the lists of a Holder: on a signal
// (SIGHUP) and when one of Files changes. Reload does the loading and the
// swap (it refuses a broken file and keeps the lists in force); why is
// "SIGHUP" or "file changed: NAME".
type Watcher struct {
	// Files are the files watched (keyring, tariffs, revocations, the
	// config; "" skipped), asked again after each reload and on Moved:
	// a reload may name other files.
	Files    func() []string
	Moved    <-chan struct{}  // a receive: Files changed (a reload done elsewhere)
	Signals  <-chan os.Signal // each receive reloads; nil = none
	Reload   func(why string)
	Debounce time.Duration // default DefaultDebounce
	Log      *slog.Logger
}

// Serve watches until ctx ends. The folders are watched, not the files, so
// a replacement by rename (the safe way to update a file, and an editor's
// save: vim renames the old file away and writes a new one) is seen too,
// and the file stays watched afterwards. Without a file watch (inotify
// limits) it logs a warning and still reloads on signals.
func (w *Watcher) Serve(ctx context.Context) error {
	log := w.Log
	if log == nil {
		log = slog.Default()
	}
	debounce := w.Debounce
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	files := map[string]bool{}
	dirs := map[string]bool{}
	var events <-chan fsnotify.Event
	var errs <-chan error
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("file watch unavailable; reload with markd reload (or SIGHUP on Linux)", "err", err)
	} else {
		defer fw.Close()
		events, errs = fw.Events, fw.Errors
	}
	// watch (re)reads Files and watches the folders of new ones.
	watch := func() {
		if fw == nil || w.Files == nil {
			return
		}
		clear(files)
		for _, f := range w.Files() {
			if f == "" {
				continue
			}
			abs, err := filepath.Abs(f)
			if err != nil {
				continue
			}
			files[abs] = true
			if d := filepath.Dir(abs); !dirs[d] {
				if err := fw.Add(d); err != nil {
					log.Warn("cannot watch folder; reload with markd reload (or SIGHUP on Linux)", "dir", d, "err", err)
					continue
				}
				dirs[d] = true
			}
		}
	}
	watch()
	reload := func(why string) {
		w.Reload(why)
		watch()
	}
	var timer *time.Timer
	var fire <-chan time.Time
	var changed string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.Signals:
			reload("SIGHUP")
		case <-w.Moved:
			watch()
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if !files[filepath.Clean(ev.Name)] || ev.Op == fsnotify.Chmod {
				continue
			}
			changed = filepath.Clean(ev.Name)
			if timer == nil {
				timer = time.NewTimer(debounce)
			} else {
				timer.Reset(debounce)
			}
			fire = timer.C
		case <-fire:
			fire = nil
			reload("file changed: " + changed)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			log.Warn("file watch", "err", err)
		}
	}
}
