//go:build !windows

package main

import "markd/hub"

// exampleConfig names the file that lists every key, in errors: where
// the .deb installs configs/markhub.yaml, and the tarball's copy beside
// the binary; configs/ is not on a collector.
const exampleConfig = "/usr/share/doc/markd/examples/markhub.yaml (markhub.yaml beside markhub in the tarball)"

// osDefaults: hub.DefaultConfig's places (/var/lib/markhub, /etc/markhub).
func osDefaults(*hub.Config) {}

// checkOSPaths: any path is a Unix path here.
func checkOSPaths(hub.Config) error { return nil }

// ownDir: the .deb and the operator make markhub's folders on Linux.
func ownDir(string) error { return nil }
