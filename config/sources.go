package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Source configures one input of scans. Kind selects which fields apply.
type Source struct {
	Kind string `mapstructure:"kind"` // stdin, serial, wedge, camera
	Name string `mapstructure:"name"` // shown on the operator page; defaults to kind and index (SourceName)

	// serial
	Port       string        `mapstructure:"port"`       // path or glob, e.g. /dev/serial/by-id/*
	Baud       int           `mapstructure:"baud"`       // default 9600
	Parity     string        `mapstructure:"parity"`     // none, odd, even
	DataBits   int           `mapstructure:"data_bits"`  // 7 or 8 (default 8): 7 for a scanner set to 7E1/7O1
	Terminator string        `mapstructure:"terminator"` // CR, LF, CRLF or a literal suffix; default: CR or LF
	MaxLine    int           `mapstructure:"max_line"`   // bytes kept of a line; a longer one is passed on cut (NOT_A_MARK)
	Idle       time.Duration `mapstructure:"idle"`       // a partial line older than this is dropped
	GoodBeep   string        `mapstructure:"good_beep"`  // bytes (Go escapes allowed) sent after ACCEPT
	BadBeep    string        `mapstructure:"bad_beep"`   // bytes sent after any other verdict

	// stdin
	Layout string `mapstructure:"layout"` // keyboard layout of the terminal: auto (default), ru (Russian, Ukrainian, Belarusian ЙЦУКЕН), none

	// wedge
	Device string `mapstructure:"device"` // /dev/input/by-id/*-event-kbd
	Grab   bool   `mapstructure:"grab"`   // exclusive grab (default true in the example config)

	// camera
	Input  string        `mapstructure:"input"`  // ffmpeg input: /dev/video0, a file, rtsp://…
	Format string        `mapstructure:"format"` // ffmpeg -f for the input (v4l2, lavfi, …); "" = guess
	Width  int           `mapstructure:"width"`
	Height int           `mapstructure:"height"`
	FPS    int           `mapstructure:"fps"`
	Hold   time.Duration `mapstructure:"hold"` // a code seen again within this time is reported once
	// SnapshotQuality is the JPEG quality (1–100, 0 = 70) of the frame kept with each camera scan.
	SnapshotQuality int `mapstructure:"snapshot_quality"`
	// Realtime reads a file input at its native frame rate (ffmpeg -re), as a camera would deliver it.
	Realtime bool `mapstructure:"realtime"`
}

// Camera frame bounds. The defaults are scanner.DefaultCamera*
// (config does not import scanner; TestCameraDefaultsMatch keeps them
// equal). Above 60 frames a second ffmpeg makes up frames (-r) that the
// decoder only drops; an 8K frame is the largest a camera delivers.
const (
	DefaultCameraWidth  = 1280
	DefaultCameraHeight = 720
	DefaultCameraFPS    = 10
	MaxCameraWidth      = 7680
	MaxCameraHeight     = 4320
	MaxCameraFPS        = 60
)

