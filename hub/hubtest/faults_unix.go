//go:build unix

package hubtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Halt stops the server (fast shutdown: connections are cut) and keeps
// its data; Start brings it back on the same port.
func (c *Cluster) Halt() error {
	out, err := c.run(filepath.Join(PGBin, "pg_ctl"), "-D", filepath.Join(c.Dir, "data"), "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Start starts a halted server again on its port.
func (c *Cluster) Start() error {
	out, err := c.run(filepath.Join(PGBin, "pg_ctl"), "-D", filepath.Join(c.Dir, "data"), "-l", filepath.Join(c.Dir, "log"),
		"-w", "-t", "60", "-o", c.opts, "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// Freeze stops (SIGSTOP) the postmaster and every backend: the server
// keeps its sockets open but answers nothing, like a hung machine. Thaw
// lets it go on (SIGCONT).
func (c *Cluster) Freeze() error { return c.signalAll(syscall.SIGSTOP) }

// Thaw continues a frozen server.
func (c *Cluster) Thaw() error { return c.signalAll(syscall.SIGCONT) }

// signalAll sends sig to the postmaster (data/postmaster.pid) and all its
// children (found in /proc).
func (c *Cluster) signalAll(sig syscall.Signal) error {
	b, err := os.ReadFile(filepath.Join(c.Dir, "data", "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return fmt.Errorf("postmaster.pid: %q: %w", first, err)
	}
	pids := []int{pm}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pm) {
			pids = append(pids, pid)
		}
	}
	// The postmaster last on stop (no new children while we go), first on continue.
	if sig == syscall.SIGSTOP {
		pids = append(pids[1:], pm)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && pid == pm {
			return fmt.Errorf("signal postmaster %d: %w", pm, err)
		}
	}
	return nil
}
