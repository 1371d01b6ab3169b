// Package version says which build of markd and markhub is running: the
// version, commit and build date stamped by `make dist` with -ldflags -X,
// else what the Go toolchain recorded (debug.ReadBuildInfo: the module
// version, vcs.revision, vcs.time), and the Go version.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Stamped by the linker: go build -ldflags "-X markd/internal/version.Version=1.2.0
// -X markd/internal/version.Commit=abc1234 -X markd/internal/version.Date=2026-12-02T01:00:00Z".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is one build's identity.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"` // GOOS/GOARCH
}

// Get returns the running binary's Info; unknown fields are "unknown".
func Get() Info {
	i := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fill(&i, bi)
	}
	for _, f := range []*string{&i.Version, &i.Commit, &i.Date} {
		if *f == "" {
			*f = "unknown"
		}
	}
	return i
}

// fill takes what the linker flags left empty from the build info.
func fill(i *Info, bi *debug.BuildInfo) {
	if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		i.Version = bi.Main.Version
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if i.Commit == "" {
				i.Commit = s.Value
			}
		case "vcs.time":
			if i.Date == "" {
				i.Date = s.Value
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && i.Commit != "" && Commit == "" {
		i.Commit += "-dirty"
	}
	if i.Version == "" {
		i.Version = "devel"
	}
}

// String is the one line `markd version` and `--version` print.
func (i Info) String() string {
	return fmt.Sprintf("%s (commit %s, built %s, %s, %s)", i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
}
