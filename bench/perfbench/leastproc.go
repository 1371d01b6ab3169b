package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/tarm/serial"

	"markd/internal/irqcpu"
	"markd/pipeline"
)

// The least a process does on P1's path, measured beside markd: a child
// that reads each line the way markd's source reads it (stdin, or the
// slave of a pty opened with tarm/serial, same baud and read timeout),
// commits it as one bare row (the bare commit's file, discipline and
// checkpoint cadence, its checkpoint run after the answer as markd's holds
// the next scan) and answers with one short verdict line. It commits on
// the CPUs that take the disk's completion interrupts, as markd's serial
// and stdin sources do, and it passes through Go's
// scheduler every 5 ms as markd's sources do (pipeline's yielder): without
// that, Go's sysmon took its P back at every system call and polled every
// 20 µs, which doubled its CPU a scan and slowed the bare commit beside it
// by 15–20 %, a reference that flattered markd. It stands where markd run
// stands in the same rounds: its figures ÷ the bare p50 are what the path
// itself costs (the process boundary and one commit, nothing of markd's
// work), and markd ÷ it is what markd adds on that path. It is a
// reference, not a bound: where its threads run decides as much as what
// they do, so markd can come out below it (docs/notes/perf.md, "P1,
// eleventh stop").

// leastAnswer is the child's verdict line (what p1Once looks for).
const leastAnswer = `{"verdict":"ACCEPT"}` + "\n"

// runLeast is perfbench -least: src is "stdin" or the path of a tty, db
// the bare file the child commits to (created afresh).
func runLeast(src, db string) error {
	var b committer
	var err error
	if os.Getenv(leastLogEnv) == "1" {
		b, err = openLog(db + ".log")
	} else {
		b, err = openBare(db)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", db, err)
	}
	defer b.close()
	var in io.Reader = os.Stdin
	term := byte('\n')
	// Where markd's serial and stdin sources judge and commit (daemon's
	// placement).
	if cpus, err := irqcpu.CompletionCPUs(db); err == nil && cpus != nil {
		if err := pinCommits(cpus); err != nil {
			return err
		}
	}
	if src != "stdin" {
		p, err := serial.OpenPort(&serial.Config{Name: src, Baud: 9600, ReadTimeout: 100 * time.Millisecond})
		if err != nil {
			return fmt.Errorf("open %s: %w", src, err)
		}
		defer p.Close()
		in, term = p, '\r'
	}
	fmt.Fprintln(os.Stderr, "least: listening url=-") // p1Once waits for this as for markd's
	last := time.Now()
	return eachLine(in, term, src == "stdin", func(line []byte) error {
		if t := time.Now(); t.Sub(last) >= pipeline.YieldEvery { // as markd's sources
			last = t
			runtime.Gosched()
		}
		if err := b.commit(string(line)); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		if _, err := io.WriteString(os.Stdout, leastAnswer); err != nil {
			return err
		}
		if err := b.settle(); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		return nil
	})
}
