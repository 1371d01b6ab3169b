//go:build !windows

package config

import (
	"os"
	"path/filepath"
)

// ExamplesDir is where the .deb installs the example configs (markd.yaml,
// markhub.yaml), relative to the folder of the binaries: /usr/bin/markd
// finds them in /usr/share/markd/examples. Not under /usr/share/doc,
// which minimised Debian and Ubuntu images leave out (dpkg path-exclude).
const ExamplesDir = "../share/markd/examples"

// InstalledExample names the example config name (markd.yaml,
// markhub.yaml) for an error that says which file lists every key: the
// installed copy when the running binary has one in ExamplesDir beside it
// (the .deb's /usr/share/markd/examples/name), else notInstalled (the
// source tree's configs/name: tests, make demo, bin/markd).
func InstalledExample(name, notInstalled string) string {
	exe, err := os.Executable()
	if err != nil {
		return notInstalled
	}
	return installedExample(exe, name, notInstalled, func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular()
	})
}

// installedExample is InstalledExample for the binary exe, exists saying
// whether a file is there.
func installedExample(exe, name, notInstalled string, exists func(string) bool) string {
	p := filepath.Join(filepath.Dir(exe), ExamplesDir, name)
	if exists(p) {
		return p
	}
	return notInstalled
}