// Validate checks one source entry.
func (s Source) Validate() error {
	bad := invalid
	switch s.Kind {
	case "stdin":
		switch s.Layout {
		case "", "auto", "ru", "none":
		default:
			return bad("layout", s.Layout, "must be auto, ru or none")
		}
	case "serial":
		if s.Port == "" {
			return bad("port", s.Port, "a serial source needs a port")
		}
		if err := checkGlob(s.Port); err != nil {
			return bad("port", s.Port, err.Error())
		}
		if s.Baud != 0 && !standardBauds[s.Baud] { // 0: the default, 9600
			return bad("baud", s.Baud, "must be a standard rate such as 9600, 19200 or 115200")
		}
		switch s.Parity {
		case "", "none", "odd", "even":
		default:
			return bad("parity", s.Parity, "must be none, odd or even")
		}
		switch s.DataBits {
		case 0, 7, 8:
		default:
			return bad("data_bits", s.DataBits, "must be 7 or 8 (the scanner's setting, as in 7E1 or 8N1)")
		}
		for _, kv := range [][2]string{{"terminator", s.Terminator}, {"good_beep", s.GoodBeep}, {"bad_beep", s.BadBeep}} {
			if _, err := strconv.Unquote(`"` + strings.ReplaceAll(kv[1], `"`, `\"`) + `"`); err != nil {
				return bad(kv[0], strconv.Quote(kv[1]), "bad Go escape (use e.g. \\x07 or \\r\\n)")
			}
		}
	case "wedge":
		if s.Device == "" {
			return bad("device", s.Device, "a wedge source needs an input device")
		}
		if err := checkGlob(s.Device); err != nil {
			return bad("device", s.Device, err.Error())
		}
	case "camera":
		if s.Input == "" {
			return bad("input", s.Input, "a camera source needs an ffmpeg input")
		}
		// the decoder's frame size (ffmpeg scales the camera's to it): both
		// or neither, and bounded: the source holds three frames of it, and
		// ffmpeg refuses a size too large at every retry
		for _, kv := range []struct {
			key      string
			v, other int
			otherKey string
			limit    int
		}{{"width", s.Width, s.Height, "height", MaxCameraWidth}, {"height", s.Height, s.Width, "width", MaxCameraHeight}} {
			switch {
			case kv.v < 0 || kv.v > kv.limit:
				return bad(kv.key, kv.v, fmt.Sprintf("must be between 1 and %d pixels (0 = the default %dx%d)", kv.limit, DefaultCameraWidth, DefaultCameraHeight))
			case kv.v == 0 && kv.other != 0:
				return bad(kv.key, kv.v, fmt.Sprintf("must be set with %s (%s is %d)", kv.otherKey, kv.otherKey, kv.other))
			}
		}
		if s.FPS < 0 || s.FPS > MaxCameraFPS {
			return bad("fps", s.FPS, fmt.Sprintf("must be between 1 and %d frames a second (0 = the default %d)", MaxCameraFPS, DefaultCameraFPS))
		}
		if s.SnapshotQuality < 0 || s.SnapshotQuality > 100 {
			return bad("snapshot_quality", s.SnapshotQuality, "must be between 1 and 100 (0 = default 70)")
		}
		if s.Hold < 0 {
			return bad("hold", s.Hold, "must be positive")
		}
	default:
		return bad("kind", s.Kind, "must be stdin, serial, wedge or camera")
	}
	if s.Idle < 0 {
		return bad("idle", s.Idle, "must be positive")
	}
	if s.MaxLine < 0 {
		return bad("max_line", s.MaxLine, "must be positive")
	}
	return nil
}

// checkGlob refuses a device pattern the scanner could never expand (an
// unclosed '['): the source would otherwise retry it forever.
func checkGlob(pattern string) error {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return errors.New("not a valid glob pattern (an unclosed '[' or a trailing '\\')")
	}
	return nil
}

// SourceName is the name of the i-th source entry: its name, else its
// kind and index (serial1). It names the source's scans, its light on
// the pages and its metrics' series.
func (c Config) SourceName(i int) string {
	if n := c.Sources[i].Name; n != "" {
		return n
	}
	return fmt.Sprintf("%s%d", c.Sources[i].Kind, i)
}

// checkSourceNames refuses two sources of one name (given, or a name
// given that is another's default): their scans could not be told apart
// and /metrics answered 500 for all ("collected metric markd_source_up
// … was collected before with the same name and label values").
func (c Config) checkSourceNames() error {
	first := map[string]int{}
	for i := range c.Sources {
		name := c.SourceName(i)
		if j, dup := first[name]; dup {
			return invalid(sourceKey(i, "name"), name, fmt.Sprintf("sources[%d] has this name too: give each source its own name "+
				"(it names the source's scans, its light and its metrics)", j))
		}
		first[name] = i
	}
	return nil
}
