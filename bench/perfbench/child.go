package main

import (
	"io"
	"os/exec"
)

// child is a measured child process's pipes: the bench writes lines to
// feed and reads the answers from out.
type child struct {
	feed    io.Writer
	out     lineReader
	started func()
}

// pipeChild gives cmd a stdin pipe (the feed, unless feed is already
// another way in, a pty) and the verdict pipe; start cmd with ch.start and
// call ch.close when done.
func pipeChild(cmd *exec.Cmd, feed io.Writer) (*child, error) {
	stdin, fed, err := feedPipe(cmd)
	if err != nil {
		return nil, err
	}
	if feed == nil {
		feed = stdin
	} else {
		feed = rawFeed(feed)
	}
	out, started, err := verdictPipe(cmd)
	if err != nil {
		return nil, err
	}
	return &child{feed: feed, out: out, started: func() { fed(); started() }}, nil
}

// start starts cmd and closes the parent's copy of the child's ends.
func (ch *child) start(cmd *exec.Cmd) error {
	err := cmd.Start()
	ch.started()
	return err
}

// close closes the bench's end of the verdict pipe.
func (ch *child) close() { closeLines(ch.out) }
