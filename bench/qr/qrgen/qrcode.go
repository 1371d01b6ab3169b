package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// qrModules is the side of a version 9 code: every frame is one, as the
// marks printed on letters are (172 alphanumeric characters at level M).
const qrModules = 53

// checkQrencode fails early, before any file is written, when the
// qrencode CLI that draws the module matrices is not installed.
func checkQrencode() error {
	if _, err := exec.LookPath("qrencode"); err != nil {
		return fmt.Errorf("qrencode not found (install the Debian package qrencode: apt-get install qrencode): %w", err)
	}
	return nil
}

// qrMatrix returns the module matrix of text as a version 9-M code, true
// for a dark module, from qrencode's ASCII output (two characters a module,
// no quiet zone).
func qrMatrix(text string) ([][]bool, error) {
	cmd := exec.Command("qrencode", "-l", "M", "-v", "9", "-m", "0", "-t", "ASCII", text)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return nil, fmt.Errorf("qrencode %q: %w: %s", text, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("qrencode %q: %w", text, err)
	}
	var m [][]bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		if l == "" {
			continue
		}
		row := make([]bool, 0, len(l)/2)
		for i := 0; i+1 < len(l); i += 2 {
			row = append(row, l[i] == '#')
		}
		m = append(m, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("qrencode %q: read output: %w", text, err)
	}
	// qrencode may leave out the trailing light modules of a row.
	n := len(m)
	for i := range m {
		for len(m[i]) < n {
			m[i] = append(m[i], false)
		}
	}
	if n != qrModules {
		// A longer text, or another qrencode, chose another version:
		// the frames would no longer be the ones the sets were made with.
		return nil, fmt.Errorf("qrencode %q: %d modules, want %d (version 9)", text, n, qrModules)
	}
	for i := range m {
		if len(m[i]) != n {
			return nil, fmt.Errorf("qrencode %q: row %d has %d modules, want %d", text, i, len(m[i]), n)
		}
	}
	return m, nil
}
