package e2e

import (
	"time"

	"markd/mark"
)

// short names for the table's verdicts and reasons
const (
	acc = mark.Accept
	rej = mark.Reject
	nyv = mark.ReasonNotYetValid
	exp = mark.ReasonExpired
)

// zoneCase is one scan of the table: the counter, the scan's instant
// (written in the zone that makes its day plain), the mark's dates
// ("" = far from the scan), markd's verdict and reason, and the
// collector's dispute of it ("" = none).
type zoneCase struct {
	counter       string
	at            string
	issued, until string
	verdict       mark.Verdict
	reason        mark.Reason
	disputed      mark.Reason
	why           string
}

var zoneCases = []zoneCase{
	// The counter's tz is the office's zone: markd's verdict stands.
	{"kamchatka", "2025-06-10T23:59:59.999999999+12:00", "", "2025-06-10", acc, "", "", "last instant of the last day (UTC: the day before)"},
	{"kamchatka", "2025-06-11T00:00:00+12:00", "", "2025-06-10", rej, exp, "", "midnight after the last day (12:00 UTC)"},
	{"kamchatka", "2025-06-10T23:59:59+12:00", "2025-06-11", "", rej, nyv, "", "a second before the issue day"},
	{"kamchatka", "2025-06-11T00:00:00+12:00", "2025-06-11", "", acc, "", "", "issue day's midnight, 06-10 in UTC"},
	{"kamchatka", "2025-06-10T11:00:00+12:00", "2025-06-11", "", rej, nyv, "", "11:00 the day before the issue day (23:00 UTC two days before): uploaded, not refused"},
	{"kaliningrad", "2025-06-10T23:59:59.999999999+02:00", "", "2025-06-10", acc, "", "", "last instant of the last day"},
	{"kaliningrad", "2025-06-11T00:00:00+02:00", "", "2025-06-10", rej, exp, "", "midnight after the last day"},
	{"kaliningrad", "2025-06-10T23:59:59+02:00", "2025-06-11", "", rej, nyv, "", "a second before the issue day"},
	{"kaliningrad", "2025-06-11T00:00:00+02:00", "2025-06-11", "", acc, "", "", "issue day's midnight"},
	{"pagopago", "2025-06-10T23:59:59.999999999-11:00", "", "2025-06-10", acc, "", "", "last instant of the last day (UTC: the day after)"},
	{"pagopago", "2025-06-11T00:00:00-11:00", "", "2025-06-10", rej, exp, "", "midnight after the last day"},
	{"pagopago", "2025-06-10T23:59:59-11:00", "2025-06-11", "", rej, nyv, "", "a second before the issue day (UTC: the issue day)"},
	{"pagopago", "2025-06-11T00:00:00-11:00", "2025-06-11", "", acc, "", "", "issue day's midnight"},
	// Berlin across both DST changes of 2025 (03-30: 23 h; 10-26: 25 h).
	{"berlin", "2025-03-29T23:59:59+01:00", "", "2025-03-29", acc, "", "", "last day before spring forward, its last second"},
	{"berlin", "2025-03-30T00:00:00+01:00", "", "2025-03-29", rej, exp, "", "midnight of the 23 h day"},
	{"berlin", "2025-03-30T03:00:00+02:00", "", "2025-03-30", acc, "", "", "just after the jump, on the last day"},
	{"berlin", "2025-03-30T23:59:59.999999999+02:00", "2025-03-31", "", rej, nyv, "", "end of the 23 h day, issued the next"},
	{"berlin", "2025-03-31T00:00:00+02:00", "2025-03-31", "", acc, "", "", "first midnight in summer time"},
	{"berlin", "2025-10-25T23:59:59+02:00", "2025-10-26", "", rej, nyv, "", "a second before the 25 h day"},
	{"berlin", "2025-10-26T00:00:00+02:00", "2025-10-26", "", acc, "", "", "midnight of the 25 h day"},
	{"berlin", "2025-10-26T02:30:00+01:00", "2025-10-26", "2025-10-26", acc, "", "", "the second 02:30"},
	{"berlin", "2025-10-26T23:59:59+01:00", "", "2025-10-26", acc, "", "", "end of the 25 h day"},
	{"berlin", "2025-10-27T00:00:00+01:00", "", "2025-10-26", rej, exp, "", "first midnight in winter time"},
	// New York across both DST changes of 2025.
	{"newyork", "2025-03-08T23:59:59-05:00", "2025-03-09", "", rej, nyv, "", "a second before the 23 h day"},
	{"newyork", "2025-03-09T00:00:00-05:00", "2025-03-09", "", acc, "", "", "midnight of the 23 h day"},
	{"newyork", "2025-03-09T23:59:59-04:00", "", "2025-03-09", acc, "", "", "end of the 23 h day"},
	{"newyork", "2025-03-10T00:00:00-04:00", "", "2025-03-09", rej, exp, "", "first midnight in summer time"},
	{"newyork", "2025-11-01T23:59:59-04:00", "2025-11-02", "", rej, nyv, "", "a second before the 25 h day"},
	{"newyork", "2025-11-02T00:00:00-04:00", "2025-11-02", "", acc, "", "", "midnight of the 25 h day"},
	{"newyork", "2025-11-02T23:59:59.999999999-05:00", "", "2025-11-02", acc, "", "", "end of the 25 h day"},
	{"newyork", "2025-11-03T00:00:00-05:00", "", "2025-11-02", rej, exp, "", "first midnight in winter time"},

	// The counter's tz wrong by some hours: disputed exactly when the
	// scan's day in the office's zone is outside the mark's dates.
	{"yekat-as-moscow", "2025-06-10T23:59:59+05:00", "", "2025-06-10", acc, "", "", "last second of the last day in the office"},
	{"yekat-as-moscow", "2025-06-11T00:00:00+05:00", "", "2025-06-10", acc, "", exp, "the office's next day, 22:00 on the counter"},
	{"yekat-as-moscow", "2025-06-10T23:59:59.999999999+03:00", "", "2025-06-10", acc, "", exp, "the counter's last instant, 01:59 next day in the office"},
	{"yekat-as-moscow", "2025-06-11T00:00:00+03:00", "", "2025-06-10", rej, exp, "", "both past the last day"},
	{"yekat-as-moscow", "2025-06-10T23:59:59+03:00", "2025-06-11", "", rej, nyv, "", "rejected on the counter, valid in the office: a rejection is not judged again"},
	{"yekat-as-moscow", "2025-06-11T00:00:00+03:00", "2025-06-11", "", acc, "", "", "the issue day in both"},
	{"moscow-as-yekat", "2025-06-11T00:00:00+05:00", "2025-06-11", "", acc, "", nyv, "the counter's issue day, 22:00 the day before in the office"},
	{"moscow-as-yekat", "2025-06-11T01:59:59.999999999+05:00", "2025-06-11", "", acc, "", nyv, "the office's last instant before the issue day"},
	{"moscow-as-yekat", "2025-06-11T00:00:00+03:00", "2025-06-11", "", acc, "", "", "the office's issue-day midnight"},
	{"moscow-as-yekat", "2025-06-10T23:59:59+05:00", "2025-06-11", "", rej, nyv, "", "before the issue day in both"},
	{"moscow-as-yekat", "2025-06-10T23:59:59+05:00", "", "2025-06-10", acc, "", "", "last day in both"},
	{"moscow-as-yekat", "2025-06-11T00:00:00+05:00", "", "2025-06-10", rej, exp, "", "rejected on the counter, valid in the office"},
	{"berlin-as-utc", "2025-10-26T22:59:59Z", "", "2025-10-26", acc, "", "", "23:59:59 CET, the last day in both"},
	{"berlin-as-utc", "2025-10-26T23:00:00Z", "", "2025-10-26", acc, "", exp, "Berlin's next midnight (CET)"},
	{"berlin-as-utc", "2025-03-29T23:00:00Z", "", "2025-03-29", acc, "", exp, "Berlin's midnight of the 23 h day (CET)"},
	{"berlin-as-utc", "2025-03-30T21:59:59Z", "", "2025-03-30", acc, "", "", "23:59:59 CEST, the last day in both"},
	{"berlin-as-utc", "2025-03-30T22:00:00Z", "", "2025-03-30", acc, "", exp, "Berlin's first midnight in summer time"},
	{"berlin-as-utc", "2025-03-29T23:30:00Z", "2025-03-30", "", rej, nyv, "", "rejected on the counter, 00:30 of the issue day in Berlin"},
	{"newyork-as-la", "2025-11-02T20:59:59-08:00", "", "2025-11-02", acc, "", "", "23:59:59 EST in the office"},
	{"newyork-as-la", "2025-11-02T21:00:00-08:00", "", "2025-11-02", acc, "", exp, "the office's next midnight"},
	{"newyork-as-la", "2025-11-02T23:59:59-08:00", "", "2025-11-02", acc, "", exp, "the counter's last second, 02:59:59 next day in the office"},
	{"newyork-as-london", "2025-03-20T00:00:00Z", "2025-03-20", "", acc, "", nyv, "London's issue-day midnight, 20:00 EDT the day before"},
	{"newyork-as-london", "2025-03-20T03:59:59Z", "2025-03-20", "", acc, "", nyv, "23:59:59 EDT, the day before in the office"},
	{"newyork-as-london", "2025-03-20T04:00:00Z", "2025-03-20", "", acc, "", "", "midnight EDT (4 h, not 5 h, behind London between the DST changes)"},

	// The office's zone unknown: disputed only when outside the dates in
	// every zone, which no counter's tz (UTC−12 … UTC+14) can be.
	{"unknown-moscow", "2025-06-10T23:59:59+03:00", "", "2025-06-10", acc, "", "", "last second of the last day"},
	{"unknown-moscow", "2025-06-11T00:00:00+03:00", "", "2025-06-10", rej, exp, "", "midnight after the last day"},
	{"unknown-moscow", "2025-06-11T00:00:00+03:00", "2025-06-11", "", acc, "", "", "issue day's midnight"},
	{"unknown-kiritimati", "2025-06-11T00:00:00+14:00", "2025-06-11", "", acc, "", "", "the first instant of the issue day anywhere"},
	{"unknown-kiritimati", "2025-06-10T23:59:59+14:00", "2025-06-11", "", rej, nyv, "", "a second before it"},
	{"unknown-kiritimati", "2025-06-10T23:59:59+14:00", "", "2025-06-10", acc, "", "", "the last day, 09:59:59 UTC"},
	{"unknown-kiritimati", "2025-06-10T00:00:00+14:00", "2025-06-11", "", rej, nyv, "", "the first instant of the day before the issue day anywhere: uploaded, not refused"},
	{"unknown-gmt-12", "2025-06-10T23:59:59.999999999-12:00", "", "2025-06-10", acc, "", "", "the last instant of the last day anywhere"},
	{"unknown-gmt-12", "2025-06-11T00:00:00-12:00", "", "2025-06-10", rej, exp, "", "midnight after it"},
	{"unknown-gmt-12", "2025-06-11T00:00:00-12:00", "2025-06-11", "", acc, "", "", "issue day's midnight, 06-11 12:00 UTC"},
}

