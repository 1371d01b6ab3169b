//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUSBIDs builds a /sys-like tree: a ttyACM0 whose device folder's
// parent is a USB device with idVendor/idProduct/product, and a ttyS0 that
// is no USB device.
func TestUSBIDs(t *testing.T) {
	root := t.TempDir()
	usb := filepath.Join(root, "devices", "usb1", "1-1")
	iface := filepath.Join(usb, "1-1:1.0")
	for _, d := range []string{iface, filepath.Join(root, "devices", "platform", "serial8250"), filepath.Join(root, "class", "tty", "ttyACM0"), filepath.Join(root, "class", "tty", "ttyS0"), filepath.Join(root, "dev")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]string{"idVendor": "05e0\n", "idProduct": "1200\n", "product": "Symbol Bar Code Scanner\n"} {
		if err := os.WriteFile(filepath.Join(usb, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(iface, filepath.Join(root, "class", "tty", "ttyACM0", "device")))
	must(os.Symlink(filepath.Join(root, "devices", "platform", "serial8250"), filepath.Join(root, "class", "tty", "ttyS0", "device")))
	for _, n := range []string{"ttyACM0", "ttyS0"} {
		must(os.WriteFile(filepath.Join(root, "dev", n), nil, 0o644))
	}
	byID := filepath.Join(root, "dev", "usb-Symbol-if00")
	must(os.Symlink(filepath.Join(root, "dev", "ttyACM0"), byID))
	old := sysClassTTY
	sysClassTTY = filepath.Join(root, "class", "tty")
	defer func() { sysClassTTY = old }()
	tests := []struct{ port, want string }{
		{filepath.Join(root, "dev", "ttyACM0"), " [USB 05e0:1200 Symbol Bar Code Scanner]"},
		{byID, " [USB 05e0:1200 Symbol Bar Code Scanner]"},
		{filepath.Join(root, "dev", "ttyS0"), ""},
		{filepath.Join(root, "dev", "missing"), ""},
	}
	for _, tt := range tests {
		if got := usbIDs(tt.port); got != tt.want {
			t.Errorf("usbIDs(%s) = %q, want %q", filepath.Base(tt.port), got, tt.want)
		}
	}
}
