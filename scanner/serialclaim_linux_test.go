package scanner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

// holdPortEnv names the port TestPortHolderChild opens in a child process.
const holdPortEnv = "MARKD_TEST_HOLD_PORT"

// TestPortHolderChild is the child process of holdPort, not a test of its
// own: it opens the port named in holdPortEnv as the serial source does
// (openPort) without CAP_SYS_ADMIN, as markd runs (root with it is let
// past a tty's TIOCEXCL claim), says "opened" or "refused: …" on stdout,
// and keeps the port until it is killed.
func TestPortHolderChild(t *testing.T) {
	dev := os.Getenv(holdPortEnv)
	if dev == "" {
		return
	}
	runtime.LockOSThread() // the capabilities dropped are this thread's
	if err := dropSysAdmin(); err != nil {
		fmt.Printf("error: drop CAP_SYS_ADMIN: %v\n", err)
		os.Exit(1)
	}
	port, err := openPort(&serial.Config{Name: dev, Baud: 9600, ReadTimeout: DefaultSerialPoll})
	if err != nil {
		fmt.Printf("refused: busy=%v %s: %v\n", errors.Is(err, syscall.EBUSY), PlainDeviceError(err, "dialout"), err)
		os.Exit(0)
	}
	fmt.Println("opened")
	_ = port
	for {
		time.Sleep(time.Hour)
	}
}

// dropSysAdmin takes CAP_SYS_ADMIN out of this thread's effective set.
func dropSysAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[unix.CAP_SYS_ADMIN/32].Effective &^= 1 << (unix.CAP_SYS_ADMIN % 32)
	return unix.Capset(&hdr, &data[0])
}

// portHolder is a child process that opened a port (or was refused it).
type portHolder struct {
	cmd    *exec.Cmd
	result string // its first line: "opened" or "refused: …"
}

// holdPort starts a child process (this test binary again) that opens dev
// and returns once it said whether it could.
func holdPort(t *testing.T, dev string) *portHolder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPortHolderChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdPortEnv+"="+dev)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &portHolder{cmd: cmd}
	t.Cleanup(h.kill)
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Scan()
		line <- sc.Text()
	}()
	select {
	case h.result = <-line:
	case <-time.After(waitLimit):
		t.Fatalf("the child opening %s said nothing", dev)
	}
	if strings.HasPrefix(h.result, "error:") || h.result == "" {
		t.Fatalf("child: %q", h.result)
	}
	return h
}

// kill ends the child with SIGKILL (no Close, no deferred call) and
// waits for it.
func (h *portHolder) kill() {
	if h.cmd.ProcessState == nil {
		_ = h.cmd.Process.Signal(syscall.SIGKILL)
		_ = h.cmd.Wait()
	}
}

// TestSerialPtyClaimDiesWithProcess: a markd killed with SIGKILL while it
// read a socat-bridged pty (socat, still running, keeps the other side
// open) does not keep the port from the markd started after it; a second
// reader is refused while the first lives, with the error of a port in
// use. Before, the pty kept the TIOCEXCL claim of the dead process (a pty
// outlives its last close while the other side is open) and every later
// open failed with EBUSY until socat restarted.
func TestSerialPtyClaimDiesWithProcess(t *testing.T) {
	p := newPtyPair(t)
	first := holdPort(t, p.Dev)
	if first.result != "opened" {
		t.Fatalf("first reader: %s", first.result)
	}
	const inUse = "refused: busy=true in use by another program"
	if second := holdPort(t, p.Dev); !strings.HasPrefix(second.result, inUse) {
		t.Fatalf("second reader while the first lives: %q, want %q…", second.result, inUse)
	}
	first.kill()
	restarted := holdPort(t, p.Dev)
	if restarted.result != "opened" {
		t.Fatalf("reader started after the first was killed (SIGKILL): %q, want opened", restarted.result)
	}
	if again := holdPort(t, p.Dev); !strings.HasPrefix(again.result, inUse) {
		t.Fatalf("another reader while the restarted one lives: %q, want %q…", again.result, inUse)
	}
}

// TestIsPty: socat's link leads to a pseudo-terminal (claimed by a lock);
// a character device that is no pty is not one (a real line: TIOCEXCL).
func TestIsPty(t *testing.T) {
	p := newPtyPair(t)
	for _, tc := range []struct {
		path string
		pty  bool
	}{{p.Dev, true}, {"/dev/null", false}} {
		fd, err := unix.Open(tc.path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := isPty(fd, tc.path); got != tc.pty {
			t.Errorf("isPty(%s) = %v, want %v", tc.path, got, tc.pty)
		}
		unix.Close(fd)
	}
}
