package hub

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"markd/internal/zones"
	"markd/mark"
)

// Zone agreement: a counter dates its verdicts by the day of the scan
// time in its configured tz (config tz, pipeline), by its own zone data
// (a Windows counter: the Go release's embedded tzdata; Linux:
// /usr/share/zoneinfo). A counter that takes it (TakesAtOffset) sends
// with each record the UTC offset it judged by (Record.AtOffset) and its
// tz's name (AtZone), computed at upload. Where the collector knows the
// office's zone (OfficeZones), Judge compares that offset with the one
// its own zone data give the office's zone at the scan time:
//
//   - equal: the counter judges in the office's zone (ZoneAgrees);
//   - different, and the counter's tz is the office's zone (the same name,
//     or a zone the collector's data give the office zone's offset at that
//     instant): the counter is set right and the two zone data differ at
//     that instant, after a zone rule change one side has not got yet
//     (ZoneDataDiffer). The record's dates are judged by the counter's
//     day: a date dispute or question that would hold only by the
//     collector's data is not the counter's fault and is not raised; the
//     terminal is noted "zone data differ" instead;
//   - different otherwise: the counter judges in another zone
//     (ZoneDiffers), a wrong tz, seen on any record and not only on a
//     date near midnight. Its dates are judged in the office's zone as
//     before (a dispute or question that follows is the counter's).
//
// A record without AtOffset (an older counter) is judged exactly as
// before and noted nothing.

// TakesAtOffset is what an answer names in HeaderTakes when the collector
// takes a record's at_offset and at_zone (an older collector refuses
// unknown body fields, so a counter sends them only once an answer has
// named this).
const TakesAtOffset = "record-at-offset"

// TakesZoneData is what an answer names in HeaderTakes when the collector
// takes a record's at_zone_data, the zone data its at_offset came from
// (a collector that takes at_offset only refuses it).
const TakesZoneData = "record-zone-data"

// maxAtOffset bounds at_offset: ±18 h, beyond any zone's offset ever.
const maxAtOffset = 18 * 3600

// ZoneCheck is what Judge found of a record's AtOffset.
type ZoneCheck uint8

const (
	// ZoneUnchecked: the record carries no offset, or the office's zone
	// is not known (office_zone, office_zones).
	ZoneUnchecked ZoneCheck = iota
	// ZoneAgrees: the counter judged by the office zone's offset.
	ZoneAgrees
	// ZoneDiffers: the counter judged in a different zone.
	ZoneDiffers
	// ZoneDataDiffer: the counter's tz is the office's zone, but its zone
	// data give another offset at the scan time than the collector's.
	ZoneDataDiffer
)

// String is the check as the fleet page, the logs and the store name it.
func (z ZoneCheck) String() string {
	switch z {
	case ZoneAgrees:
		return "agrees"
	case ZoneDiffers:
		return "differs"
	case ZoneDataDiffer:
		return "data_differ"
	}
	return ""
}

// ParseZoneCheck reads a stored ZoneCheck ("" = ZoneUnchecked).
func ParseZoneCheck(s string) (ZoneCheck, error) {
	for _, z := range []ZoneCheck{ZoneUnchecked, ZoneAgrees, ZoneDiffers, ZoneDataDiffer} {
		if z.String() == s {
			return z, nil
		}
	}
	return 0, fmt.Errorf("zone check %q: %w", s, mark.ErrInvalid)
}

// SetAtOffset sets r's AtOffset and AtZone to what loc, the counter's tz,
// gives at r.At by this machine's zone data: what the counter judged the
// record's dates by (the day of At in loc).
func (r *Record) SetAtOffset(loc *time.Location) {
	_, off := r.At.In(loc).Zone()
	o := int32(off)
	r.AtOffset, r.AtZone = &o, loc.String()
}

