package winsvc

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"

	"golang.org/x/sys/windows/svc/eventlog"

	"markd/internal/cli"
	"markd/internal/logfile"
)

// Logger is the logger of the service at level and format (the log keys
// of the config): every record to LogFile (rotated at 10 MB, 5 kept),
// warnings and errors also to the Event Log (source Name). Either may be
// missing (no rights, source not registered); then the other still logs.
func (s Service) Logger(level, format string) (*slog.Logger, func()) {
	var hs []slog.Handler
	var closers []func()
	if f, err := logfile.Open(s.LogFile(), 0, 0); err == nil {
		hs = append(hs, cli.NewLogger(level, format, f).Handler())
		closers = append(closers, func() { f.Close() })
	}
	if el, err := eventlog.Open(s.Name); err == nil {
		hs = append(hs, newEventHandler(el))
		closers = append(closers, func() { el.Close() })
	}
	if len(hs) == 0 {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
	}
	return slog.New(teeHandler(hs)), func() {
		for _, c := range closers {
			c()
		}
	}
}

// teeHandler sends each record to every handler that takes its level.
type teeHandler []slog.Handler

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}

// eventHandler writes warnings and errors to the Event Log as text lines.
type eventHandler struct {
	el    *eventlog.Log
	mu    *sync.Mutex
	buf   *bytes.Buffer
	inner slog.Handler
}

func newEventHandler(el *eventlog.Log) *eventHandler {
	buf := &bytes.Buffer{}
	return &eventHandler{el: el, mu: &sync.Mutex{}, buf: buf,
		inner: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelWarn})}
}

func (h *eventHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *eventHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	msg := h.buf.String()
	const eventID = 1
	if r.Level >= slog.LevelError {
		return h.el.Error(eventID, msg)
	}
	return h.el.Warning(eventID, msg)
}

func (h *eventHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.inner = h.inner.WithAttrs(as)
	return &c
}

func (h *eventHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.inner = h.inner.WithGroup(name)
	return &c
}
