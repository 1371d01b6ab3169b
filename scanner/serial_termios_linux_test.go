package scanner

import (
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSerialStopsWhenTermiosReset: the serial source's reads end every
// poll interval, so a cancel, an idle partial line and a vanished device
// are seen without a byte arriving, even when another program resets the
// port's line settings after markd opened it. socat does so to a new pty
// ("raw": VMIN=1, VTIME=0) a moment after its link appears, in about one
// start in five here, and ModemManager probing a new ttyACM port does as
// much; with the read timeout kept in VMIN/VTIME alone, the next read
// then waited for a byte forever and markd could not stop (seen as a
// "Close hangs" in TestSerialUnplugMidLine under load).
func TestSerialStopsWhenTermiosReset(t *testing.T) {
	p := newPtyPair(t)
	src := NewSerial("front", SerialConfig{Port: p.Dev, Idle: 300 * time.Millisecond}, nil, nil)
	scans := runSerial(t, src) // its cleanup fails the test if Serve does not return
	waitFor(t, "port open", func() bool { return src.Health().Up })

	f, err := os.OpenFile(p.Dev, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0 // what socat's "raw" leaves
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * DefaultSerialPoll) // the read under way ends; the next starts under VMIN=1

	// An idle partial line is still dropped, with no byte after it.
	p.write("EPM1:HALF")
	waitFor(t, "the partial line dropped after idle", func() bool { return src.Stats().DroppedIdle == 1 })
	p.write("WHOLE\r")
	expectLines(t, scans, "WHOLE")
}
