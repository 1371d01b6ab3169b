package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"markd/mark"
)

// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int): with argument 1 the
// device's events go to this fd only, so the scanned text is not typed
// into whatever window has the focus.
const eviocgrab = 0x40044590

// WedgeConfig configures one keyboard-wedge scanner.
type WedgeConfig struct {
	Device  string        // evdev path or glob, e.g. /dev/input/by-id/*-event-kbd
	Grab    bool          // exclusive grab (EVIOCGRAB)
	MaxLine int           // default DefaultMaxLine
	Idle    time.Duration // partial code dropped after this; default DefaultIdle
}

// Wedge is a source reading a keyboard-wedge scanner from Linux evdev. Key
// codes are physical positions, so the text is the same whatever keyboard
// layout the desktop uses. Unplug (ENODEV, or the end of a pipe) is
// retried with Backoff like a serial scanner.
type Wedge struct {
	name string
	cfg  WedgeConfig
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	health mark.SourceHealth
	stats  Stats
}

// NewWedge returns a wedge source; the device is opened by Serve.
func NewWedge(name string, cfg WedgeConfig, log *slog.Logger, now func() time.Time) *Wedge {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Idle <= 0 {
		cfg.Idle = DefaultIdle
	}
	return &Wedge{
		name: name, cfg: cfg, now: now,
		log:    log.With("subsystem", "scanner", "source", name, "kind", "wedge"),
		health: mark.SourceHealth{Name: name, Kind: "wedge", Detail: "starting", Since: now()},
	}
}

// Name returns the source name.
func (w *Wedge) Name() string { return w.name }

// Health reports whether the device is open, in plain words when not.
func (w *Wedge) Health() mark.SourceHealth {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.health
}

// Stats returns the reconnect, drop and unknown-key counters.
func (w *Wedge) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

func (w *Wedge) setHealth(up bool, detail string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.health.Up == up && w.health.Detail == detail {
		return false
	}
	if w.health.Up != up {
		w.health.Since = w.now()
	}
	w.health.Up, w.health.Detail = up, detail
	return true
}

// Serve reads key events until ctx ends, reopening the device as needed.
func (w *Wedge) Serve(ctx context.Context, emit func(mark.Scan)) error {
	var bo Backoff
	opened := false
	for ctx.Err() == nil {
		path, err := ResolvePort(w.cfg.Device)
		var f *os.File
		if err == nil {
			f, err = OpenInput(path, w.cfg.Grab)
		}
		if err != nil {
			detail := PlainDeviceError(err, "input")
			if opened && errors.Is(err, fs.ErrNotExist) {
				detail = DetailUnplugged
			}
			if w.setHealth(false, detail) {
				w.log.Warn("wedge scanner not available", "device", w.cfg.Device, "err", err)
			}
			if !bo.Wait(ctx) {
				break
			}
			continue
		}
		if opened {
			w.mu.Lock()
			w.stats.Reconnects++
			w.mu.Unlock()
		}
		opened = true
		w.setHealth(true, "reading "+path)
		w.log.Info("wedge scanner connected", "path", path, "grab", w.cfg.Grab)
		err = w.readLoop(ctx, f, &bo, emit)
		f.Close()
		if ctx.Err() != nil {
			break
		}
		w.setHealth(false, DetailUnplugged)
		w.log.Warn("wedge scanner gone, retrying", "path", path, "err", err)
		// A pipe that ended is not a device that vanished: do not spin on it.
		if !bo.Wait(ctx) {
			break
		}
	}
	w.setHealth(false, "stopped")
	return nil
}

// OpenInput opens an evdev device (or a recorded stream) for reading,
// non-blocking so Go's poller can interrupt the read, and grabs it when
// asked. A grab on something that is not an input device fails with a
// plain error.
func OpenInput(path string, grab bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if grab {
		if err := ioctlInt(f, eviocgrab, 1); err != nil {
			f.Close()
			if errors.Is(err, syscall.ENOTTY) || errors.Is(err, syscall.EINVAL) {
				return nil, fmt.Errorf("grab %s: not an input event device: %w: %w", path, mark.ErrInvalid, err)
			}
			return nil, fmt.Errorf("grab %s (another program holds it?): %w", path, err)
		}
	}
	return f, nil
}

func ioctlInt(f *os.File, req uint, val int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = unix.IoctlSetInt(int(fd), req, val) }); err != nil {
		return err
	}
	return ierr
}

// The backoff restarts from its minimum only once events arrive: a pipe
// without a writer opens and ends at once, and must not be reopened in a
// tight loop.
func (w *Wedge) readLoop(ctx context.Context, f *os.File, bo *Backoff, emit func(mark.Scan)) error {
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	d := &KeyDecoder{MaxLine: w.cfg.MaxLine, Idle: w.cfg.Idle}
	handle := func(fr Frame) {
		switch fr.Kind {
		case FrameLine:
			w.mu.Lock()
			w.health.Scans++
			w.mu.Unlock()
			emit(mark.Scan{Text: fr.Text, Source: w.name, At: w.now()})
		case FrameTooLong:
			w.mu.Lock()
			w.stats.DroppedTooLong++
			w.mu.Unlock()
			w.log.Error("code too long from wedge scanner, dropped until Enter", "keys", fr.N)
		case FrameIdle:
			w.mu.Lock()
			w.stats.DroppedIdle++
			w.mu.Unlock()
			w.log.Warn("partial code without Enter dropped; check the scanner's suffix setting", "keys", fr.N)
		case FrameLost:
			w.mu.Lock()
			w.stats.DroppedLost++
			w.mu.Unlock()
			w.log.Warn("key events lost by the kernel (SYN_DROPPED); the code being typed was dropped, scan it again", "keys", fr.N)
		}
	}
	var b [InputEventSize * 64]byte
	var pend []byte // bytes of an event split across reads (pipes)
	deadlines := true
	var unknownSeen int64
	for ctx.Err() == nil {
		if deadlines {
			if err := f.SetReadDeadline(time.Now().Add(w.cfg.Idle / 2)); err != nil {
				deadlines = false // a regular file: no deadlines, it never blocks anyway
			}
		}
		n, err := f.Read(b[:])
		if n > 0 {
			bo.Reset()
		}
		pend = append(pend, b[:n]...)
		for len(pend) >= InputEventSize {
			e, _ := ParseInputEvent(pend[:InputEventSize])
			pend = pend[InputEventSize:]
			d.Event(e, w.now(), handle)
		}
		pend = append([]byte(nil), pend...)
		d.Expire(w.now(), handle)
		w.mu.Lock()
		w.stats.UnknownKeys += d.Unknown - unknownSeen
		w.mu.Unlock()
		unknownSeen = d.Unknown
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, io.EOF):
			return fmt.Errorf("input ended: %w", err)
		default:
			return fmt.Errorf("read input events: %w", err)
		}
	}
	return nil
}
