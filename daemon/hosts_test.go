package daemon

import (
	"fmt"
	"testing"

	"markd/config"
)

func TestPageHosts(t *testing.T) {
	for _, tt := range []struct {
		listen string
		hosts  []string
		want   string
	}{
		{"127.0.0.1:8080", nil, "[]"},
		{"kassa-1.post.local:8443", nil, "[kassa-1.post.local]"},
		{"0.0.0.0:8443", []string{"kassa-1"}, "[kassa-1]"},
		{":8443", []string{"a", "b"}, "[a b]"},
	} {
		if got := fmt.Sprint(PageHosts(config.HTTPConfig{Listen: tt.listen, Hosts: tt.hosts})); got != tt.want {
			t.Errorf("%s %v: %s, want %s", tt.listen, tt.hosts, got, tt.want)
		}
	}
}
