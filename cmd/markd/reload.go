package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"markd/config"
	"markd/httpapi"
	"markd/verify"
)

// reloadDebounce gathers the events of one editor save or file replacement.
const reloadDebounce = 300 * time.Millisecond

// reloadLists loads keyring, tariffs and revocations anew and swaps them in
// all together; a file that does not load is refused with an error naming
// it, and the lists in force stay. While a signed bundle from the collector
// is in force (bundle() > 0) the files are not read: the bundle's lists are
// newer and verified, and only a newer bundle replaces them.
func reloadLists(c config.Config, holder *verify.Holder, m *httpapi.Metrics, log *slog.Logger, why string, bundle func() uint64) bool {
	if v := bundle(); v > 0 {
		log.Warn("reload skipped: the lists of a signed bundle are in force; the config files apply again only without a distribution key",
			"why", why, "bundle", v, "in_force", holder.Versions())
		return false
	}
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, c.Revoked)
	if err != nil {
		m.Reloaded(false)
		log.Error("reload refused: the lists in force stay", "why", why, "err", err,
			"keyring", c.Keyring, "tariffs", c.Tariffs, "revoked", c.Revoked, "in_force", holder.Versions())
		return false
	}
	holder.Swap(v)
	m.Reloaded(true)
	log.Info("lists reloaded", "why", why, "versions", v.Versions())
	return true
}

// notifyHUP starts catching SIGHUP; stop undoes it.
func notifyHUP() (hup <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}

// watchLists reloads the lists on SIGHUP and when one of their files
// changes, until ctx ends. The folders are watched, not the files, so a
// replacement by rename (the safe way to update a file) is seen too.
// hup comes from notifyHUP, registered before the daemon says it listens,
// so a SIGHUP never meets the default action (exit).
func watchLists(ctx context.Context, c config.Config, holder *verify.Holder, m *httpapi.Metrics, log *slog.Logger, hup <-chan os.Signal, bundle func() uint64) {

	files := map[string]bool{}
	var events <-chan fsnotify.Event
	var errs <-chan error
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("file watch unavailable; reload with SIGHUP", "err", err)
	} else {
		defer w.Close()
		dirs := map[string]bool{}
		for _, f := range []string{c.Keyring, c.Tariffs, c.Revoked} {
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
			if err := w.Add(d); err != nil {
				log.Warn("cannot watch folder; reload with SIGHUP", "dir", d, "err", err)
			}
		}
		events, errs = w.Events, w.Errors
	}
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reloadLists(c, holder, m, log, "SIGHUP", bundle)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if !files[filepath.Clean(ev.Name)] || ev.Op == fsnotify.Chmod {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(reloadDebounce)
			} else {
				timer.Reset(reloadDebounce)
			}
			fire = timer.C
		case <-fire:
			fire = nil
			reloadLists(c, holder, m, log, "file changed", bundle)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			log.Warn("file watch", "err", err)
		}
	}
}
