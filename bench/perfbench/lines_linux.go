package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"unsafe"

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

// The bench's write of a line and its wait for the verdict are raw
// system calls (unix.RawSyscall), which Go's runtime does not see. Through
// the runtime's syscall path every one of them could wake the bench's
// sysmon (Go 1.26 wakes a deep-sleeping sysmon at each syscall entry),
// which then polls every 20 µs while markd works; its timer wake-ups land
// on markd's CPU and preempt markd's committing thread. A perf sched trace
// of P1 serial (1 500 scans, 2026-12-02 14:30): perfbench preempted that
// thread between its wake-up and its commit's fsync 364 times in 1 296
// scans, markd's time there p50 180 µs; with raw calls 18 times in
// 1 101, 139 µs (stdin: 17 times in 1 147 scans before). A scanner has no such
// neighbour: that was the harness's cost, charged to markd. The bare
// commit is timed as before (database/sql on the same locked thread).
// -runtime-io restores the runtime's syscalls.
var runtimeIO bool

// rawFD writes with raw write(2) calls (see runtimeIO).
type rawFD struct{ fd int }

func (w rawFD) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := rawIO(unix.SYS_WRITE, w.fd, p[n:])
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// rawIO is one read(2) or write(2) of p on fd, outside the runtime's
// syscall path unless runtimeIO; EINTR is retried.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		var r uintptr
		var e unix.Errno
		if runtimeIO {
			r, _, e = unix.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		} else {
			r, _, e = unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		}
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return int(r), e
		}
		return int(r), nil
	}
}

// feedPipe gives cmd a blocking stdin pipe outside the netpoller and
// returns its write end, written with rawIO, and what closes the child's
// end once cmd started; with -netpoll-read, the runtime's StdinPipe.
func feedPipe(cmd *exec.Cmd) (io.Writer, func(), error) {
	if netpollRead {
		w, err := cmd.StdinPipe()
		return w, func() {}, err
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("feed pipe: %w", err)
	}
	r := os.NewFile(uintptr(fds[0]), "feed")
	cmd.Stdin = r
	return newRawFile(os.NewFile(uintptr(fds[1]), "feed")), func() { r.Close() }, nil
}

// rawFile writes an *os.File (blocking, outside the netpoller) with
// rawIO; it holds f so that f's finalizer does not close the descriptor.
type rawFile struct {
	f *os.File
	rawFD
}

func newRawFile(f *os.File) rawFile { return rawFile{f: f, rawFD: rawFD{int(f.Fd())}} }

// rawFeed wraps a feed the bench opened itself (a pty's master).
func rawFeed(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && !netpollRead {
		return newRawFile(f)
	}
	return w
}

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
		n, err := rawIO(unix.SYS_READ, l.fd, l.buf[len(l.buf):cap(l.buf)])
		if err != nil {
			return "", err
		}
		if n == 0 {
			return "", io.EOF
		}
		l.buf = l.buf[:len(l.buf)+n]
	}
}
