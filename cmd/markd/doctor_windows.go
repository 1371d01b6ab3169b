package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/sys/windows/registry"

	"markd/scanner"
)

// ffmpegHint says how to get ffmpeg here.
const ffmpegHint = "install ffmpeg for Windows and put its bin folder on the PATH"

// inventory lists what the machine has, whether configured or not: COM
// ports (with the USB ids of their adapters), the browser wedge, DirectShow
// cameras.
func (d doctor) inventory() {
	d.printf("Serial ports:\n")
	ports := comPorts()
	if len(ports) == 0 {
		d.printf("  none found (a USB scanner in serial mode shows up as a COM port in Device Manager)\n")
	}
	ids := usbPortIDs()
	for _, p := range ports {
		state := "ok"
		f, err := os.OpenFile(`\\.\`+p, os.O_RDWR, 0)
		if err != nil {
			state = scanner.PlainDeviceError(err, "")
		} else {
			f.Close()
		}
		d.printf("  %s%s: %s\n", p, ids[strings.ToUpper(p)], state)
	}
	d.printf("Keyboard-wedge scanners:\n")
	d.printf("  type into the operator screen (browser wedge): keep it in front; nothing to configure\n")
	d.printf("Cameras (DirectShow):\n")
	cams := dshowCameras()
	if len(cams) == 0 {
		d.printf("  none found (or ffmpeg missing); a camera source: format dshow, input video=NAME\n")
	}
	for _, c := range cams {
		d.printf("  video=%s\n", c)
	}
	d.printf("ffmpeg: %s\n", ffmpegState())
}

// portProblem says in plain words why a serial port did not open; for
// one that is not there (the scanner not plugged in, a number that
// changed with another USB socket), the ports this PC has.
func portProblem(err error) string {
	if !errors.Is(err, fs.ErrNotExist) {
		return scanner.PlainDeviceError(err, "")
	}
	if ports := comPorts(); len(ports) > 0 {
		return "no such port on this PC (ports here: " + strings.Join(ports, ", ") + ")"
	}
	return "no such port on this PC, and no COM port at all: plug the scanner in, set to serial (COM) mode; its port shows in Device Manager"
}

// comPorts are the COM names in HARDWARE\DEVICEMAP\SERIALCOMM, sorted by number.
func comPorts() []string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DEVICEMAP\SERIALCOMM`, registry.QUERY_VALUE)
	if err != nil {
		return nil
	}
	defer k.Close()
	names, _ := k.ReadValueNames(0)
	var out []string
	for _, n := range names {
		if v, _, err := k.GetStringValue(n); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) < len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

var vidPid = regexp.MustCompile(`(?i)VID_([0-9A-F]{4})[&+]PID_([0-9A-F]{4})`)

// usbPortIDs maps COMn to " [USB vvvv:pppp]" from the device instances of
// the USB and FTDI buses whose Device Parameters name the port.
func usbPortIDs() map[string]string {
	out := map[string]string{}
	for _, bus := range []string{`SYSTEM\CurrentControlSet\Enum\USB`, `SYSTEM\CurrentControlSet\Enum\FTDIBUS`} {
		root, err := registry.OpenKey(registry.LOCAL_MACHINE, bus, registry.ENUMERATE_SUB_KEYS)
		if err != nil {
			continue
		}
		devs, _ := root.ReadSubKeyNames(0)
		root.Close()
		for _, dev := range devs {
			m := vidPid.FindStringSubmatch(dev)
			if m == nil {
				continue
			}
			dk, err := registry.OpenKey(registry.LOCAL_MACHINE, bus+`\`+dev, registry.ENUMERATE_SUB_KEYS)
			if err != nil {
				continue
			}
			insts, _ := dk.ReadSubKeyNames(0)
			dk.Close()
			for _, inst := range insts {
				pk, err := registry.OpenKey(registry.LOCAL_MACHINE, bus+`\`+dev+`\`+inst+`\Device Parameters`, registry.QUERY_VALUE)
				if err != nil {
					continue
				}
				if port, _, err := pk.GetStringValue("PortName"); err == nil {
					out[strings.ToUpper(port)] = " [USB " + strings.ToLower(m[1]+":"+m[2]) + "]"
				}
				pk.Close()
			}
		}
	}
	return out
}

// dshowLine is a device line of ffmpeg -list_devices: "NAME" (video).
var dshowLine = regexp.MustCompile(`"([^"]+)" \(video\)`)

// dshowCameras lists the DirectShow video devices ffmpeg sees.
func dshowCameras() []string {
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil
	}
	// ffmpeg lists the devices on stderr and exits non-zero ("dummy").
	out, _ := exec.Command(p, "-hide_banner", "-list_devices", "true", "-f", "dshow", "-i", "dummy").CombinedOutput()
	return parseDshow(string(out))
}

func parseDshow(out string) []string {
	var cams []string
	for _, m := range dshowLine.FindAllStringSubmatch(out, -1) {
		cams = append(cams, m[1])
	}
	return cams
}
