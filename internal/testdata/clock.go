package testdata

import (
	"fmt"
	"os"
	"testing"
	"time"

	"markd/mark"
)

// defaultNow is the instant the tests live at unless MARKD_TEST_NOW moves
// them: inside the validity of every key of the shared keyring that is not
// revoked or expired on purpose.
var defaultNow = time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)

// ClockEnv names the environment variable that moves the test clock (RFC
// 3339 or YYYY-MM-DD), to show that no test depends on the wall clock: the
// suite passes with the clock anywhere the shared keys are valid.
const ClockEnv = "MARKD_TEST_NOW"

var now = func() time.Time {
	s := os.Getenv(ClockEnv)
	if s == "" {
		return defaultNow
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	panic(fmt.Sprintf("%s=%q: want an RFC 3339 time or YYYY-MM-DD", ClockEnv, s))
}()

// Now is the one clock of the tests: every test that issues or scans a mark
// takes its time from here, never from time.Now, so verdicts do not depend
// on the day the suite runs.
func Now() time.Time { return now }

// Today is the day of Now in loc (UTC when loc is nil).
func Today(loc *time.Location) mark.Day {
	if loc == nil {
		loc = time.UTC
	}
	return mark.DayOf(now.In(loc))
}

// Wait polls cond every few milliseconds until it holds, and fails t after
// limit: a guard against a hang, not a timing assertion, so limit is
// generous.
func Wait(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	expired := time.After(limit)
	for !cond() {
		select {
		case <-expired:
			t.Fatalf("gave up after %v waiting for %s", limit, what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