// validateAtZone checks at_offset and at_zone of records[i].
func (r *Record) validateAtZone(i int) error {
	if r.AtOffset != nil && (*r.AtOffset < -maxAtOffset || *r.AtOffset > maxAtOffset) {
		return fieldErr("records", i, "at_offset", "%d: use the UTC offset the counter judged by, in seconds east, -%d..%d",
			*r.AtOffset, maxAtOffset, maxAtOffset)
	}
	if r.AtZone != "" && r.AtOffset == nil {
		return fieldErr("records", i, "at_zone", "sent without at_offset: send both or neither")
	}
	if r.AtZoneData != "" && r.AtOffset == nil {
		return fieldErr("records", i, "at_zone_data", "sent without at_offset: the zone data of the offset sent")
	}
	if err := checkText("records", i, "at_zone_data", r.AtZoneData, maxNameLen, false); err != nil {
		return err
	}
	return checkText("records", i, "at_zone", r.AtZone, maxNameLen, false)
}

// maxZoneLoads bounds the tz names one upload may look up in the tz
// database (names the collector has not cached): a counter names its one
// tz, two across a change of it. Before, a terminal sending 10 000
// records each naming another made-up tz cost ~70 µs a record in file
// lookups, under the lock every upload's zone check takes.
const maxZoneLoads = 8

// zoneLoads is what is left of one upload's maxZoneLoads; nil: no bound.
type zoneLoads struct{ left int }

// checkZones runs checkZone on every record of an upload, within one
// upload's allowance of tz names to look up: a name past it counts as
// one the collector cannot load (the record differs, unless its offset
// is the office's).
func checkZones(recs []Record, zones *OfficeZones) {
	loads := &zoneLoads{left: maxZoneLoads}
	for i := range recs {
		checkZoneLoads(&recs[i], zones.Of(recs[i].Office), zones.Data(), loads)
	}
}

// checkZone sets r.Zone from its AtOffset against loc, the office's zone
// (nil: not known).
func checkZone(r *Record, loc *time.Location) { checkZoneLoads(r, loc, zones.Default(), nil) }

// checkZoneLoads is checkZone with data the collector's zone data.
func checkZoneLoads(r *Record, loc *time.Location, data *zones.Data, loads *zoneLoads) {
	r.Zone = ZoneUnchecked
	if r.AtOffset == nil || loc == nil {
		return
	}
	_, want := r.At.In(loc).Zone()
	switch got := int(*r.AtOffset); {
	case got == want:
		r.Zone = ZoneAgrees
	case r.AtZone == loc.String() || sameOffset(data, r.AtZone, r.At, want, loads):
		r.Zone = ZoneDataDiffer
	default:
		r.Zone = ZoneDiffers
	}
}

// judgeZone is the zone the dates of r are judged in, given the office's
// (nil: not known, then nil): the counter's own offset when the zone data
// differ (checkZone ran), else the office's.
func judgeZone(r *Record, loc *time.Location) *time.Location {
	if r.Zone == ZoneDataDiffer && loc != nil {
		return time.FixedZone(loc.String()+" by the counter's zone data", int(*r.AtOffset))
	}
	return loc
}

// ZoneDayDiffers reports whether r's scan falls on another day by the
// counter's offset than in loc by the collector's zone data (a
// ZoneDataDiffer record whose dates were judged by the counter's day).
func ZoneDayDiffers(r *Record, loc *time.Location) bool {
	if r.AtOffset == nil || loc == nil {
		return false
	}
	return mark.DayOf(r.At.In(loc)) != mark.DayOf(r.At.In(time.FixedZone("", int(*r.AtOffset))))
}

// sameOffset reports whether the collector's data give zone name the
// offset want at t: the counter's tz is another name of the office's
// zone. Names the collector cannot load (a zone its data do not have
// yet) are not.
func sameOffset(data *zones.Data, name string, t time.Time, want int, loads *zoneLoads) bool {
	loc := counterZones.load(data, name, loads)
	if loc == nil {
		return false
	}
	_, off := t.In(loc).Zone()
	return off == want
}

