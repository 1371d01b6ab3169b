package main

import (
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The bench's raw write and read round-trip lines through a pipe, split
// and joined as the kernel hands them over, and report the pipe's end.
func TestRawLinesRoundTrip(t *testing.T) {
	for _, rt := range []bool{false, true} {
		runtimeIO = rt
		var fds [2]int
		if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		w := rawFD{fds[1]}
		r := &fdLines{fd: fds[0], buf: make([]byte, 0, 64)}
		for _, chunk := range []string{"first\nsec", "ond\n", "", "third\nfourth\n"} {
			if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
				t.Fatalf("runtimeIO=%v: write %q: %d, %v", rt, chunk, n, err)
			}
		}
		for _, want := range []string{"first\n", "second\n", "third\n", "fourth\n"} {
			got, err := r.ReadString('\n')
			if err != nil || got != want {
				t.Fatalf("runtimeIO=%v: read %q, %v; want %q", rt, got, err, want)
			}
		}
		if _, err := w.Write([]byte(strings.Repeat("x", 70))); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadString('\n'); err == nil || !strings.Contains(err.Error(), "longer than 64") {
			t.Fatalf("runtimeIO=%v: a line past the buffer gave %v", rt, err)
		}
		unix.Close(fds[1])
		r.buf = r.buf[:0]
		if _, err := r.ReadString('\n'); !errors.Is(err, io.EOF) {
			t.Fatalf("runtimeIO=%v: closed pipe gave %v, want EOF", rt, err)
		}
		r.Close()
	}
	runtimeIO = false
}

// feedPipe's write end reaches the child's stdin.
func TestFeedPipeReachesChild(t *testing.T) {
	cmd := exec.Command("head", "-n", "1")
	feed, started, err := feedPipe(cmd)
	if err != nil {
		t.Fatal(err)
	}
	out, done, err := verdictPipe(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("head: %v", err)
	}
	started()
	done()
	defer cmd.Wait()
	if _, err := io.WriteString(feed, "EPM1:line\n"); err != nil {
		t.Fatal(err)
	}
	if got, err := out.ReadString('\n'); err != nil || got != "EPM1:line\n" {
		t.Fatalf("child echoed %q, %v", got, err)
	}
	closeLines(out)
}
