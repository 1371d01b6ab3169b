package config

import (
	"regexp"
	"time"
)

// DefaultScalePattern is scanner.DefaultScalePattern (the config package
// does not import the sources; a test keeps the two equal).
const DefaultScalePattern = `^ST,GS,\s*([0-9.]+)\s*kg`

// ScaleConfig is the optional postal scale on a serial port: its last
// stable weight is attached to the next scan (a measured weight above the
// mark's is OVERWEIGHT).
type ScaleConfig struct {
	Port    string        `mapstructure:"port"`    // path or glob; "" = no scale
	Baud    int           `mapstructure:"baud"`    // default 9600
	Pattern string        `mapstructure:"pattern"` // regexp of a stable weight line; group 1 = the number
	Unit    string        `mapstructure:"unit"`    // kg or g; "" = the unit written after the number
	MaxAge  time.Duration `mapstructure:"max_age"` // a reading older than this is not attached
}

func defaultScale() ScaleConfig {
	return ScaleConfig{Baud: 9600, Pattern: DefaultScalePattern, MaxAge: 30 * time.Second}
}

// standardBauds are the rates tarm/serial opens.
var standardBauds = map[int]bool{
	1200: true, 2400: true, 4800: true, 9600: true, 19200: true, 38400: true,
	57600: true, 115200: true, 230400: true, 460800: true, 921600: true,
}

// Validate checks the scale keys; with no port nothing else is checked.
func (s ScaleConfig) Validate() error {
	bad := func(key string, val any, why string) error { return invalid("scale."+key, val, why) }
	if s.Port == "" {
		return nil
	}
	if err := checkGlob(s.Port); err != nil {
		return bad("port", s.Port, err.Error())
	}
	if !standardBauds[s.Baud] {
		return bad("baud", s.Baud, "must be a standard rate such as 9600, 19200 or 115200")
	}
	re, err := regexp.Compile(s.Pattern)
	if err != nil {
		return bad("pattern", s.Pattern, "not a regular expression: "+err.Error())
	}
	if re.NumSubexp() == 0 {
		return bad("pattern", s.Pattern, `needs a group around the number, as in `+DefaultScalePattern)
	}
	switch s.Unit {
	case "", "kg", "g":
	default:
		return bad("unit", s.Unit, `must be kg, g or "" (the unit the scale writes after the number)`)
	}
	if s.MaxAge <= 0 {
		return bad("max_age", s.MaxAge, "must be positive, such as 30s")
	}
	return nil
}
