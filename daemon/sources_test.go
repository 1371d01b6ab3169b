package daemon

import (
	"testing"
	"time"

	"markd/config"
)

// TestSerialConfigMapsKeys: every key of a serial source reaches the
// scanner's config (a key left out is silently the default on the wire).
func TestSerialConfigMapsKeys(t *testing.T) {
	c := config.Source{Kind: "serial", Port: "/dev/ttyS0", Baud: 19200, Parity: "even", DataBits: 7, Terminator: "CRLF",
		MaxLine: 300, Idle: 3 * time.Second, GoodBeep: `\x07`, BadBeep: `\x07\x07`}
	sc, err := SerialConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Port != c.Port || sc.Baud != 19200 || sc.Parity != "even" || sc.DataBits != 7 || string(sc.Terminator) != "\r\n" ||
		sc.MaxLine != 300 || sc.Idle != 3*time.Second || string(sc.GoodBeep) != "\a" || string(sc.BadBeep) != "\a\a" {
		t.Errorf("SerialConfig = %+v", sc)
	}
	if sc, _ := SerialConfig(config.Source{Kind: "serial", Port: "/dev/ttyS0"}); sc.Baud != 9600 {
		t.Errorf("default baud %d, want 9600", sc.Baud)
	}
	if _, err := SerialConfig(config.Source{Kind: "serial", Port: "/dev/ttyS0", Terminator: `\xZZ`}); err == nil {
		t.Errorf("bad terminator: %v, want an error", err)
	}
}
