package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"markd/mark"
)

// ErrNoEvdev is the error of the evdev wedge source on Windows, which has
// no evdev: there the browser wedge of the operator screen reads the
// scanner (web/wedge.js, source browser-wedge). It is errors.ErrUnsupported.
var ErrNoEvdev = fmt.Errorf("the evdev keyboard wedge is Linux-only (%w); on Windows the operator screen reads a wedge scanner (browser wedge)",
	errors.ErrUnsupported)

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
	device
	cfg WedgeConfig
}

// NewWedge returns a wedge source; the device is opened by Serve.
func NewWedge(name string, cfg WedgeConfig, log *slog.Logger, now func() time.Time) *Wedge {
	if cfg.Idle <= 0 {
		cfg.Idle = DefaultIdle
	}
	w := &Wedge{cfg: cfg}
	w.init(name, "wedge", log, now)
	return w
}

// Serve reads key events until ctx ends, reopening the device as needed.
func (w *Wedge) Serve(ctx context.Context, emit func(mark.Scan)) error {
	w.serve(ctx, reconnect{
		pattern: w.cfg.Device, group: "input", what: "wedge scanner", key: "device",
		attrs: []any{"grab", w.cfg.Grab},
		open: func(path string) (func(context.Context, *Backoff) error, func() error, error) {
			f, err := OpenInput(path, w.cfg.Grab)
			if err != nil {
				return nil, nil, err
			}
			read := func(ctx context.Context, bo *Backoff) error { return w.readLoop(ctx, f, bo, emit) }
			return read, f.Close, nil
		},
	})
	return nil
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
			emit(w.scanned(fr, d.maxLine()))
		case FrameIdle:
			w.count(func(st *Stats) { st.DroppedIdle++ })
			w.log.Warn("partial code without Enter dropped; check the scanner's suffix setting", "keys", fr.N)
		case FrameLost:
			w.count(func(st *Stats) { st.DroppedLost++ })
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
		w.count(func(st *Stats) { st.UnknownKeys += d.Unknown - unknownSeen })
		unknownSeen = d.Unknown
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, io.EOF):
			w.codeLost(d, handle)
			return fmt.Errorf("input ended: %w", err)
		default:
			w.codeLost(d, handle)
			return fmt.Errorf("read input events: %w", err)
		}
	}
	return nil
}

// codeLost passes on the code being typed when the device went away: the
// operator scans that letter again (as Serial.readLoop says for a partial
// line). A code already being discarded after SYN_DROPPED is passed on
// as that loss, if it was not yet.
func (w *Wedge) codeLost(d *KeyDecoder, handle func(Frame)) {
	if d.discard {
		d.lost(handle)
		d.reset()
		return
	}
	if d.n == 0 {
		return
	}
	w.count(func(st *Stats) { st.DroppedIdle++ })
	w.log.Warn("partial code lost when the wedge scanner went away; scan that letter again", "keys", d.n)
	d.reset()
}
