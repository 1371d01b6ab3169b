//go:build windows

package config

import (
	"path/filepath"
	"strings"

	"markd/internal/datadir"
)

// DataDir is %ProgramData%\markd, the folder of config, lists, store and
// logs of a Windows counter (markd service install makes it, the MSI's
// service uses it).
func DataDir() string { return datadir.Path() }

// ProgramDataDir is the folder name in %ProgramData% (markhub's is
// %ProgramData%\markhub).
func ProgramDataDir(name string) string { return datadir.ProgramData(name) }

// LinuxPath says p is a Linux path (rooted with a forward slash, no drive
// or share, as /var/lib/markd is), which Windows would read on the
// current drive; markhub refuses such paths in its config as markd does.
func LinuxPath(p string) bool { return unixPath(p) }

// exampleConfig names the file that lists every key, in errors: the zip
// and the MSI put it beside markd.exe (configs/markd.windows.yaml).
func exampleConfig() string { return "markd.yaml.example beside markd.exe" }

// One folder for everything on Windows (docs/install-windows.md).
func listDir() string { return DataDir() }
func dataDir() string { return DataDir() }

func join(dir, name string) string { return filepath.Join(dir, name) }

// checkOSPaths refuses Linux paths and device names in a Windows config
// (copied from markd.yaml.example or a Linux counter's config): Windows
// would take /var/lib/markd/markd.db as \var\lib\markd\markd.db on the
// current drive, and /dev/ttyUSB0 or /dev/video0 is no device there.
func checkOSPaths(c Config) error {
	for _, f := range []struct{ key, path string }{
		{"keyring", c.Keyring}, {"tariffs", c.Tariffs}, {"revoked", c.Revoked}, {"db", c.DB},
		{"http.tls_cert", c.HTTP.TLSCert}, {"http.tls_key", c.HTTP.TLSKey},
		{"sync.token_file", c.Sync.TokenFile}, {"sync.client_cert", c.Sync.ClientCert},
		{"sync.client_key", c.Sync.ClientKey}, {"sync.ca", c.Sync.CA}, {"sync.bundle_dir", c.Sync.BundleDir},
		{"web.snapshots_dir", c.Web.SnapshotsDir},
	} {
		if unixPath(f.path) {
			return invalid(f.key, f.path, `a Linux path: on Windows name the file with its drive, such as `+
				join(DataDir(), filepath.Base(filepath.FromSlash(f.path))))
		}
	}
	const port = `a Linux device: on Windows a serial port is COMn, such as COM3 (\\.\COM10 from 10 on; markd doctor lists them)`
	for i, s := range c.Sources {
		if s.Kind == "serial" && strings.HasPrefix(s.Port, "/dev/") {
			return invalid(sourceKey(i, "port"), s.Port, port)
		}
		if s.Kind == "camera" && strings.HasPrefix(s.Input, "/dev/") {
			return invalid(sourceKey(i, "input"), s.Input,
				"a Linux device: on Windows a camera is input video=NAME with format dshow (markd doctor lists the names)")
		}
	}
	if strings.HasPrefix(c.Scale.Port, "/dev/") {
		return invalid("scale.port", c.Scale.Port, port)
	}
	return nil
}

// unixPath: rooted with a forward slash and no drive or share, as
// /var/lib/markd is; Windows would read it on the current drive.
func unixPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && filepath.VolumeName(p) == ""
}