// sweepDays are the one-day marks each counter scans every 20 minutes
// from 15 h before the day's UTC midnight to 13 h after the next one
// (every local midnight of the day in UTC−12 … UTC+14 and both DST
// change days of Berlin and New York in 2025).
var sweepDays = []string{"2025-06-10", "2025-03-30", "2025-10-26", "2025-03-09", "2025-11-02"}

// zoneScan is a scan TestZoneAgreement imported and what it expects.
type zoneScan struct {
	serial   uint64
	at       time.Time
	issued   mark.Day
	until    mark.Day
	verdict  mark.Verdict
	reason   mark.Reason
	disputed mark.Reason
	what     string
}

// wantQuestion reports whether the collector questions a REJECT of a
// mark valid from issued to until scanned at for its dates: when the day
// of at in the office's zone is within them, or, where that is unknown,
// the day in every zone an office may keep (each quarter hour from
// UTC−12 to UTC+14).
func wantQuestion(at time.Time, issued, until mark.Day, office *time.Location) bool {
	if office != nil {
		od := mark.DayOf(at.In(office))
		return od >= issued && od <= until
	}
	for off := -12 * 4; off <= 14*4; off++ {
		if od := mark.DayOf(at.In(time.FixedZone("", off*15*60))); od < issued || od > until {
			return false
		}
	}
	return true
}
