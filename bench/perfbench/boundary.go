package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tarm/serial"

	"markd/bench/benchutil"
)

// The process boundary of P1, measured alone: a child process that only
// echoes each line it reads (no verification, no store) stands where
// markd run stands, fed the same marks the same way (a pipe on its stdin,
// or the slave of a pty opened with tarm/serial as markd's serial source
// opens it: same baud, same read timeout), each line followed by one bare
// commit as in P1. Its p50 in units of the bare commit is the share of P1
// that no change inside markd can take away; markd's P1 minus it is what
// markd adds.

// echoLines is the child: it copies each line of in to stdout as one
// write, the terminator turned into a newline (eachLine's end, stopAtEOF).
func echoLines(in io.Reader, term byte, stopAtEOF bool) error {
	out := make([]byte, 0, 4096)
	return eachLine(in, term, stopAtEOF, func(line []byte) error {
		out = append(append(out[:0], line...), '\n')
		_, err := os.Stdout.Write(out)
		return err
	})
}

// eachLine calls fn with each line of in that ends with term, without
// it. An end of in with nothing read ends it when stopAtEOF (a pipe); else
// it is a tty's read timeout and it reads on. A partial line at an end is
// left out.
func eachLine(in io.Reader, term byte, stopAtEOF bool, fn func(line []byte) error) error {
	br := bufio.NewReaderSize(in, 4096)
	for {
		line, err := br.ReadSlice(term)
		if err == io.EOF {
			if len(line) == 0 {
				if stopAtEOF {
					return nil
				}
				continue // a tty read timed out with nothing: keep reading
			}
		} else if err != nil {
			return err
		}
		if len(line) == 0 || line[len(line)-1] != term {
			continue
		}
		if err := fn(line[:len(line)-1]); err != nil {
			return err
		}
	}
}

// runEcho is perfbench -echo: "stdin", or the path of a tty to open as
// markd's serial source does.
func runEcho(src string) error {
	if src == "stdin" {
		return echoLines(os.Stdin, '\n', true)
	}
	p, err := serial.OpenPort(&serial.Config{Name: src, Baud: 9600, ReadTimeout: 100 * time.Millisecond})
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer p.Close()
	return echoLines(p, '\r', false)
}

// measureBoundary times the echo child beside the bare commit, kind
// "stdin" or "serial" (a pty pair, as P1's serial run), rounds runs of n
// lines each.
func measureBoundary(td, dir, kind string, n, rounds int) ([]row, error) {
	warm := warmOps
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var r50 []float64
	for r := 0; r < rounds; r++ {
		marks, err := signMarks(td, n+warm)
		if err != nil {
			return nil, err
		}
		echo, bareD, err := boundaryOnce(self, dir, kind, marks, warm)
		if err != nil {
			return nil, err
		}
		r50 = append(r50, float64(benchutil.Pct(echo, 50))/float64(benchutil.Pct(bareD, 50)))
	}
	return []row{{name: fmt.Sprintf("P1 %s process boundary alone (echo child) p50", kind),
		goal: "(part of P1)", ratio: spread(r50)}}, nil
}

func boundaryOnce(self, dir, kind string, marks []string, warm int) (echo, bareD []time.Duration, err error) {
	b, err := openBare(filepath.Join(dir, "bare.db"))
	if err != nil {
		return nil, nil, err
	}
	defer b.close()
	for i := range warm {
		if err := b.commitSettled(marks[i%len(marks)]); err != nil {
			return nil, nil, err
		}
	}
	src, term := "stdin", "\n"
	var feed io.Writer
	if kind == "serial" {
		master, slave, err := openPty()
		if err != nil {
			return nil, nil, err
		}
		defer master.Close()
		src, term, feed = slave, "\r", master
	}
	cmd := exec.Command(self, "-echo", src)
	ch, err := pipeChild(cmd, feed)
	if err != nil {
		return nil, nil, err
	}
	defer ch.close()
	feed, out := ch.feed, ch.out
	cmd.Stderr = os.Stderr
	if err := ch.start(cmd); err != nil {
		return nil, nil, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if kind == "serial" {
		time.Sleep(300 * time.Millisecond) // the child opens the port
	}
	runtime.LockOSThread() // the blocking verdict reads and the bare commits on one thread
	defer runtime.UnlockOSThread()
	for i, text := range marks {
		start := time.Now()
		if _, err := io.WriteString(feed, text+term); err != nil {
			return nil, nil, err
		}
		line, err := out.ReadString('\n')
		if err != nil {
			return nil, nil, fmt.Errorf("echo child output: %w", err)
		}
		d := time.Since(start)
		if strings.TrimSuffix(line, "\n") != text {
			return nil, nil, fmt.Errorf("echo child: line %d came back as %q", i, line)
		}
		db, err := b.timed(text)
		if err != nil {
			return nil, nil, err
		}
		if i >= warm {
			echo, bareD = append(echo, d), append(bareD, db)
		}
	}
	return echo, bareD, nil
}
