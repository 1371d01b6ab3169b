//go:build cgo

package store

import "C"

// markdGateCheck runs the check armed on slot (gateArm); the WAL's sync
// calls it on the committing thread while the commit's frames are written
// out, before it waits for them. A missing check or one that panics is
// bad: fail closed.
//
//export markdGateCheck
func markdGateCheck(slot C.int) (ok C.int) {
	if slot <= 0 || int(slot) >= len(gateChecks) {
		return 0
	}
	f := gateChecks[slot].Load()
	if f == nil {
		return 0
	}
	defer func() {
		if recover() != nil {
			ok = 0
		}
	}()
	if (*f)() {
		return 1
	}
	return 0
}
