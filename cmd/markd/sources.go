package main

import (
	"fmt"
	"log/slog"
	"time"

	"markd/config"
	"markd/mark"
	"markd/scanner"
)

// buildSources turns the configured sources into mark.Sources. With no
// source configured the daemon reads stdin. Each kind adds one case here.
func buildSources(a *app, cfgs []config.Source, log *slog.Logger, now func() time.Time) ([]mark.Source, error) {
	if len(cfgs) == 0 {
		cfgs = []config.Source{{Kind: "stdin"}}
	}
	var out []mark.Source
	for i, c := range cfgs {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("%s%d", c.Kind, i)
		}
		switch c.Kind {
		case "stdin":
			out = append(out, scanner.NewReader(name, a.stdin, now).SetLayout(c.Layout))
		case "serial":
			sc, err := serialConfig(c) // in doctor.go, shared with markd doctor
			if err != nil {
				return nil, usage("config sources[%d]: %v", i, err)
			}
			out = append(out, scanner.NewSerial(name, sc, log, now))
		case "wedge":
			out = append(out, scanner.NewWedge(name, wedgeConfig(c), log, now))
		case "camera":
			out = append(out, scanner.NewCamera(name, cameraConfig(c), log, now))
		default:
			return nil, usage("config sources[%d].kind = %q: not supported by this build", i, c.Kind)
		}
	}
	return out, nil
}

// cameraConfig maps a camera source entry to the scanner's config.
func cameraConfig(c config.Source) scanner.CameraConfig {
	return scanner.CameraConfig{
		Input: c.Input, Format: c.Format, Realtime: c.Realtime,
		Width: c.Width, Height: c.Height, FPS: c.FPS, Hold: c.Hold,
		SnapshotQuality: c.SnapshotQuality,
	}
}
