package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"markd/mark"
	"markd/scanner"
)

func TestScaleDefaultsAndExample(t *testing.T) {
	if DefaultScalePattern != scanner.DefaultScalePattern {
		t.Fatalf("config and scanner disagree on the default pattern: %q vs %q", DefaultScalePattern, scanner.DefaultScalePattern)
	}
	c, err := Load("../configs/markd.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := defaultScale(); !reflect.DeepEqual(c.Scale, want) {
		t.Errorf("example scale = %+v, want the defaults %+v", c.Scale, want)
	}
	if _, err := scanner.NewScaleParser(c.Scale.Pattern, c.Scale.Unit); err != nil {
		t.Errorf("example pattern: %v", err)
	}
}

func TestScaleKeys(t *testing.T) {
	t.Setenv("MARKD_SCALE_PORT", "/dev/ttyUSB1")
	c, err := Load(writeFile(t, "scale:\n  baud: 19200\n  pattern: '^(\\d+) g$'\n  max_age: 5s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := ScaleConfig{Port: "/dev/ttyUSB1", Baud: 19200, Pattern: `^(\d+) g$`, MaxAge: 5 * time.Second}
	if c.Scale != want {
		t.Fatalf("scale = %+v, want %+v", c.Scale, want)
	}
	for _, tc := range []struct{ body, key, why string }{
		{"scale:\n  port: /dev/x\n  baud: 1000\n", "scale.baud", "standard rate"},
		{"scale:\n  port: /dev/ttyUSB[\n", "scale.port", "not a valid glob pattern"},
		{"scale:\n  port: /dev/x\n  pattern: '^ST,GS,([0-9.]+kg'\n", "scale.pattern", "not a regular expression"},
		{"scale:\n  port: /dev/x\n  pattern: '^ST,GS,[0-9.]+kg'\n", "scale.pattern", "needs a group"},
		{"scale:\n  port: /dev/x\n  max_age: 0s\n", "scale.max_age", "must be positive"},
		{"scale:\n  prot: /dev/x\n", "scale.prot", "did you mean scale.port"},
	} {
		t.Setenv("MARKD_SCALE_PORT", "")
		_, err := Load(writeFile(t, tc.body), nil)
		if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%q: err = %v, want one naming %s: %s", tc.body, err, tc.key, tc.why)
		}
	}
	// no port: the rest is not checked (a scale that is off)
	if _, err := Load(writeFile(t, "scale:\n  baud: 1000\n"), nil); err != nil {
		t.Errorf("scale without a port: %v", err)
	}
}
