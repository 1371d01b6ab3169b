package config

import (
	"fmt"
	"regexp"

	"markd/mark"
)

// BatchConfig configures batches of partition mail.
type BatchConfig struct {
	// Auto opens a batch on the first verified mark at a counter without
	// an open batch, with that mark's contract.
	Auto bool `mapstructure:"auto"`
}

// ScaleConfig is the optional postal scale on a serial port: its last
// stable weight goes with the next scan (OVERWEIGHT when heavier than paid).
type ScaleConfig struct {
	Port    string `mapstructure:"port"`    // "" = no scale; a path or glob (/dev/serial/by-id/*)
	Baud    int    `mapstructure:"baud"`    // default 9600
	Pattern string `mapstructure:"pattern"` // regexp with one group, the number, matched on a stable reading
	Unit    string `mapstructure:"unit"`    // kg or g: the unit of the number
}

func defaultScale() ScaleConfig {
	return ScaleConfig{Baud: 9600, Pattern: `^ST,GS,\s*([0-9.]+)\s*kg`, Unit: "kg"}
}

// Validate checks the scale keys (only when a port is set).
func (s ScaleConfig) Validate() error {
	if s.Port == "" {
		return nil
	}
	bad := func(key string, val any, why string) error {
		return fmt.Errorf("config scale.%s = %v: %s: %w", key, val, why, mark.ErrInvalid)
	}
	if s.Baud <= 0 {
		return bad("baud", s.Baud, "must be positive")
	}
	re, err := regexp.Compile(s.Pattern)
	if err != nil {
		return bad("pattern", s.Pattern, "not a regular expression: "+err.Error())
	}
	if re.NumSubexp() < 1 {
		return bad("pattern", s.Pattern, "needs one group ( ) around the number")
	}
	if s.Unit != "kg" && s.Unit != "g" {
		return bad("unit", s.Unit, "must be kg or g")
	}
	return nil
}
