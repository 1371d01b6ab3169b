package daemon

import (
	"markd/config"
	"markd/internal/zones"
)

// zoneDataOf names the zone data c's tz is loaded from ("embedded
// 2025c"), as uploads send it (at_zone_data); "" when zone_data is bad
// (refused by Validate before).
func zoneDataOf(c config.Config) string {
	data, err := c.ZoneSet()
	if err != nil {
		return ""
	}
	return data.String()
}

// zoneInfoOf is the zone data of c as /healthz shows it (zone_data).
func zoneInfoOf(c config.Config) zones.Info {
	data, err := c.ZoneSet()
	if err != nil {
		return zones.Info{Source: c.ZoneData, Version: "unknown"}
	}
	return data.Info()
}
