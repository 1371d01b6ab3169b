//go:build unix

package main

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"markd/scanner"
)

// ffmpegHint says how to get ffmpeg here.
const ffmpegHint = "apt-get install ffmpeg"

// portProblem says in plain words why a serial port did not open.
func portProblem(err error) string { return scanner.PlainDeviceError(err, "dialout") }

// devGlobs are where doctor looks for devices; tests point them elsewhere.
var devGlobs = struct {
	serial, input, video []string
}{
	serial: []string{"/dev/serial/by-id/*", "/dev/ttyUSB*", "/dev/ttyACM*", "/dev/ttyS*"},
	input:  []string{"/dev/input/by-id/*-event-kbd"},
	video:  []string{"/dev/video*"},
}

// inventory lists what the machine has, whether configured or not.
func (d doctor) inventory() {
	d.printf("Serial ports:\n")
	seen := map[string]bool{}
	n := 0
	for _, p := range globAll(devGlobs.serial) {
		target, _ := filepath.EvalSymlinks(p)
		if target != "" && seen[target] && target != p {
			continue
		}
		seen[target] = true
		state := probeSerial(p)
		if strings.HasPrefix(filepath.Base(p), "ttyS") && state == "no hardware behind it" {
			continue // the kernel makes ttyS0..31 whether or not a UART is there
		}
		n++
		usb := usbIDs(p)
		if target != "" && target != p {
			d.printf("  %s -> %s%s: %s\n", p, target, usb, state)
		} else {
			d.printf("  %s%s: %s\n", p, usb, state)
		}
	}
	if n == 0 {
		d.printf("  none found (a USB scanner in serial mode shows up as /dev/ttyACM* or /dev/ttyUSB*)\n")
	}
	d.printf("Keyboard-wedge input devices:\n")
	list(d, globAll(devGlobs.input), "none found (a USB scanner in keyboard mode shows up as /dev/input/by-id/*-event-kbd)", "input")
	d.printf("Cameras:\n")
	list(d, globAll(devGlobs.video), "none found", "video")
	d.printf("ffmpeg: %s\n", ffmpegState())
}

func list(d doctor, paths []string, none, group string) {
	if len(paths) == 0 {
		d.printf("  %s\n", none)
	}
	for _, p := range paths {
		state := "ok"
		if f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err != nil {
			state = scanner.PlainDeviceError(err, group)
		} else {
			f.Close()
		}
		d.printf("  %s: %s\n", p, state)
	}
}

func globAll(patterns []string) []string {
	var out []string
	for _, g := range patterns {
		m, _ := filepath.Glob(g)
		sort.Strings(m)
		out = append(out, m...)
	}
	return out
}

// probeSerial opens a port without touching its settings and says whether
// it answers. An absent UART behind /dev/ttyS* fails with EIO.
func probeSerial(path string) string {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.EIO) {
			return "no hardware behind it"
		}
		return scanner.PlainDeviceError(err, "dialout")
	}
	f.Close()
	return "ok"
}

// usbIDs returns " [USB vvvv:pppp Product]" for a tty of a USB device,
// read from /sys (the tty's device folder or one of its parents holds
// idVendor and idProduct), or "" for another port.
func usbIDs(port string) string {
	target, err := filepath.EvalSymlinks(port)
	if err != nil {
		return ""
	}
	dev, err := filepath.EvalSymlinks(filepath.Join(sysClassTTY, filepath.Base(target), "device"))
	if err != nil {
		return ""
	}
	for d := dev; d != "/" && d != "."; d = filepath.Dir(d) {
		vendor, err1 := os.ReadFile(filepath.Join(d, "idVendor"))
		product, err2 := os.ReadFile(filepath.Join(d, "idProduct"))
		if err1 != nil || err2 != nil {
			continue
		}
		s := " [USB " + strings.TrimSpace(string(vendor)) + ":" + strings.TrimSpace(string(product))
		if name, err := os.ReadFile(filepath.Join(d, "product")); err == nil {
			s += " " + strings.TrimSpace(string(name))
		}
		return s + "]"
	}
	return ""
}

// sysClassTTY is where Linux lists ttys; tests point it elsewhere.
var sysClassTTY = "/sys/class/tty"
