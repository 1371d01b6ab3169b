//go:build windows

// Package datadir names the per-machine folder of a Windows counter,
// %ProgramData%\markd, for config (the files' defaults) and control (the
// running daemons' pointers) alike.
package datadir

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// Path is %ProgramData%\markd.
func Path() string { return ProgramData("markd") }

// ProgramData is the folder name in %ProgramData%: the known folder, not
// the environment, since a service may run with another environment than
// the administrator who installed it.
func ProgramData(name string) string {
	pd, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	if err != nil || pd == "" {
		if pd = os.Getenv("ProgramData"); pd == "" {
			pd = `C:\ProgramData`
		}
	}
	return filepath.Join(pd, name)
}
