package scanner

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tarm/serial"
	"golang.org/x/sys/unix"

	"markd/mark"
)

// inEpoll reports whether a descriptor of this process that leads to dev
// is in one of its epoll sets (Go's netpoller has one): each registered
// descriptor is a "tfd:" line in the fdinfo of the epoll descriptor.
func inEpoll(t *testing.T, dev string) bool {
	t.Helper()
	target, err := filepath.EvalSymlinks(dev)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fds {
		if link, _ := os.Readlink("/proc/self/fd/" + e.Name()); link != "anon_inode:[eventpoll]" {
			continue
		}
		f, err := os.Open("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 || fields[0] != "tfd:" {
				continue
			}
			if _, err := strconv.Atoi(fields[1]); err != nil {
				continue
			}
			if link, _ := os.Readlink("/proc/self/fd/" + fields[1]); link == target {
				f.Close()
				return true
			}
		}
		f.Close()
	}
	return false
}

// TestOpenPortOutsideNetpoller: the descriptor openPort reads is in no
// epoll set, so a line wakes only the read that takes it, and lines still
// arrive through it; tarm's own port is in Go's netpoller (why openPort
// exists), which also shows that the check sees a registration.
func TestOpenPortOutsideNetpoller(t *testing.T) {
	p := newPtyPair(t)
	cfg := &serial.Config{Name: p.Dev, Baud: 9600, ReadTimeout: DefaultSerialPoll}
	tp, err := serial.OpenPort(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !inEpoll(t, p.Dev) {
		t.Error("tarm/serial's port is not in the netpoller: the check cannot see registrations, or tarm changed")
	}
	tp.Close()

	port, err := openPort(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	if inEpoll(t, p.Dev) {
		t.Fatal("openPort's descriptor is in an epoll set")
	}
	if _, err := p.peer.Write([]byte(epm + "\r")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 512)
	for tries := 0; tries < 50 && !strings.Contains(string(got), "\r"); tries++ {
		n, _ := port.Read(buf) // (0, io.EOF) after an idle VTIME
		got = append(got, buf[:n]...)
	}
	if string(got) != epm+"\r" {
		t.Fatalf("read %q, want the line written", got)
	}
}

// TestSerialReadLoopOnGivenCPUs: with CPUs set, every scan is emitted on
// a thread that may run on those CPUs only (the scan is judged and
// committed there); without, on any of the process's CPUs.
func TestSerialReadLoopOnGivenCPUs(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	last := -1
	for c := 0; c < len(all)*64; c++ {
		if all.IsSet(c) {
			last = c
		}
	}
	for _, tt := range []struct {
		name string
		cpus []int
		want int // CPUs the emitting thread may use
	}{
		{name: "pinned", cpus: []int{last}, want: 1},
		{name: "anywhere", cpus: nil, want: all.Count()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPtyPair(t)
			src := NewSerial("front", SerialConfig{Port: p.Dev, CPUs: tt.cpus}, nil, nil)
			got := make(chan unix.CPUSet, 4)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- src.Serve(ctx, func(mark.Scan) {
					var set unix.CPUSet
					_ = unix.SchedGetaffinity(0, &set)
					got <- set
				})
			}()
			defer func() { cancel(); <-done }()
			waitFor(t, "port open", func() bool { return src.Health().Up })
			p.write("EPM1:ONE\r")
			select {
			case set := <-got:
				if set.Count() != tt.want || tt.cpus != nil && !set.IsSet(last) {
					t.Errorf("the scan was emitted on a thread allowed %d CPUs (CPU %d in: %v), want %d", set.Count(), last, set.IsSet(last), tt.want)
				}
			case <-time.After(waitLimit):
				t.Fatal("no scan")
			}
		})
	}
}
