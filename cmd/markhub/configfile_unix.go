//go:build !windows

package main

import "os"

// defaultConfigFile is the --config default: MARKHUB_CONFIG (the unit
// names its file).
func defaultConfigFile() string { return os.Getenv("MARKHUB_CONFIG") }

const defaultConfigHelp = ""
