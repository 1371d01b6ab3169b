package hub

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TestZoneLoadsPerUpload: a terminal holding valid credentials sent
// 2000 records, each naming another tz (at_zone) with an offset not its
// office's; every name was looked up in the tz database (~70 µs a miss:
// files opened, the embedded data searched) under the one lock every
// upload's zone check takes. An upload now loads at most maxZoneLoads
// names it has not seen; the rest count as names the collector cannot
// load (ZoneDiffers), and a counter's own tz, named first, is still
// recognised.
func TestZoneLoadsPerUpload(t *testing.T) {
	zones, err := NewOfficeZones("Europe/Moscow", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	off := int32(4 * 3600)     // not Moscow's +3
	run := zoneLoadsRun.Add(1) // names no earlier run cached
	recs := make([]Record, 2000)
	for i := range recs {
		recs[i] = Record{ID: fmt.Sprint(i), At: at, Office: 426000, AtOffset: &off, AtZone: fmt.Sprintf("Europe/Nowhere%d-%d", run, i)}
	}
	moscow := int32(3 * 3600)
	recs[0].AtOffset, recs[0].AtZone = &off, "Europe/Moscow" // the office's tz, other zone data
	recs[1].AtZone = "Europe/Simferopol"                     // another name at Moscow's offset: other zone data
	recs[2].AtOffset = &moscow                               // agrees
	before := counterZones.loads.Load()
	checkZones(recs, zones)
	if n := counterZones.loads.Load() - before; n > maxZoneLoads {
		t.Errorf("one upload loaded %d tz names, at most %d", n, maxZoneLoads)
	}
	for i, want := range []ZoneCheck{ZoneDataDiffer, ZoneDataDiffer, ZoneAgrees, ZoneDiffers} {
		if recs[i].Zone != want {
			t.Errorf("record %d (%s %+d): %v, want %v", i, recs[i].AtZone, *recs[i].AtOffset, recs[i].Zone, want)
		}
	}
	if recs[len(recs)-1].Zone != ZoneDiffers {
		t.Errorf("last record: %v", recs[len(recs)-1].Zone)
	}
}

var zoneLoadsRun atomic.Int64
