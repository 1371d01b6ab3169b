package daemon

import (
	"testing"

	"markd/config"
)

func TestCheckListen(t *testing.T) {
	tests := []struct {
		h   config.HTTPConfig
		ok  bool
		tls bool
	}{
		{config.HTTPConfig{Listen: "127.0.0.1:8080"}, true, false},
		{config.HTTPConfig{Listen: "localhost:0"}, true, false},
		{config.HTTPConfig{Listen: "[::1]:8080"}, true, false},
		{config.HTTPConfig{Listen: "0.0.0.0:8080"}, false, false},
		{config.HTTPConfig{Listen: ":8080"}, false, false},
		{config.HTTPConfig{Listen: "10.0.0.5:443", TLSCert: "c.pem", TLSKey: "k.pem"}, true, true},
		{config.HTTPConfig{Listen: "nonsense"}, false, false},
	}
	for _, tc := range tests {
		tls, err := CheckListen(tc.h)
		if (err == nil) != tc.ok || tls != tc.tls {
			t.Errorf("%+v: tls=%v err=%v, want ok=%v tls=%v", tc.h, tls, err, tc.ok, tc.tls)
		}
	}
}
