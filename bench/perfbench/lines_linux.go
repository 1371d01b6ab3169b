package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// How the bench reads the child's verdict lines. Through cmd.StdoutPipe
// the read end is non-blocking and in Go's netpoller: after a line is
// written the measuring goroutine parks, the runtime polls, and when the
// verdict comes its wake-up goes through epoll and another runtime thread
// first. A perf trace of P1 (sched and syscall events, 2026-12-02) put
// ~18 µs of the bench's own scheduling between its write and markd
// getting the CPU (the wakee runs on the waker's CPU) and ~30 µs between
// markd's verdict write and the bench's read returning: the harness's
// cost, not markd's, and larger the longer the child takes (the bench's
// threads have gone idle by then), so an echo child hardly shows it. So
// the verdicts are read with plain blocking reads of a pipe outside the
// netpoller, on the measuring goroutine's own locked thread (the bare
// commit runs on that thread too). -netpoll-read restores the old way.
var netpollRead bool

// verdictPipe sets cmd's stdout and returns the reader of its lines;
// call it before cmd.Start and done after it.
func verdictPipe(cmd *exec.Cmd) (lines lineReader, done func(), err error) {
	if netpollRead {
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		return bufio.NewReader(out), func() {}, nil
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("verdict pipe: %w", err)
	}
	w := os.NewFile(uintptr(fds[1]), "verdicts") // blocking: not in the netpoller
	cmd.Stdout = w
	return &fdLines{fd: fds[0], buf: make([]byte, 0, 64<<10)}, func() { w.Close() }, nil
}

// lineReader is what the measures read the child's lines with.
type lineReader interface {
	ReadString(delim byte) (string, error)
}

// closeLines closes what verdictPipe opened for the reader (a StdoutPipe
// is closed by cmd.Wait).
func closeLines(l lineReader) {
	if c, ok := l.(io.Closer); ok {
		c.Close()
	}
}

// fdLines reads lines with blocking read(2) calls on a pipe.
type fdLines struct {
	fd  int
	buf []byte // unread bytes
}

// Close closes the read end.
func (l *fdLines) Close() error { return unix.Close(l.fd) }

// ReadString returns the next line up to and including delim.
func (l *fdLines) ReadString(delim byte) (string, error) {
	for {
		for i, c := range l.buf {
			if c == delim {
				s := string(l.buf[:i+1])
				l.buf = l.buf[:copy(l.buf, l.buf[i+1:])]
				return s, nil
			}
		}
		if len(l.buf) == cap(l.buf) {
			return "", fmt.Errorf("line longer than %d bytes", cap(l.buf))
		}
		n, err := unix.Read(l.fd, l.buf[len(l.buf):cap(l.buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		if n == 0 {
			return "", io.EOF
		}
		l.buf = l.buf[:len(l.buf)+n]
	}
}
