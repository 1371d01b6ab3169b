package main

import (
	"os"
	"path/filepath"

	"markd/config"
)

// defaultConfigFile is the --config default: MARKHUB_CONFIG, else
// %ProgramData%\markhub\markhub.yaml when it exists, as markd.exe finds
// its own beside its store.
func defaultConfigFile() string {
	if c := os.Getenv("MARKHUB_CONFIG"); c != "" {
		return c
	}
	c := filepath.Join(config.ProgramDataDir("markhub"), "markhub.yaml")
	if _, err := os.Stat(c); err == nil {
		return c
	}
	return ""
}

const defaultConfigHelp = `, else %ProgramData%\markhub\markhub.yaml when it exists`
