package scanner

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"markd/mark"
)

// device is what the serial and wedge sources share: their health and
// counters, and the loop that opens the device, reads it until it goes away
// and opens it again with Backoff. Unplug and replug are the normal case,
// so this loop is where such a source spends its life. (Camera restarts a
// process, not a device node, and keeps its own loop.)
type device struct {
	name string
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	health mark.SourceHealth
	stats  Stats
}

func (d *device) init(name, kind string, log *slog.Logger, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d.name, d.now = name, now
	d.log = log.With("subsystem", "scanner", "source", name, "kind", kind)
	d.health = mark.SourceHealth{Name: name, Kind: kind, Detail: "starting", Since: now()}
}

// Name returns the source name.
func (d *device) Name() string { return d.name }

// Health reports whether the device is open and read, in plain words when not.
func (d *device) Health() mark.SourceHealth {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.health
	h.Events = d.stats.events(h.Kind)
	return h
}

// Stats returns the reconnect and drop counters (wedge: also unknown keys).
func (d *device) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

func (d *device) setHealth(up bool, detail string) (changed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.health.Up == up && d.health.Detail == detail {
		return false
	}
	if d.health.Up != up {
		d.health.Since = d.now()
	}
	d.health.Up, d.health.Detail = up, detail
	return true
}

func (d *device) count(f func(*Stats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

// scanned counts one line emitted and returns it as a scan of this source.
// A line the framer cut (f.N set: longer than MaxLine) is counted and
// logged, and passed on with its real length: the pipeline stores it as
// NOT_A_MARK like a long line from any other source.
func (d *device) scanned(f Frame, maxLine int) mark.Scan {
	d.mu.Lock()
	d.health.Scans++
	if f.N > 0 {
		d.stats.CutTooLong++
	}
	d.mu.Unlock()
	if f.N > 0 {
		d.log.Warn("line longer than max_line from the scanner: passed on cut, stored as NOT_A_MARK", "bytes", f.N, "max_line", maxLine)
	}
	return mark.Scan{Text: f.Text, Length: f.N, Source: d.name, At: d.now()}
}

// reconnect says how a source opens its device and names it in the log.
type reconnect struct {
	pattern string // path or glob, resolved with ResolvePort before each open
	group   string // the Unix group that grants access, for PlainDeviceError
	what    string // subject of the log lines: "scanner", "wedge scanner"
	key     string // log key of pattern: "port", "device"
	attrs   []any  // more attributes of the "connected" log line
	// open opens path and returns the read loop of that connection (it
	// returns when ctx ends or the device goes away, and resets the backoff
	// once data arrives) and its close, which serve calls only after read
	// returned.
	open func(path string) (read func(context.Context, *Backoff) error, close func() error, err error)
}

// serve opens, reads and reopens the device until ctx ends.
func (d *device) serve(ctx context.Context, r reconnect) {
	var bo Backoff
	opened := false
	for ctx.Err() == nil {
		path, err := ResolvePort(r.pattern)
		var read func(context.Context, *Backoff) error
		var closeConn func() error
		if err == nil {
			read, closeConn, err = r.open(path)
		}
		if err != nil {
			// The device's path or pattern first, as markd doctor has it:
			// the light and /healthz then say which port is missing.
			detail := r.pattern + ": " + PlainDeviceError(err, r.group) + ", retrying"
			if opened && errors.Is(err, fs.ErrNotExist) {
				detail = DetailUnplugged
			}
			if d.setHealth(false, detail) {
				d.log.Warn(r.what+" not available", r.key, r.pattern, "err", err)
			}
			if !bo.Wait(ctx) {
				break
			}
			continue
		}
		if opened {
			d.count(func(st *Stats) { st.Reconnects++ })
		}
		opened = true
		d.setHealth(true, "reading "+path)
		d.log.Info(r.what+" connected", append([]any{"path", path}, r.attrs...)...)
		err = read(ctx, &bo)
		if cerr := closeConn(); cerr != nil {
			d.log.Debug("close device", "path", path, "err", cerr)
		}
		if ctx.Err() != nil {
			break
		}
		d.setHealth(false, DetailUnplugged)
		d.log.Warn(r.what+" gone, retrying", "path", path, "err", err)
		// A backoff step before opening again, after every connection: a
		// device that opens and fails at once (a flaky cable, a tty hung up
		// at once, a pipe without a writer) would otherwise be reopened in
		// a tight loop. Bytes read reset the backoff, so after a working
		// connection this is the minimum step.
		if !bo.Wait(ctx) {
			break
		}
	}
	d.setHealth(false, "stopped")
}
