package main

import (
	"path/filepath"

	"markd/config"
	"markd/hub"
	"markd/internal/cli"
)

// exampleConfig names the file that lists every key, in errors: the zip
// and the MSI put it beside markhub.exe (configs/markhub.windows.yaml);
// configs/markhub.yaml is not on a Windows machine.
const exampleConfig = "markhub.yaml.example beside markhub.exe"

// osDefaults puts markhub's files in %ProgramData%\markhub on Windows
// (markhub.exe comes with the MSI): hub.DefaultConfig's /var/lib/markhub
// and /etc/markhub would be read on the current drive.
func osDefaults(c *hub.Config) {
	dir := config.ProgramDataDir("markhub")
	c.DB = filepath.Join(dir, "markhub.db")
	c.DistributionKey = filepath.Join(dir, "distribution.key")
}

// checkOSPaths refuses a Linux path in a Windows config (copied from
// configs/markhub.yaml or a Linux collector's config), naming the key
// and a Windows example, as markd's config does.
func checkOSPaths(c hub.Config) error {
	files := []struct{ key, path string }{{"distribution_key", c.DistributionKey},
		{"tls_cert", c.TLSCert}, {"tls_key", c.TLSKey}, {"client_ca", c.ClientCA}}
	if c.DBDriver == "sqlite" { // a PostgreSQL URL is no path
		files = append([]struct{ key, path string }{{"db", c.DB}}, files...)
	}
	for _, f := range files {
		if config.LinuxPath(f.path) {
			return &cli.KeyError{Key: f.key, Value: f.path, Why: "a Linux path: on Windows name the file with its drive, such as " +
				filepath.Join(config.ProgramDataDir("markhub"), filepath.Base(filepath.FromSlash(f.path)))}
		}
	}
	return nil
}