// counterZones caches the counters' tz names the collector loaded (a
// fleet names a few; the cache is bounded all the same).
var counterZones = &zoneCache{m: map[zoneKey]*time.Location{}}

type zoneCache struct {
	mu    sync.Mutex
	m     map[zoneKey]*time.Location // nil value: cannot be loaded
	loads atomic.Int64               // names looked up in the tz database
}

// zoneKey is a tz name in one zone data set.
type zoneKey struct {
	data *zones.Data
	name string
}

func (c *zoneCache) load(data *zones.Data, name string, loads *zoneLoads) *time.Location {
	if name == "" {
		return nil
	}
	key := zoneKey{data, name}
	c.mu.Lock()
	loc, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return loc
	}
	if loads != nil {
		if loads.left <= 0 {
			return nil // past the upload's allowance: not looked up, not cached
		}
		loads.left--
	}
	// Looked up outside the lock: a name the tz database lacks costs file
	// lookups and a search of the embedded data, and other uploads' zone
	// checks need not wait for them.
	c.loads.Add(1)
	loc, why := loadZone(data, name)
	if why != "" {
		loc = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 1024 {
		clear(c.m)
	}
	c.m[key] = loc
	return loc
}

// ZoneNote is a terminal's latest zone agreement as the collector notes
// it (Store.NoteZone): from the newest record by scan time of an upload
// that the collector could check.
type ZoneNote struct {
	Check ZoneCheck
	// At is the record's scan time; Offset the counter's offset and
	// Expected the office zone's by the collector's data, in seconds
	// east; Zone the office's zone name, CounterZone the counter's tz.
	At               time.Time
	Offset, Expected int
	Zone             string
	CounterZone      string
	// CounterData is the zone data the counter's offset came from, as it
	// named them (at_zone_data; "" = an older counter did not say), and
	// CollectorData the collector's (zone_data): "embedded 2025c".
	CounterData, CollectorData string
}

// zoneNoteOf is the note of an upload: its newest checked record's, nil
// when none was checked.
func zoneNoteOf(recs []Record, zones *OfficeZones) *ZoneNote {
	var n *ZoneNote
	for i := range recs {
		r := &recs[i]
		if r.Zone == ZoneUnchecked || (n != nil && !r.At.After(n.At)) {
			continue
		}
		loc := zones.Of(r.Office)
		_, want := r.At.In(loc).Zone()
		n = &ZoneNote{Check: r.Zone, At: r.At.UTC(), Offset: int(*r.AtOffset), Expected: want,
			Zone: loc.String(), CounterZone: r.AtZone, CounterData: r.AtZoneData, CollectorData: zones.Data().String()}
	}
	return n
}

