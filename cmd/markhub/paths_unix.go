//go:build !windows

package main

import "markd/hub"

// osDefaults: hub.DefaultConfig's places (/var/lib/markhub, /etc/markhub).
func osDefaults(*hub.Config) {}

// checkOSPaths: any path is a Unix path here.
func checkOSPaths(hub.Config) error { return nil }
