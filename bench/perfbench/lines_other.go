//go:build !linux

package main

import (
	"bufio"
	"io"
	"os/exec"
)

// netpollRead: see lines_linux.go; elsewhere the verdicts are read
// through cmd.StdoutPipe.
var netpollRead bool

// runtimeIO: see lines_linux.go; elsewhere the bench always writes and
// reads through the runtime.
var runtimeIO bool

// feedPipe is cmd's stdin pipe (closed by cmd itself).
func feedPipe(cmd *exec.Cmd) (io.Writer, func(), error) {
	w, err := cmd.StdinPipe()
	return w, func() {}, err
}

// rawFeed is w itself.
func rawFeed(w io.Writer) io.Writer { return w }

func verdictPipe(cmd *exec.Cmd) (lineReader, func(), error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	return bufio.NewReader(out), func() {}, nil
}

// lineReader is what the measures read the child's lines with.
type lineReader interface {
	ReadString(delim byte) (string, error)
}

func closeLines(lineReader) {}
