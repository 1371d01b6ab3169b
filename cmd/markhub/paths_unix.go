//go:build !windows

package main

import (
	"markd/config"
	"markd/hub"
)

// exampleConfig names the file that lists every key, in errors: the
// .deb's /usr/share/markd/examples/markhub.yaml when markhub runs from it,
// else the source tree's (the tarball has it beside markhub).
func exampleConfig() string {
	return config.InstalledExample("markhub.yaml", "configs/markhub.yaml (markhub.yaml beside markhub in the tarball)")
}

// osDefaults: hub.DefaultConfig's places (/var/lib/markhub, /etc/markhub).
func osDefaults(*hub.Config) {}

// checkOSPaths: any path is a Unix path here.
func checkOSPaths(hub.Config) error { return nil }

// ownDir: the .deb and the operator make markhub's folders on Linux.
func ownDir(string) error { return nil }
