package main

import (
	"fmt"
	"markd/internal/filecopy"
	"os"
	"path/filepath"
	"runtime"
)

// floorDir is where -only floor copies the big store: a tmpfs, so fsync
// costs nothing and what is left of P1 is markd's CPU and wake-ups.
const floorDir = "/dev/shm/markd-perfbench-floor"

// measureFloor runs pipeline.Process and P1 (stdin, serial) on a copy of
// the big store on tmpfs (bare commit there too): not the goal's figures,
// the part of P1 no disk can take away. P1 minus Process is the way in
// and out of the process; Process minus the bare commit is verification
// and the store's CPU (docs/notes/perf.md, "P1, third stop").
func measureFloor(bin, td, big string, n, rounds int, logf func(string, ...any)) ([]row, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("floor needs Linux's tmpfs at /dev/shm")
	}
	if err := os.MkdirAll(floorDir, 0o755); err != nil {
		return nil, fmt.Errorf("floor needs a tmpfs at %s: %w", floorDir, err)
	}
	defer os.RemoveAll(floorDir)
	db := filepath.Join(floorDir, filepath.Base(big))
	if err := filecopy.Copy(big, db); err != nil {
		return nil, err
	}
	var rows []row
	logf("floor (tmpfs): pipeline.Process, P1 stdin and serial, %d runs of %d", rounds, n)
	r, err := measureProcess(td, floorDir, db, n, rounds)
	if err != nil {
		return nil, err
	}
	rows = append(rows, r...)
	r, err = measureP1(bin, td, floorDir, db, []string{"stdin", "serial"}, n, rounds, true, logf)
	if err != nil {
		logf("floor P1 skipped: %v", err)
	}
	rows = append(rows, r...)
	for i := range rows {
		rows[i].name = "tmpfs: " + rows[i].name
		rows[i].goal = "(no fsync)"
	}
	return rows, nil
}
