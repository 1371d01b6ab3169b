package config

import (
	"slices"
	"testing"
	"time"
)

func TestChanged(t *testing.T) {
	a := Default()
	a.Sources = []Source{{Kind: "stdin"}, {Kind: "serial", Port: "/dev/ttyUSB0"}}
	if got := Changed(a, a); len(got) != 0 {
		t.Errorf("same config: changed %v", got)
	}
	b := a
	b.Sources = slices.Clone(a.Sources)
	b.HTTP.Listen = "127.0.0.1:9090"
	b.Sources[1].Port = "/dev/ttyUSB1"
	b.Sync.Token = "secret"
	b.RescanWindow = time.Minute
	b.Keyring = "/etc/markd/other.yaml"
	want := []string{"keyring", "rescan_window", "http.listen", "sources[1].port", "sync.token"}
	if got := Changed(a, b); !slices.Equal(got, want) {
		t.Errorf("changed %v, want %v", got, want)
	}
	b = a
	b.Sources = a.Sources[:1]
	b.HTTP.Hosts = []string{"counter1"}
	if got, want := Changed(a, b), []string{"http.hosts", "sources"}; !slices.Equal(got, want) {
		t.Errorf("changed %v, want %v", got, want)
	}
}
