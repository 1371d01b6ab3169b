//go:build !windows

package config

// The default places of the files (the .deb's): lists in /etc/markd, the
// store and the bundles in /var/lib/markd.
const (
	defaultListDir = "/etc/markd"
	defaultDataDir = "/var/lib/markd"
)

// exampleConfig names the file that lists every key, in errors: the
// .deb's /usr/share/markd/examples/markd.yaml when markd runs from it,
// else the source tree's (the tarball has it beside markd).
func exampleConfig() string {
	return InstalledExample("markd.yaml", "configs/markd.yaml (markd.yaml beside markd in the tarball)")
}

func listDir() string { return defaultListDir }
func dataDir() string { return defaultDataDir }

// join names a file in a default folder.
func join(dir, name string) string { return dir + "/" + name }

// checkOSPaths: any path is a Unix path here.
func checkOSPaths(Config) error { return nil }
