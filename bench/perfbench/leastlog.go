package main

import (
	"fmt"
	"os"
)

// leastLogEnv, set to 1 in perfbench's environment, makes the least
// process (runLeast) keep each line in an append-only log file instead of
// a bare SQLite row: one pwrite at the log's end and one fdatasync, on a
// file made 64 MiB long before the first line so no write grows it. It is
// the floor of a log-first write path (the scan made durable in a log of
// markd's own, SQLite written from the log behind the scans), the "deeper
// write-path change" of issue 12 item 2, measured on P1's path beside the
// same bare commit: docs/notes/perf.md, "P1, twenty-sixth stop".
const leastLogEnv = "PERFBENCH_LEAST_LOG"

// logFileSize is how far the log is made ahead (a round's lines fit).
const logFileSize = 64 << 20

// committer is what the least process commits with.
type committer interface {
	commit(v string) error
	settle() error
	close()
}

// logCommitter appends length-prefixed lines to a file made ahead.
type logCommitter struct {
	f   *os.File
	off int64
	buf []byte
}

func openLog(path string) (*logCommitter, error) {
	os.Remove(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := makeAhead(f, logFileSize); err != nil {
		f.Close()
		return nil, fmt.Errorf("make %s ahead: %w", path, err)
	}
	return &logCommitter{f: f}, nil
}

// commit writes one record (a 4-byte length and the line) and makes it
// durable; fdatasync, as the file's length does not change.
func (l *logCommitter) commit(v string) error {
	l.buf = append(l.buf[:0], byte(len(v)>>24), byte(len(v)>>16), byte(len(v)>>8), byte(len(v)))
	l.buf = append(l.buf, v...)
	if l.off+int64(len(l.buf)) > logFileSize {
		l.off = 0
	}
	if _, err := l.f.WriteAt(l.buf, l.off); err != nil {
		return err
	}
	l.off += int64(len(l.buf))
	return datasync(l.f)
}

func (l *logCommitter) settle() error { return nil }

func (l *logCommitter) close() { l.f.Close() }
