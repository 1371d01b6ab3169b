package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFill(t *testing.T) {
	tests := []struct {
		name  string
		stamp Info // what -ldflags set
		bi    debug.BuildInfo
		want  Info
	}{
		{"stamped wins", Info{Version: "1.2.0", Commit: "abc", Date: "2026-12-01T00:00:00Z"},
			debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "fff"}}},
			Info{Version: "1.2.0", Commit: "abc", Date: "2026-12-01T00:00:00Z"}},
		{"from vcs", Info{},
			debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			Info{Version: "devel", Commit: "0123abcd-dirty", Date: "2026-11-30T10:00:00Z"}},
		{"module version", Info{}, debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			Info{Version: "v1.4.0"}},
		{"nothing known", Info{}, debug.BuildInfo{}, Info{Version: "devel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.stamp
			fill(&got, &tt.bi)
			if got != tt.want {
				t.Errorf("fill = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGetString(t *testing.T) {
	old := Version
	Version = "9.9.9"
	defer func() { Version = old }()
	i := Get()
	if i.Version != "9.9.9" || i.GoVersion != runtime.Version() || i.Commit == "" || i.Date == "" {
		t.Fatalf("Get = %+v", i)
	}
	s := i.String()
	for _, want := range []string{"9.9.9", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH, "commit "} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, want %q in it", s, want)
		}
	}
}
