//go:build unix

package scanner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/mark"
)

// The wedge source over a named pipe: replayed events in, lines out; the
// writer going away counts as an unplug and a new writer as a replug.
func TestWedgeSourceOverFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "event-kbd")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	src := NewWedge("wedge", WedgeConfig{Device: fifo, Idle: 300 * time.Millisecond}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	scans := make(chan mark.Scan, 64)
	done := make(chan error, 1)
	go func() { done <- src.Serve(ctx, func(s mark.Scan) { scans <- s }) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Serve did not return after cancel")
		}
	}()
	for round := 0; round < 3; round++ {
		// O_RDWR (Linux): opens at once and keeps the pipe buffer alive
		// whether or not the source has it open at this instant.
		w, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := newRecorder()
		r.line(t, epm)
		if round == 1 { // a code longer than any mark: passed on cut, with its length
			r.line(t, strings.Repeat("LONG", 1100))
		}
		r.line(t, "ROUND"+string(rune('0'+round)))
		// split writes across event boundaries
		for i := 0; i < len(r.buf); i += 37 {
			if _, err := w.Write(r.buf[i:min(i+37, len(r.buf))]); err != nil {
				t.Fatal(err)
			}
		}
		expectLines(t, scans, epm)
		if round == 1 {
			select {
			case s := <-scans:
				if s.Length != 4400 || s.Text != strings.Repeat("LONG", 1024) {
					t.Fatalf("long code: %d bytes, length %d", len(s.Text), s.Length)
				}
			case <-time.After(waitLimit):
				t.Fatal("the long code never arrived")
			}
		}
		expectLines(t, scans, "ROUND"+string(rune('0'+round)))
		w.Close()
		waitFor(t, "unplug noticed", func() bool { return !src.Health().Up })
	}
	if st := src.Stats(); st.Reconnects < 2 || st.CutTooLong != 1 {
		t.Fatalf("stats = %+v, want at least 2 reconnects and 1 cut code", st)
	}
}

func TestWedgeGrabNotInputDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-evdev")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	src := NewWedge("wedge", WedgeConfig{Device: path, Grab: true}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Serve(ctx, func(mark.Scan) {}) }()
	waitFor(t, "grab error in health", func() bool { return strings.Contains(src.Health().Detail, "not an input event device") })
	cancel()
	<-done
}

// TestWedgeUnplugMidCode: a code cut short by an unplug is counted as a
// dropped partial code (and logged) when the device goes, as the serial
// source does, not dropped without a word; the code typed after the
// replug arrives alone.
func TestWedgeUnplugMidCode(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "event-kbd")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	src := NewWedge("wedge", WedgeConfig{Device: fifo, Idle: time.Hour}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scans := make(chan mark.Scan, 8)
	go func() { _ = src.Serve(ctx, func(s mark.Scan) { scans <- s }) }()
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	r.text(t, "EPM1:HALF")
	if _, err := w.Write(r.buf); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "device open", func() bool { return src.Health().Up })
	w.Close()
	waitFor(t, "unplug noticed", func() bool { return !src.Health().Up })
	waitFor(t, "the partial code counted", func() bool { return src.Stats().DroppedIdle == 1 })
	w, err = os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r = newRecorder()
	r.line(t, "WHOLE")
	if _, err := w.Write(r.buf); err != nil {
		t.Fatal(err)
	}
	expectLines(t, scans, "WHOLE")
	if n := src.Stats().DroppedIdle; n != 1 {
		t.Errorf("partial codes dropped %d, want 1", n)
	}
}
