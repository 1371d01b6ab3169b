//go:build !linux

package main

import (
	"errors"
	"os"
)

func openPty() (*os.File, string, error) {
	return nil, "", errors.New("direct pty: linux only (use serial-socat)")
}
