package mark

import "time"

// LatestZone is the offset of the easternmost zone an office may keep its
// day in (UTC+14, Kiritimati), where every calendar day begins first.
const LatestZone = 14 * time.Hour

// IssueFloor is the earliest plausible scan time of a mark issued on day
// d: the first instant of the day before d in UTC+14, where days begin
// first. A counter scanning a mark on the day before its issue day
// (NOT_YET_VALID) anywhere from UTC−12 to UTC+14 is not taken for one
// with a wrong clock. The collector refuses a record of a verified mark
// stamped before it (the counter's clock is wrong: hub's checkAt), so
// markd import refuses such a line of a file before storing it: one rule,
// here, for both.
func IssueFloor(d Day) time.Time { return d.Time().AddDate(0, 0, -1).Add(-LatestZone) }

// BeforeIssue reports whether a scan at `at` of a mark issued on day d is
// stamped before IssueFloor(d): too early for any zone's clock.
func BeforeIssue(at time.Time, d Day) bool { return at.Before(IssueFloor(d)) }
