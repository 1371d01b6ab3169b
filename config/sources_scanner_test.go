package config

import (
	"errors"
	"strings"
	"testing"

	"markd/mark"
)

// Scanner source fields: escapes, layout and idle are checked at load.
func TestSourceScannerFields(t *testing.T) {
	tests := []struct {
		name, body, wantKey string // wantKey "" = valid
	}{
		{"beeps with escapes", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    good_beep: '\\x07'\n    bad_beep: '\\x15\\x15'\n    terminator: '\\x03'\n", ""},
		{"bad escape", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    good_beep: '\\q'\n", "good_beep"},
		{"bad terminator escape", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    terminator: '\\x0'\n", "terminator"},
		{"standard baud", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    baud: 115200\n", ""},
		{"non-standard baud", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    baud: 12345\n", "sources[0].baud"},
		{"negative baud", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    baud: -9600\n", "sources[0].baud"},
		{"bad parity", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    parity: mark\n", "sources[0].parity"},
		{"7E1", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    parity: even\n    data_bits: 7\n", ""},
		{"bad data bits", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    data_bits: 6\n", "sources[0].data_bits"},
		{"port glob", "sources:\n  - kind: serial\n    port: /dev/serial/by-id/usb-*\n", ""},
		{"bad port glob", "sources:\n  - kind: serial\n    port: /dev/ttyUSB[\n", "sources[0].port"},
		{"bad wedge device glob", "sources:\n  - kind: wedge\n    device: /dev/input/by-id/[-event-kbd\n", "sources[0].device"},
		{"negative idle", "sources:\n  - kind: serial\n    port: /dev/ttyACM0\n    idle: -1s\n", "idle"},
		{"layout ru", "sources:\n  - kind: stdin\n    layout: ru\n", ""},
		{"layout bad", "sources:\n  - kind: stdin\n    layout: dvorak\n", "layout"},
		{"wedge", "sources:\n  - kind: wedge\n    device: /dev/input/by-id/x-event-kbd\n    grab: true\n", ""},
		{"camera", "sources:\n  - kind: camera\n    input: /dev/video0\n    width: 640\n    height: 480\n    fps: 15\n", ""},
		{"camera defaults", "sources:\n  - kind: camera\n    input: /dev/video0\n", ""},
		{"camera width alone", "sources:\n  - kind: camera\n    input: /dev/video0\n    width: 640\n", "sources[0].height"},
		{"camera height alone", "sources:\n  - kind: camera\n    input: /dev/video0\n    height: 480\n", "sources[0].width"},
		{"camera too wide", "sources:\n  - kind: camera\n    input: /dev/video0\n    width: 76800\n    height: 720\n", "sources[0].width"},
		{"camera too high", "sources:\n  - kind: camera\n    input: /dev/video0\n    width: 1280\n    height: 72000\n", "sources[0].height"},
		{"camera negative width", "sources:\n  - kind: camera\n    input: /dev/video0\n    width: -640\n    height: 480\n", "sources[0].width"},
		{"camera negative fps", "sources:\n  - kind: camera\n    input: /dev/video0\n    fps: -1\n", "sources[0].fps ="},
		{"camera fps too high", "sources:\n  - kind: camera\n    input: /dev/video0\n    fps: 100\n", "sources[0].fps ="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.body), nil)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("err = %v, want ErrInvalid naming %s", err, tt.wantKey)
			}
		})
	}
}
