package scanner

import (
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// globMeta are the characters that make a port name a glob. The backslash
// is a path separator on Windows (\\.\COM12), never an escape.
const globMeta = `*?[`

// serialCommKey lists the serial ports that exist now: one value per port,
// its data the COM name. A USB adapter's entry goes when it is unplugged.
const serialCommKey = `HARDWARE\DEVICEMAP\SERIALCOMM`

// statDev checks that a COM port still exists: Windows has no device
// numbers to compare, but an unplugged USB adapter leaves SERIALCOMM.
// Other names (and a registry that cannot be read) pass.
func statDev(path string) (devID, error) {
	name := comName(path)
	if name == "" {
		return devID{}, nil
	}
	ports, err := serialCommPorts()
	if err != nil {
		return devID{}, nil
	}
	for _, p := range ports {
		if strings.EqualFold(p.Name, name) {
			return devID{}, nil
		}
	}
	return devID{}, fmt.Errorf("%s is not in %s (unplugged?): %w", name, serialCommKey, fs.ErrNotExist)
}

// comName returns COMn of "COMn" or `\\.\COMn`, and "" for other names.
func comName(path string) string {
	name := strings.TrimPrefix(path, `\\.\`)
	if len(name) > 3 && strings.EqualFold(name[:3], "COM") && strings.Trim(name[3:], "0123456789") == "" {
		return strings.ToUpper(name)
	}
	return ""
}

// serialCommPort is one value of SERIALCOMM: the driver's device name
// (\Device\Serial0, \Device\VCP0) and the COM name.
type serialCommPort struct{ Device, Name string }

func serialCommPorts() ([]serialCommPort, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, serialCommKey, registry.QUERY_VALUE)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return nil, err
	}
	var ports []serialCommPort
	for _, n := range names {
		v, _, err := k.GetStringValue(n)
		if err == nil {
			ports = append(ports, serialCommPort{Device: n, Name: v})
		}
	}
	return ports, nil
}

// permissionAdvice is the fix for "access denied" on a device: Windows
// opens a COM port for one program at a time, so that is the usual cause.
func permissionAdvice(string) string {
	return "access denied: the port is open in another program (close it, or stop the other markd)"
}
