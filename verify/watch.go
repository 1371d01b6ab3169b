package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// DefaultPoll is how often the watched files are looked at.
const DefaultPoll = time.Second

// hashLimit: files up to this size are also compared by content, so a
// save that keeps the size within the file system's timestamp tick is
// seen; larger ones (a long revocation list) by identity, size and time.
const hashLimit = 1 << 20

// Watcher is the service that reloads the lists of a Holder: on a signal
// (SIGHUP) and when one of Files changes. Reload does the loading and the
// swap (it refuses a broken file and keeps the lists in force); why is
// "SIGHUP" or "file changed: NAME".
//
// The files are looked at every Poll (stat, and the content of small
// ones), not watched with the system's change notification: that watches
// whole folders (to see a file replaced by rename), and the store often
// shares one with the config (markd.yaml beside markd.db in
// %ProgramData%\markd, a bench's or a test's temporary folder), so every
// write to the store's WAL woke the watcher — two or three more thread
// wake-ups a scan on the scan path.
type Watcher struct {
	// Files are the files watched (keyring, tariffs, revocations, the
	// config; "" skipped), asked again after each reload and on Moved:
	// a reload may name other files.
	Files   func() []string
	Moved   <-chan struct{}  // a receive: Files changed (a reload done elsewhere)
	Signals <-chan os.Signal // each receive reloads; nil = none
	Reload  func(why string)
	Poll    time.Duration // default DefaultPoll
	Log     *slog.Logger

	wakes atomic.Int64 // times the loop woke (tests)
	// armed is the first look at Files taken by Arm (nil: Serve takes it).
	armed map[string]fileState
}

// Arm takes the first look at Files now, as the caller that just loaded
// them: a file changed after it is reloaded by Serve even when Serve's
// goroutine starts later (a busy machine). Call it before Serve, once.
func (w *Watcher) Arm() {
	w.armed = map[string]fileState{}
	if w.Files == nil {
		return
	}
	for _, f := range w.Files() {
		if f == "" {
			continue
		}
		if abs, err := filepath.Abs(f); err == nil {
			w.armed[abs] = look(abs)
		}
	}
}

// fileState is what a look at a file saw: a change to any part is a
// change of the file.
type fileState struct {
	info fs.FileInfo // nil: missing or unreadable
	sum  [sha256.Size]byte
	err  error
}

func (s fileState) same(o fileState) bool {
	switch {
	case s.info == nil || o.info == nil:
		return s.info == nil && o.info == nil && errors.Is(s.err, fs.ErrNotExist) == errors.Is(o.err, fs.ErrNotExist)
	default:
		return os.SameFile(s.info, o.info) && s.info.Size() == o.info.Size() &&
			s.info.ModTime().Equal(o.info.ModTime()) && s.sum == o.sum
	}
}

func look(path string) fileState {
	fi, err := os.Stat(path)
	if err != nil {
		return fileState{err: err}
	}
	st := fileState{info: fi}
	if fi.Mode().IsRegular() && fi.Size() <= hashLimit {
		if f, err := os.Open(path); err == nil {
			h := sha256.New()
			_, err = io.Copy(h, io.LimitReader(f, hashLimit+1))
			f.Close()
			if err == nil {
				copy(st.sum[:], h.Sum(nil))
			}
		}
	}
	return st
}

// Serve watches until ctx ends. A file replaced by rename (the safe way to
// update a file, and an editor's save: vim renames the old file away and
// writes a new one) is seen, and stays watched afterwards. A change is
// reloaded once a look finds the file as the look before it did (the
// several writes of one save give one reload).
func (w *Watcher) Serve(ctx context.Context) error {
	log := w.Log
	if log == nil {
		log = slog.Default()
	}
	poll := w.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	seen := w.armed // absolute path → the last look
	if seen == nil {
		seen = map[string]fileState{}
	}
	warned := map[string]bool{}
	// files (re)reads Files and looks at new ones.
	files := func() {
		next := map[string]fileState{}
		if w.Files != nil {
			for _, f := range w.Files() {
				if f == "" {
					continue
				}
				abs, err := filepath.Abs(f)
				if err != nil {
					continue
				}
				if st, ok := seen[abs]; ok {
					next[abs] = st
					continue
				}
				st := look(abs)
				if st.info == nil && !warned[abs] {
					warned[abs] = true
					log.Warn("cannot watch file; reload with markd reload (or SIGHUP on Linux) once it is there",
						"file", abs, "dir", filepath.Dir(abs), "err", st.err)
				}
				next[abs] = st
			}
		}
		seen = next
	}
	files()
	var changed string // a file seen changed, reloaded once it holds still
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.Signals:
			w.wakes.Add(1)
			w.Reload("SIGHUP")
			files()
		case <-w.Moved:
			w.wakes.Add(1)
			files()
		case <-tick.C:
			w.wakes.Add(1)
			moving := false
			for path, old := range seen {
				st := look(path)
				if st.same(old) {
					continue
				}
				seen[path] = st
				moving, changed = true, path
				if st.info != nil {
					delete(warned, path)
				}
			}
			if changed != "" && !moving {
				why := "file changed: " + changed
				changed = ""
				w.Reload(why)
				files()
			}
		}
	}
}
