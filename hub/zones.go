package hub

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"markd/internal/cli"
	"markd/internal/zones"
)

// OfficeZoneConfig is one entry of office_zones: the offices whose postal
// index starts with one of Offices keep their day in Zone.
type OfficeZoneConfig struct {
	Zone    string   `mapstructure:"zone"`    // IANA name, such as Asia/Yekaterinburg
	Offices []string `mapstructure:"offices"` // postal index prefixes, 1–6 digits: "62" is 620000–629999
}

// OfficeZones knows the time zone each office keeps its day in
// (MARK-FORMAT §2: a mark's dates are calendar days in the acceptance
// office's local time zone), so Checker.Judge can judge NOT_YET_VALID and
// EXPIRED in that zone instead of in every zone. The zero value and nil
// know no office's zone.
type OfficeZones struct {
	data   *zones.Data                   // the zone data the zones come from; nil = zones.Default()
	all    *time.Location                // every office not matched by a prefix; nil = unknown
	prefix map[zonePrefix]*time.Location // by postal index prefix; the longest wins
}

// zonePrefix is a postal index prefix: its digits as a number and how
// many there are ("042" cannot be one: no index starts with 0).
type zonePrefix struct {
	n      uint8
	digits uint32
}

// NewOfficeZones reads the zones of office_zone (all: every office not
// named in byPrefix; "" = unknown) and office_zones. An error is a
// *cli.KeyError naming the key, as Config.Validate returns it. The
// zones come from the embedded zone data (NewOfficeZonesIn: others).
func NewOfficeZones(all string, byPrefix []OfficeZoneConfig) (*OfficeZones, error) {
	return NewOfficeZonesIn(zones.Default(), all, byPrefix)
}

// NewOfficeZonesIn is NewOfficeZones by the zone data data (zone_data):
// the offices' zones, and the counters' tz names the collector compares
// their offsets with (zoneagree.go).
func NewOfficeZonesIn(data *zones.Data, all string, byPrefix []OfficeZoneConfig) (*OfficeZones, error) {
	z := &OfficeZones{data: data, prefix: map[zonePrefix]*time.Location{}}
	if all != "" {
		loc, why := loadZone(data, all)
		if why != "" {
			return nil, keyErr("office_zone", all, why)
		}
		z.all = loc
	}
	where := map[zonePrefix]string{} // the entry that named a prefix first
	for i, e := range byPrefix {
		key := fmt.Sprintf("office_zones[%d]", i)
		loc, why := loadZone(data, e.Zone)
		if e.Zone == "" {
			why = "required: the time zone of the offices listed, such as Asia/Yekaterinburg"
		}
		if why != "" {
			return nil, keyErr(key+".zone", e.Zone, why)
		}
		if len(e.Offices) == 0 {
			return nil, keyErr(key+".offices", "[]", "required: the postal index prefixes of the offices in "+e.Zone+", such as [\"62\", \"45\"]")
		}
		for _, p := range e.Offices {
			zp, why := parseZonePrefix(p)
			if why != "" {
				return nil, keyErr(key+".offices", p, why)
			}
			if first, dup := where[zp]; dup {
				return nil, keyErr(key+".offices", p, "named already in "+first+": one zone a prefix")
			}
			where[zp] = key
			z.prefix[zp] = loc
		}
	}
	return z, nil
}

// Data is the zone data the zones come from (zone_data).
func (z *OfficeZones) Data() *zones.Data {
	if z == nil || z.data == nil {
		return zones.Default()
	}
	return z.data
}

// loadZone loads an IANA zone name from data; why says what is wrong
// ("" = fine). Local is refused: it is the collector machine's zone,
// whatever it is, not an office's.
func loadZone(data *zones.Data, name string) (*time.Location, string) {
	if name == "Local" || strings.TrimSpace(name) != name {
		return nil, "must be a time zone name such as Europe/Moscow or Asia/Yekaterinburg (not Local, no spaces)"
	}
	loc, err := data.Load(name)
	if errors.Is(err, zones.ErrNoData) {
		return nil, err.Error()
	}
	if err != nil {
		return nil, "no such time zone in the " + data.String() + " zone data (a name of the tz database, such as Europe/Moscow or Asia/Yekaterinburg; case matters)"
	}
	return loc, ""
}

// parseZonePrefix reads a postal index prefix: 1–6 digits, not starting
// with 0.
func parseZonePrefix(s string) (zonePrefix, string) {
	const why = "must be the first 1 to 6 digits of a postal index, such as 62 or 426000 (in quotes)"
	if len(s) == 0 || len(s) > 6 || s[0] == '0' {
		return zonePrefix{}, why
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return zonePrefix{}, why
	}
	return zonePrefix{n: uint8(len(s)), digits: uint32(n)}, ""
}

// Of returns the zone office keeps its day in, nil when unknown: the
// longest prefix of office_zones naming it, else office_zone.
func (z *OfficeZones) Of(office uint32) *time.Location {
	if z == nil {
		return nil
	}
	if len(z.prefix) > 0 && office >= 100000 && office <= 999999 {
		d := office
		for n := uint8(6); n >= 1; n-- {
			if loc, ok := z.prefix[zonePrefix{n: n, digits: d}]; ok {
				return loc
			}
			d /= 10
		}
	}
	return z.all
}

// keyErr is the error of a bad zone key, as Config.Validate returns it
// (the loader adds where the value came from).
func keyErr(key string, val any, why string) error {
	return &cli.KeyError{Key: key, Value: val, Why: why}
}
