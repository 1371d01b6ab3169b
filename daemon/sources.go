package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"markd/config"
	"markd/internal/cli"
	"markd/mark"
	"markd/scanner"
)

// Sources turns the configured sources into mark.Sources. With no source
// configured the daemon reads stdin, unless stdin is the null device (a
// service: the counter's scans come by the local API and the operator
// screen, and a stdin source there would only be a light that is down for
// ever). Each kind adds one case here.
// place (nil: anywhere) is where serial and stdin sources run their read
// loop, in which each scan is judged and committed: the CPUs that take the
// store disk's completion interrupts (see scanner.Placement).
func Sources(cfgs []config.Source, stdin io.Reader, log *slog.Logger, now func() time.Time, place *scanner.Placement) ([]mark.Source, error) {
	if len(cfgs) == 0 {
		if nullDevice(stdin) {
			log.Info("no scanner source configured: scans come by the local API (the cash-desk program) and the operator screen only",
				"key", "sources", "hint", "to read a scanner, configure it as a serial, wedge or camera source (`markd doctor` lists what this PC sees)")
			return nil, nil
		}
		cfgs = []config.Source{{Kind: "stdin"}}
	}
	var out []mark.Source
	for i, c := range cfgs {
		name := config.Config{Sources: cfgs}.SourceName(i)
		switch c.Kind {
		case "stdin":
			if nullDevice(stdin) {
				log.Warn("a stdin source reads nothing here: stdin is the null device (markd runs as a service)",
					"source", name, "key", fmt.Sprintf("sources[%d]", i),
					"hint", "configure the scanner as a serial, wedge or camera source (`markd doctor` lists what this PC sees); stdin is for a terminal or a pipe")
			}
			out = append(out, scanner.NewReader(name, stdin, now).SetLayout(c.Layout).SetPlacement(place))
		case "serial":
			sc, err := SerialConfig(c)
			if err != nil {
				return nil, cli.UsageError{Err: fmt.Errorf("config sources[%d]: %w", i, err)}
			}
			sc.Place = place
			out = append(out, scanner.NewSerial(name, sc, log, now))
		case "wedge":
			out = append(out, scanner.NewWedge(name, WedgeConfig(c), log, now))
		case "camera":
			cc := CameraConfig(c)
			cc.Key = fmt.Sprintf("sources[%d].input", i)
			out = append(out, scanner.NewCamera(name, cc, log, now))
		default:
			return nil, cli.UsageError{Err: fmt.Errorf("config sources[%d].kind = %q: not supported by this build", i, c.Kind)}
		}
	}
	return out, nil
}

// Scale makes the postal scale of the config (markd doctor may use it
// too); a bad pattern is a usage error.
func Scale(c config.ScaleConfig, log *slog.Logger, now func() time.Time) (*scanner.Scale, error) {
	s, err := scanner.NewScale("scale", ScaleConfig(c), log, now)
	if err != nil {
		return nil, cli.UsageError{Err: fmt.Errorf("config scale: %w", err)}
	}
	return s, nil
}

// ScaleConfig maps the scale keys to the scanner's config.
func ScaleConfig(c config.ScaleConfig) scanner.ScaleConfig {
	return scanner.ScaleConfig{Port: c.Port, Baud: c.Baud, Pattern: c.Pattern, Unit: c.Unit, MaxAge: c.MaxAge}
}

// SerialConfig maps a serial source entry to the scanner's config (markd
// doctor uses it too).
func SerialConfig(c config.Source) (scanner.SerialConfig, error) {
	term, err := scanner.ParseTerminator(c.Terminator)
	if err != nil {
		return scanner.SerialConfig{}, err
	}
	good, err := scanner.Unescape(c.GoodBeep)
	if err != nil {
		return scanner.SerialConfig{}, fmt.Errorf("good_beep: %w", err)
	}
	bad, err := scanner.Unescape(c.BadBeep)
	if err != nil {
		return scanner.SerialConfig{}, fmt.Errorf("bad_beep: %w", err)
	}
	baud := c.Baud
	if baud == 0 {
		baud = 9600
	}
	return scanner.SerialConfig{
		Port: c.Port, Baud: baud, Parity: c.Parity, DataBits: c.DataBits, Terminator: term,
		MaxLine: c.MaxLine, Idle: c.Idle, GoodBeep: good, BadBeep: bad,
	}, nil
}

// WedgeConfig maps a keyboard-wedge source entry to the scanner's config.
func WedgeConfig(c config.Source) scanner.WedgeConfig {
	return scanner.WedgeConfig{Device: c.Device, Grab: c.Grab, MaxLine: c.MaxLine, Idle: c.Idle}
}

// CameraConfig maps a camera source entry to the scanner's config.
func CameraConfig(c config.Source) scanner.CameraConfig {
	return scanner.CameraConfig{
		Input: c.Input, Format: c.Format, Realtime: c.Realtime,
		Width: c.Width, Height: c.Height, FPS: c.FPS, Hold: c.Hold,
		SnapshotQuality: c.SnapshotQuality,
	}
}

// nullDevice reports whether r is the null device (a service's stdin:
// systemd's StandardInput=null), where a stdin source reads nothing ever.
func nullDevice(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && f != nil && isNullDevice(f)
}
