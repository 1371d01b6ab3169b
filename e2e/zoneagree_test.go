package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/store"
)

// zoneCounter is one counter of TestZoneAgreement: its office, the time
// zone its markd is configured with (tz), and the zone markhub knows
// the office in (office_zones; "" = not known).
type zoneCounter struct {
	name    string
	office  uint32
	tz      string
	hubZone string
}

// zoneCounters: the counter's tz equal to the office's zone (east and
// west of UTC, with and without DST), wrong by some hours (a PC left on
// another zone), and offices the collector knows no zone of.
var zoneCounters = []zoneCounter{
	{"kamchatka", 683000, "Asia/Kamchatka", "Asia/Kamchatka"},
	{"kaliningrad", 236000, "Europe/Kaliningrad", "Europe/Kaliningrad"},
	{"berlin", 111000, "Europe/Berlin", "Europe/Berlin"},
	{"newyork", 112000, "America/New_York", "America/New_York"},
	{"pagopago", 113000, "Pacific/Pago_Pago", "Pacific/Pago_Pago"},
	{"yekat-as-moscow", 620000, "Europe/Moscow", "Asia/Yekaterinburg"}, // the counter 2 h behind
	{"moscow-as-yekat", 101000, "Asia/Yekaterinburg", "Europe/Moscow"}, // the counter 2 h ahead
	{"berlin-as-utc", 111001, "UTC", "Europe/Berlin"},                  // 1 or 2 h behind
	{"newyork-as-la", 112001, "America/Los_Angeles", "America/New_York"},
	{"newyork-as-london", 112002, "Europe/London", "America/New_York"}, // 4 or 5 h ahead: DST starts 3 weeks apart
	{"unknown-moscow", 300000, "Europe/Moscow", ""},
	{"unknown-kiritimati", 300001, "Pacific/Kiritimati", ""}, // UTC+14
	{"unknown-gmt-12", 300002, "Etc/GMT+12", ""},             // UTC−12
}

// zoneHubConfig is markhub's office_zones for zoneCounters; office_zone
// is left unset, so 300000–300002 are offices of unknown zone.
const zoneHubConfig = `office_zone: ""
office_zones:
  - zone: Asia/Kamchatka
    offices: ["683"]
  - zone: Europe/Kaliningrad
    offices: ["236"]
  - zone: Europe/Berlin
    offices: ["111"]
  - zone: America/New_York
    offices: ["112"]
  - zone: Pacific/Pago_Pago
    offices: ["113"]
  - zone: Asia/Yekaterinburg
    offices: ["620"]
  - zone: Europe/Moscow
    offices: ["101"]
at_before_registration: 0
`

