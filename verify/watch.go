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
// "SIGHUP" or "file changed".
type Watcher struct {
	Files    []string         // keyring, tariffs, revocations ("" skipped)
	Signals  <-chan os.Signal // each receive reloads; nil = none
	Reload   func(why string)
	Debounce time.Duration // default DefaultDebounce
	Log      *slog.Logger
}

// Serve watches until ctx ends. The folders are watched, not the files, so
// a replacement by rename (the safe way to update a file) is seen too.
// Without a file watch (inotify limits) it logs a warning and still reloads
// on signals.
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
	var events <-chan fsnotify.Event
	var errs <-chan error
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("file watch unavailable; reload with SIGHUP", "err", err)
	} else {
		defer fw.Close()
		dirs := map[string]bool{}
		for _, f := range w.Files {
			if f == "" {
				continue
			}
			abs, err := filepath.Abs(f)
			if err != nil {
				continue
			}
			files[abs] = true
			dirs[filepath.Dir(abs)] = true
		}
		for d := range dirs {
			if err := fw.Add(d); err != nil {
				log.Warn("cannot watch folder; reload with SIGHUP", "dir", d, "err", err)
			}
		}
		events, errs = fw.Events, fw.Errors
	}
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.Signals:
			w.Reload("SIGHUP")
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if !files[filepath.Clean(ev.Name)] || ev.Op == fsnotify.Chmod {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(debounce)
			} else {
				timer.Reset(debounce)
			}
			fire = timer.C
		case <-fire:
			fire = nil
			w.Reload("file changed")
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			log.Warn("file watch", "err", err)
		}
	}
}
