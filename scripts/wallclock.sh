#!/usr/bin/env bash
# Runs go test with the wall clock of every Go program moved to another day,
# to show the suite does not depend on the day it runs (brief: it passes on
# any date from 2026 to 2030).
#
#   scripts/wallclock.sh 2029-06-01 ./...        # any go test arguments
#
# libfaketime cannot move Go's clock (Go reads the vDSO, not libc), so this
# builds with a -overlay of the standard library's time package: time.Now
# adds MARKD_WALL_SHIFT_DAYS days to the wall reading (monotonic readings,
# timers and sleeps are untouched). GOFLAGS carries the overlay into the
# binaries the tests build themselves (markd, markhub).
set -euo pipefail
at=${1:?usage: scripts/wallclock.sh YYYY-MM-DD [go test args]}
shift
# The shift lands on that day: the least whole number of days that is not
# behind it, ceil(gap / 86400). Bash divides towards zero, which is the
# ceiling only for a gap below zero (a past day); rounding a past gap up
# by 86399 first landed a day late (2026-01-01 read 2026-01-02).
gap=$(( $(date -u -d "$at" +%s) - $(date -u +%s) ))
if (( gap > 0 )); then days=$(( (gap + 86399) / 86400 )); else days=$(( gap / 86400 )); fi
src=$(go env GOROOT)/src/time
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
grep -q 'sec, nsec, mono := runtimeNow()' "$src/time.go" || { echo "wallclock.sh: time.Now changed in this Go version; adapt the overlay" >&2; exit 1; }
sed 's/sec, nsec, mono := runtimeNow()/sec, nsec, mono := runtimeNow(); sec += wallShift/' "$src/time.go" > "$dir/time.go"
cat > "$dir/wallshift.go" <<'GO'
package time

import "syscall"

// wallShift moves the wall clock by MARKD_WALL_SHIFT_DAYS days (tests only).
var wallShift = func() int64 {
	s, _ := syscall.Getenv("MARKD_WALL_SHIFT_DAYS")
	neg, n := false, int64(0)
	for i, c := range s {
		switch {
		case i == 0 && c == '-':
			neg = true
		case c >= '0' && c <= '9':
			n = n*10 + int64(c-'0')
		}
	}
	if neg {
		n = -n
	}
	return n * 86400
}()
GO
printf '{"Replace":{"%s":"%s","%s":"%s"}}\n' "$src/time.go" "$dir/time.go" "$src/wallshift.go" "$dir/wallshift.go" > "$dir/overlay.json"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-overlay=$dir/overlay.json" MARKD_WALL_SHIFT_DAYS=$days
mkdir "$dir/check"
cat > "$dir/check/now_test.go" <<GO
package wallclock
import ("testing"; "time")
func TestShifted(t *testing.T) {
	if got := time.Now().UTC().Format(time.DateOnly); got != "$at" {
		t.Fatalf("wall clock reads %s, want $at: the overlay did not take", got)
	}
}
GO
printf 'module wallclock\n' > "$dir/check/go.mod"
(cd "$dir/check" && go test -count=1 . >/dev/null) || { echo "wallclock.sh: the shifted clock does not read $at" >&2; exit 1; }
echo "wallclock.sh: wall clock moved $days days to $at" >&2
go test "$@"