// TestZoneAgreement holds markd's verdicts on a mark's dates (the day of
// the scan in its tz) and markhub's re-judging of each uploaded ACCEPT
// (the day in the office's zone of office_zones, else every zone) to one
// another with the real binaries: markd import with each scan's at, markd
// sync --once to markhub serve on SQLite. No dispute where the counter's
// tz is the office's zone; where it is wrong, a dispute exactly when the
// scan's day in the office's zone is outside the mark's dates; where the
// collector knows no zone, none (a counter's tz is inside UTC−12 …
// UTC+14). Rejections reach the collector as they are, undisputed, none
// refused, and questioned exactly when the scan's day in the office's
// zone (every zone where that is unknown) is within the mark's dates. The table's instants are hand-written; the sweep's
// expectations are counted from the definitions (the every-zone rule over
// each quarter-hour offset). No wall clock and no machine zone: the scans
// are of 2025 (before any wall clock the keys allow: the collector's
// at_before_registration is 0), and the test passes under any TZ.
func TestZoneAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("runs markhub and 13 counters' imports and uploads")
	}
	markd := markdBinary(t)
	sign := testdata.Signer(t)
	ctx := context.Background()

	hubURL, hubDB, pub, tokens := startZoneHub(t, zoneCounters)

	// The scans: the table, then the sweep.
	scans := map[string][]zoneScan{}
	serial := uint64(8_000_000)
	byName := map[string]zoneCounter{}
	for _, c := range zoneCounters {
		byName[c.name] = c
	}
	day := func(s string) mark.Day {
		d, err := mark.ParseDay(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range zoneCases {
		if _, ok := byName[tc.counter]; !ok {
			t.Fatalf("case %q: no counter %s", tc.why, tc.counter)
		}
		at, err := time.Parse(time.RFC3339Nano, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		s := zoneScan{at: at, verdict: tc.verdict, reason: tc.reason, disputed: tc.disputed,
			what: fmt.Sprintf("%s at %s (issued %s, until %s): %s", tc.counter, tc.at, tc.issued, tc.until, tc.why)}
		if tc.issued != "" {
			s.issued = day(tc.issued)
		} else {
			s.issued = mark.DayOf(at.UTC()) - 10
		}
		if tc.until != "" {
			s.until = day(tc.until)
		} else {
			s.until = mark.DayOf(at.UTC()) + 10
		}
		serial++
		s.serial = serial
		scans[tc.counter] = append(scans[tc.counter], s)
	}
	for _, c := range zoneCounters {
		tz, err := time.LoadLocation(c.tz)
		if err != nil {
			t.Fatal(err)
		}
		var office *time.Location
		if c.hubZone != "" {
			if office, err = time.LoadLocation(c.hubZone); err != nil {
				t.Fatal(err)
			}
		}
		for _, ds := range sweepDays {
			d := day(ds)
			from := d.Time().Add(-15 * time.Hour)
			to := (d + 1).Time().Add(13 * time.Hour)
			for at := from; !at.After(to); at = at.Add(20 * time.Minute) {
				serial++
				s := zoneScan{serial: serial, at: at, issued: d, until: d, verdict: acc,
					what: fmt.Sprintf("%s: one-day mark of %s scanned %s (%s on the counter)", c.name, ds, at.Format(time.RFC3339),
						at.In(tz).Format("2006-01-02 15:04 MST"))}
				switch cd := mark.DayOf(at.In(tz)); {
				case cd < d:
					s.verdict, s.reason = rej, nyv
				case cd > d:
					s.verdict, s.reason = rej, exp
				}
				if s.verdict == acc {
					s.disputed = wantDispute(at, d, office)
				}
				scans[c.name] = append(scans[c.name], s)
			}
		}
	}

	// Each counter imports its scans and uploads them.
	for _, c := range zoneCounters {
		dir := t.TempDir()
		cfg := zoneCounterConfig(t, dir, c, hubURL, tokens[c.name], pub, "")
		runCLI(t, "", "init", "--config", cfg)
		var lines strings.Builder
		for _, s := range scans[c.name] {
			m := mark.Mark{Serial: s.serial, Contract: 1, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
				TariffKop: 1000000, Office: c.office, Issued: s.issued, ValidUntil: s.until, Tracking: issuer.Tracking(c.office, s.serial)}
			line, err := json.Marshal(struct {
				Text string `json:"text"`
				At   string `json:"at"`
			}{sign(m), s.at.Format(time.RFC3339Nano)})
			if err != nil {
				t.Fatal(err)
			}
			lines.Write(line)
			lines.WriteByte('\n')
		}
		file := filepath.Join(dir, "scans.jsonl")
		if err := os.WriteFile(file, []byte(lines.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		out := runCLI(t, "", "import", file, "--config", cfg)
		if !strings.Contains(out, fmt.Sprintf("imported %d scans", len(scans[c.name]))) {
			t.Fatalf("%s: markd import: %s", c.name, out)
		}
		sync := exec.Command(markd, "sync", "--once", "--config", cfg)
		syncOut, err := sync.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: markd sync --once: %v\n%s", c.name, err, syncOut)
		}
		check := zoneCheck{t: t, c: c, db: filepath.Join(dir, "markd.db")}
		check.records(ctx, scans[c.name], hubDB, string(syncOut))
	}
}

// startZoneHub sets markhub up on SQLite with zoneHubConfig (a
// distribution key, a terminal for each counter, a bundle of the lists)
// and starts markhub serve. It returns its URL, its database, the
// distribution key's public half and the terminals' tokens by name.
func startZoneHub(t *testing.T, counters []zoneCounter) (url, db, pub string, tokens map[string]string) {
	t.Helper()
	td := testdata.Dir(t)
	markhub := markhubBinary(t)
	hubDir := t.TempDir()
	db = filepath.Join(hubDir, "markhub.db")
	hubCLI := func(args ...string) string {
		t.Helper()
		if args[0] != "keys" {
			args = append(args, "--db-driver", "sqlite", "--db", db)
		}
		out, err := exec.Command(markhub, args...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("markhub %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	distKey := filepath.Join(hubDir, "distribution.key")
	pub = hubCLI("keys", "new", "--out", distKey)
	tokens = map[string]string{}
	for _, c := range counters {
		tokens[c.name] = hubCLI("terminal", "add", c.name, "--office", fmt.Sprint(c.office))
	}
	hubCLI("bundle", "publish", "--key", distKey,
		"--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml"))
	hubCfg := filepath.Join(hubDir, "markhub.yaml")
	if err := os.WriteFile(hubCfg, []byte(fmt.Sprintf("db_driver: sqlite\ndb: %q\n", db)+zoneHubConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return startHub(t, markhub, []string{"--config", hubCfg}), db, pub, tokens
}

// wantDispute is the collector's dispute of an ACCEPT of a mark valid on
// d only, scanned at, by MARK-FORMAT §2: the day of at in the office's
// zone; where that is unknown, the reason only if it holds in every zone
// an office may keep (each quarter hour from UTC−12 to UTC+14).
func wantDispute(at time.Time, d mark.Day, office *time.Location) mark.Reason {
	if office != nil {
		switch od := mark.DayOf(at.In(office)); {
		case od < d:
			return nyv
		case od > d:
			return exp
		}
		return ""
	}
	before, after := true, true
	for off := -12 * 4; off <= 14*4; off++ {
		od := mark.DayOf(at.In(time.FixedZone("", off*15*60)))
		before = before && od < d
		after = after && od > d
	}
	switch {
	case before:
		return nyv
	case after:
		return exp
	}
	return ""
}

// zoneCounterConfig writes the config of counter c uploading to hubURL.
func zoneCounterConfig(t *testing.T, dir string, c zoneCounter, hubURL, token, pub string, extra string) string {
	t.Helper()
	td := testdata.Dir(t)
	tokFile := filepath.Join(dir, "collector.token")
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf(`office: %d
counter: "1"
tz: %s
keyring: %q
tariffs: %q
db: %q
log:
  level: info
  format: text
sync:
  url: %q
  token_file: %q
  distribution_key: %q
  bundle_dir: %q
`, c.office, c.tz, filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), filepath.Join(dir, "markd.db"),
		hubURL, tokFile, pub, filepath.Join(dir, "bundles")) + extra
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// zoneCheck compares one counter's stored records with the collector's.
type zoneCheck struct {
	t  *testing.T
	c  zoneCounter
	db string
}

func (z zoneCheck) records(ctx context.Context, want []zoneScan, hubDB, syncOut string) {
	t := z.t
	t.Helper()
	db, err := store.OpenExisting(ctx, z.db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 0 || st.Refused != 0 {
		t.Errorf("%s: after markd sync --once %d records wait and %d were refused:\n%s", z.c.name, st.Records, st.Refused, syncOut)
	}
	var recs []mark.Record
	for cursor := ""; ; {
		page, next, err := db.List(ctx, store.Filter{Cursor: cursor, Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	hs, err := sqlitestore.Open(ctx, hubDB)
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	bySerial := map[uint64]zoneScan{}
	for _, s := range want {
		bySerial[s.serial] = s
	}
	if len(recs) != len(want) {
		t.Errorf("%s: %d records stored, want %d", z.c.name, len(recs), len(want))
	}
	var office *time.Location
	if z.c.hubZone != "" {
		if office, err = time.LoadLocation(z.c.hubZone); err != nil {
			t.Fatal(err)
		}
	}
	disputedIDs, questioned := 0, 0
	for _, r := range recs {
		if r.Mark == nil {
			t.Errorf("%s: record %s without its mark: %s %v %s", z.c.name, r.ID, r.Verdict, r.Reasons, r.Message)
			continue
		}
		s, ok := bySerial[r.Mark.Serial]
		if !ok {
			t.Errorf("%s: record %s of serial %d not scanned here", z.c.name, r.ID, r.Mark.Serial)
			continue
		}
		if !r.At.Equal(s.at) {
			t.Errorf("%s: stored at %s", s.what, r.At.Format(time.RFC3339Nano))
		}
		wantReasons := []mark.Reason{}
		if s.reason != "" {
			wantReasons = []mark.Reason{s.reason}
		}
		if r.Verdict != s.verdict || !slices.Equal(r.Reasons, wantReasons) {
			t.Errorf("%s: markd %s %v, want %s %v", s.what, r.Verdict, r.Reasons, s.verdict, wantReasons)
		}
		h, err := hs.Record(ctx, z.c.name, r.ID)
		if err != nil {
			t.Errorf("%s: the collector's record %s: %v", s.what, r.ID, err)
			continue
		}
		if h.Verdict != r.Verdict || !slices.Equal(h.Reasons, r.Reasons) || !h.At.Equal(r.At) || h.Office != z.c.office {
			t.Errorf("%s: the collector stored %s %v at %s office %d, the counter %s %v at %s",
				s.what, h.Verdict, h.Reasons, h.At.Format(time.RFC3339Nano), h.Office, r.Verdict, r.Reasons, r.At.Format(time.RFC3339Nano))
		}
		if h.Verification != hub.Verified {
			t.Errorf("%s: the collector's verification %q (%s)", s.what, h.Verification, h.Why)
		}
		var wantQuestioned []mark.Reason
		if s.verdict == rej && wantQuestion(s.at, s.issued, s.until, office) {
			wantQuestioned = r.Reasons
			questioned++
		}
		if !slices.Equal(h.Questioned, wantQuestioned) {
			t.Errorf("%s: the collector questions %v (%s), want %v", s.what, h.Questioned, h.Why, wantQuestioned)
		}
		var wantDisputed []mark.Reason
		if s.disputed != "" {
			wantDisputed = []mark.Reason{s.disputed}
			disputedIDs++
		}
		if !slices.Equal(h.Disputed, wantDisputed) {
			t.Errorf("%s: the collector disputes %v (%s), want %v", s.what, h.Disputed, h.Why, wantDisputed)
			continue
		}
		if s.disputed == "" {
			continue
		}
		in := "time zone " + z.c.hubZone
		if z.c.hubZone == "" {
			in = "every time zone"
		}
		if !strings.HasPrefix(h.Why, string(s.disputed)+":") || !strings.Contains(h.Why, in) {
			t.Errorf("%s: why %q, want %s in %s", s.what, h.Why, s.disputed, in)
		}
		if !strings.Contains(syncOut, r.ID) {
			t.Errorf("%s: markd sync --once did not name the disputed record %s:\n%s", s.what, r.ID, syncOut)
		}
	}
	if wrongZone := z.c.hubZone != "" && z.c.hubZone != z.c.tz; wrongZone != (questioned > 0) {
		t.Errorf("%s (tz %s, office's zone %q): %d rejections questioned", z.c.name, z.c.tz, z.c.hubZone, questioned)
	}
	t.Logf("%s (tz %s, office's zone %q): %d scans, %d disputed, %d questioned", z.c.name, z.c.tz, z.c.hubZone, len(recs),
		disputedIDs, questioned)
}

// TestZoneAgreementRun is TestZoneAgreement's check through markd run:
// the daemon's clock (--clock) starts at an instant an hour or more from
// the next midnight both of its tz and of the office's zone, scans come
// on its stdin, and its own uploader sends them to markhub. A Berlin
// office's counter left on UTC scans at Berlin's midnight after the
// last day of the 25 h day of 2025-10-26 (23:00 UTC: still 10-26 on the
// counter); a Kamchatka counter at the midnight of the issue day (12:00
// UTC the day before).
func TestZoneAgreementRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs markhub and two markd run")
	}
	counters := []zoneCounter{
		{"run-berlin-as-utc", 111002, "UTC", "Europe/Berlin"},
		{"run-kamchatka", 683002, "Asia/Kamchatka", "Asia/Kamchatka"},
	}
	hubURL, hubDB, pub, tokens := startZoneHub(t, counters)
	sign := testdata.Signer(t)
	ctx := context.Background()
	day := func(s string) mark.Day {
		d, err := mark.ParseDay(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	type scan struct {
		issued, until string
		verdict       mark.Verdict
		reason        mark.Reason
		disputed      mark.Reason
		questioned    bool
	}
	runs := []struct {
		c     zoneCounter
		clock string
		scans []scan
	}{
		{counters[0], "2025-10-26T23:00:00Z", []scan{
			{"2025-10-20", "2025-10-26", acc, "", exp, false}, // 10-26 on the counter, 10-27 in Berlin
			{"2025-10-27", "2025-11-20", rej, nyv, "", true},  // valid in Berlin: the rejection is questioned
			{"2025-10-20", "2025-10-30", acc, "", "", false},
		}},
		{counters[1], "2025-06-10T12:00:00Z", []scan{
			{"2025-06-11", "2025-06-30", acc, "", "", false}, // 06-11 in Kamchatka, 06-10 in UTC
			{"2025-06-01", "2025-06-10", rej, exp, "", false},
		}},
	}
	serial := uint64(8_900_000)
	for _, run := range runs {
		c := run.c
		dir := t.TempDir()
		cfg := zoneCounterConfig(t, dir, c, hubURL, tokens[c.name], pub, `  batch_age: 100ms
  interval: 300ms
  max_backoff: 500ms
http:
  listen: "127.0.0.1:0"
`)
		runCLI(t, "", "init", "--config", cfg)
		clock, err := time.Parse(time.RFC3339, run.clock)
		if err != nil {
			t.Fatal(err)
		}
		d := runDaemon(t, cfg, clock, true)
		waitHistory(t, d.URL)
		ids := map[string]scan{}
		for _, sc := range run.scans {
			serial++
			m := mark.Mark{Serial: serial, Contract: 1, MailClass: mark.ClassRegisteredLetter, WeightG: 20, TariffKop: 1000000,
				Office: c.office, Issued: day(sc.issued), ValidUntil: day(sc.until), Tracking: issuer.Tracking(c.office, serial)}
			n := strings.Count(d.output(), `{"line":`)
			d.scan(t, sign(m))
			var v verdictLine
			testdata.Wait(t, 30*time.Second, "the verdict", func() bool {
				lines := (&serialScanner{d: d}).lines()
				if len(lines) > n {
					v = lines[n]
					return true
				}
				return false
			})
			want := []mark.Reason{}
			if sc.reason != "" {
				want = []mark.Reason{sc.reason}
			}
			if v.Verdict != sc.verdict || !slices.Equal(v.Reasons, want) {
				t.Errorf("%s at %s, mark %s..%s: markd %s %v, want %s %v", c.name, run.clock, sc.issued, sc.until, v.Verdict, v.Reasons, sc.verdict, want)
			}
			ids[v.ID] = sc
		}
		hs, err := sqlitestore.Open(ctx, hubDB)
		if err != nil {
			t.Fatal(err)
		}
		for id, sc := range ids {
			var h hub.StoredRecord
			testdata.Wait(t, 30*time.Second, "the record uploaded", func() bool {
				h, err = hs.Record(ctx, c.name, id)
				return err == nil
			})
			what := fmt.Sprintf("%s at %s, mark %s..%s", c.name, h.At.UTC().Format(time.RFC3339Nano), sc.issued, sc.until)
			if h.At.Before(clock) || !h.At.Before(clock.Add(time.Hour)) {
				t.Errorf("%s: scanned outside the hour the daemon's clock started (%s)", what, run.clock)
			}
			var want []mark.Reason
			if sc.disputed != "" {
				want = []mark.Reason{sc.disputed}
			}
			if h.Verdict != sc.verdict || !slices.Equal(h.Disputed, want) || h.Verification != hub.Verified {
				t.Errorf("%s: the collector stored %s %v (%s), disputed %v (%s), want %s disputed %v",
					what, h.Verdict, h.Reasons, h.Verification, h.Disputed, h.Why, sc.verdict, want)
			}
			if got := len(h.Questioned) > 0; got != sc.questioned || got && !slices.Equal(h.Questioned, h.Reasons) {
				t.Errorf("%s: the collector questions %v (%s), want questioned %v", what, h.Questioned, h.Why, sc.questioned)
			}
		}
		// The counter says the offset it judged by (at_offset, from the
		// second request of its run on): a wrong tz is noted on its
		// terminal whatever the dates, the right one agrees.
		wantZone := hub.ZoneAgrees
		if c.tz != c.hubZone {
			wantZone = hub.ZoneDiffers
		}
		var note hub.ZoneNote
		testdata.Wait(t, 30*time.Second, c.name+"'s zone note "+wantZone.String(), func() bool {
			tm, err := hs.Terminal(ctx, c.name)
			note = tm.Zone
			return err == nil && note.Check == wantZone
		})
		if _, off := note.At.In(mustZone(t, c.tz)).Zone(); note.Offset != off || note.Zone != c.hubZone || note.CounterZone != c.tz {
			t.Errorf("%s: zone note %+v, want the offset %d of its tz %s against %s", c.name, note, off, c.tz, c.hubZone)
		}
		hs.Close()
		if code := d.stop(t); code != 0 {
			t.Errorf("%s: markd run exited %d", c.name, code)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
