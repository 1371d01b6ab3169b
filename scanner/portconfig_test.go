package scanner

import (
	"errors"
	"testing"
	"time"

	"github.com/tarm/serial"

	"markd/mark"
)

// TestSerialPortConfig: parity and data bits reach the port's settings
// (8N1 by default; 7E1 and 7O1 for scanners set that way), and anything
// else is refused before a port is opened.
func TestSerialPortConfig(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cfg      SerialConfig
		parity   serial.Parity
		size     byte
		poll     time.Duration
		wantFail bool
	}{
		{name: "default 8N1", cfg: SerialConfig{Baud: 9600}, parity: serial.ParityNone, size: 8, poll: DefaultSerialPoll},
		{name: "7E1", cfg: SerialConfig{Baud: 9600, Parity: "even", DataBits: 7}, parity: serial.ParityEven, size: 7, poll: DefaultSerialPoll},
		{name: "7O1", cfg: SerialConfig{Baud: 9600, Parity: "odd", DataBits: 7}, parity: serial.ParityOdd, size: 7, poll: DefaultSerialPoll},
		{name: "8N1 named", cfg: SerialConfig{Baud: 115200, Parity: "none", DataBits: 8, Poll: time.Second}, parity: serial.ParityNone, size: 8, poll: time.Second},
		{name: "6 data bits", cfg: SerialConfig{DataBits: 6}, wantFail: true},
		{name: "mark parity", cfg: SerialConfig{Parity: "mark"}, wantFail: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.cfg.PortConfig("/dev/ttyUSB0")
			if tt.wantFail {
				if !errors.Is(err, mark.ErrInvalid) {
					t.Fatalf("PortConfig: %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != "/dev/ttyUSB0" || c.Baud != tt.cfg.Baud || c.Parity != tt.parity || c.Size != tt.size || c.ReadTimeout != tt.poll {
				t.Errorf("PortConfig = %+v, want parity %c, %d data bits, baud %d, read wait %v", *c, tt.parity, tt.size, tt.cfg.Baud, tt.poll)
			}
		})
	}
}
