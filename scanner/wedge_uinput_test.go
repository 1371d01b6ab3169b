//go:build linux

package scanner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"markd/mark"
)

// uinput ioctls (linux/uinput.h).
const (
	uiSetEvBit   = 0x40045564 // _IOW('U', 100, int)
	uiSetKeyBit  = 0x40045565 // _IOW('U', 101, int)
	uiDevSetup   = 0x405c5503 // _IOW('U', 3, struct uinput_setup)
	uiDevCreate  = 0x5501     // _IO('U', 1)
	uiDevDestroy = 0x5502     // _IO('U', 2)
	uiGetSysname = 0x8040552c // _IOC(_IOC_READ, 'U', 44, 64)
)

// uinputSetup is struct uinput_setup: struct input_id, name[80], ff_effects_max.
type uinputSetup struct {
	Bustype, Vendor, Product, Version uint16
	Name                              [80]byte
	FFEffectsMax                      uint32
}

// newUinputKeyboard creates a virtual keyboard and returns the uinput fd
// and its /dev/input/eventN path. It skips when /dev/uinput is absent (CI
// containers): the grab cannot be tested without a real evdev device.
func newUinputKeyboard(t *testing.T) (*os.File, string) {
	t.Helper()
	f, err := os.OpenFile("/dev/uinput", os.O_WRONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("no usable /dev/uinput (%v): the EVIOCGRAB path needs a real evdev device; replay tests cover the decoding", err)
	}
	fd := int(f.Fd())
	ioctl := func(req, arg uintptr) {
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg); errno != 0 {
			f.Close()
			t.Skipf("uinput ioctl %#x: %v", req, errno)
		}
	}
	ioctl(uiSetEvBit, EvKey)
	for code := range usKeys {
		ioctl(uiSetKeyBit, uintptr(code))
	}
	for _, code := range []uint16{KeyEnter, KeyLeftShift, KeyRightShift, KeyKPEnter} {
		ioctl(uiSetKeyBit, uintptr(code))
	}
	var setup uinputSetup
	setup.Bustype, setup.Vendor, setup.Product = 0x03, 0x1234, 0x5678
	copy(setup.Name[:], "markd test wedge")
	ioctl(uiDevSetup, uintptr(unsafe.Pointer(&setup)))
	ioctl(uiDevCreate, 0)
	t.Cleanup(func() {
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uiDevDestroy, 0)
		f.Close()
	})
	var name [64]byte
	ioctl(uiGetSysname, uintptr(unsafe.Pointer(&name[0])))
	sys := string(name[:bytes.IndexByte(name[:], 0)])
	var dev string
	waitFor(t, "event node", func() bool {
		m, _ := filepath.Glob("/sys/devices/virtual/input/" + sys + "/event*")
		if len(m) == 0 {
			return false
		}
		dev = "/dev/input/" + filepath.Base(m[0])
		_, err := os.Stat(dev)
		return err == nil
	})
	return f, dev
}

// With a grab, the wedge source gets the code and another reader of the
// same device gets nothing.
func TestWedgeGrabUinput(t *testing.T) {
	ui, dev := newUinputKeyboard(t)
	other, err := os.OpenFile(dev, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	src := NewWedge("wedge", WedgeConfig{Device: dev, Grab: true}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scans := make(chan mark.Scan, 8)
	go src.Serve(ctx, func(s mark.Scan) { scans <- s })
	waitFor(t, "device grabbed", func() bool { return src.Health().Up })

	r := newRecorder()
	r.line(t, "EPM1:GRAB")
	if _, err := ui.Write(r.buf); err != nil {
		t.Fatal(err)
	}
	expectLines(t, scans, "EPM1:GRAB")

	// Everything the grabbing source saw has been delivered; the other
	// reader must have nothing queued.
	_ = other.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	buf := make([]byte, InputEventSize*8)
	if n, _ := other.Read(buf); n > 0 {
		t.Fatalf("another reader saw %d bytes of a grabbed device", n)
	}
}