// FormatOffset writes seconds east of UTC as ±hh:mm (±hh:mm:ss when not
// whole minutes).
func FormatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	if sec%60 != 0 {
		return fmt.Sprintf("%c%02d:%02d:%02d", sign, sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%c%02d:%02d", sign, sec/3600, sec/60%60)
}

// zoneRefresh is how much newer a record may be than the terminal's
// noted zone agreement before an unchanged note is written again.
const zoneRefresh = time.Hour

// noteZone keeps the zone agreement of an upload's newest checked record
// on the terminal (Store.NoteZone) when it changed, or the note is older
// than zoneRefresh, so a busy terminal costs no write per request; it
// counts the records and logs one line per request that names a
// disagreement (fresh: the upload stored new records, not repeats only).
// A failure is only logged: the note is for the fleet view.
func (s *Server) noteZone(ctx context.Context, t Terminal, recs []Record, fresh bool) {
	n := zoneNoteOf(recs, s.zones)
	if n == nil {
		return
	}
	if fresh {
		logged := false
		for i := range recs {
			r := &recs[i]
			if r.Zone == ZoneUnchecked {
				continue
			}
			s.zoneChecks.WithLabelValues(r.Zone.String()).Inc()
			if r.Zone == ZoneAgrees || logged {
				continue
			}
			logged = true
			loc := s.zones.Of(r.Office)
			_, want := r.At.In(loc).Zone()
			if r.Zone == ZoneDiffers {
				s.log.Warn("terminal judges dates in another time zone than its office's: check its tz", "terminal", t.Name,
					"record", r.ID, "at", r.At.UTC().Format(time.RFC3339), "counter_offset", FormatOffset(int(*r.AtOffset)),
					"counter_tz", r.AtZone, "office_zone", loc.String(), "office_offset", FormatOffset(want))
			} else {
				s.log.Warn("zone data differ: the terminal's tz is its office's, but its zone data give another offset than the collector's; its dates are judged by its own",
					"terminal", t.Name, "record", r.ID, "at", r.At.UTC().Format(time.RFC3339), "zone", loc.String(),
					"counter_offset", FormatOffset(int(*r.AtOffset)), "collector_offset", FormatOffset(want),
					"counter_zone_data", cmp.Or(r.AtZoneData, "not sent (an older markd)"), "collector_zone_data", s.zones.Data().String(),
					"day_differs", ZoneDayDiffers(r, loc))
			}
		}
	}
	old := t.Zone
	if old.Check == n.Check && old.Offset == n.Offset && old.Expected == n.Expected && old.Zone == n.Zone &&
		old.CounterZone == n.CounterZone && old.CounterData == n.CounterData && old.CollectorData == n.CollectorData &&
		!n.At.After(old.At.Add(zoneRefresh)) {
		return
	}
	if !old.At.IsZero() && n.At.Before(old.At) {
		return // an older record (a backlog sent late) does not overwrite a newer note
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeouts.Check)
	defer cancel()
	if err := s.store.NoteZone(ctx, t.Name, *n); err != nil {
		s.log.Debug("zone agreement not noted", "terminal", t.Name, "err", err)
	}
}

// zoneNoteJSON is the stored form of a ZoneNote (terminals.zone_note).
type zoneNoteJSON struct {
	Check       string    `json:"check"`
	At          time.Time `json:"at"`
	Offset      int       `json:"offset"`
	Expected    int       `json:"expected"`
	Zone        string    `json:"zone"`
	CounterZone string    `json:"counter_zone,omitempty"`
	// The zone data of each side ("embedded 2025c"); absent in a note
	// of an older collector.
	CounterData   string `json:"counter_data,omitempty"`
	CollectorData string `json:"collector_data,omitempty"`
}

// ZoneNoteColumn is the stored form of n, as both backends keep it.
func ZoneNoteColumn(n ZoneNote) string {
	b, _ := json.Marshal(zoneNoteJSON{Check: n.Check.String(), At: n.At.UTC(), Offset: n.Offset, Expected: n.Expected,
		Zone: n.Zone, CounterZone: n.CounterZone, CounterData: n.CounterData, CollectorData: n.CollectorData})
	return string(b)
}

// DecodeZoneNote reads a stored note ("" = NULL: none).
func DecodeZoneNote(col string) (ZoneNote, error) {
	if col == "" {
		return ZoneNote{}, nil
	}
	var j zoneNoteJSON
	if err := json.Unmarshal([]byte(col), &j); err != nil {
		return ZoneNote{}, fmt.Errorf("column zone_note: %w: %v", mark.ErrInvalid, err)
	}
	c, err := ParseZoneCheck(j.Check)
	if err != nil {
		return ZoneNote{}, fmt.Errorf("column zone_note: %w", err)
	}
	return ZoneNote{Check: c, At: j.At.UTC(), Offset: j.Offset, Expected: j.Expected, Zone: j.Zone, CounterZone: j.CounterZone,
		CounterData: j.CounterData, CollectorData: j.CollectorData}, nil
}
