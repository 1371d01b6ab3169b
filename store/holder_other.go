//go:build !linux

package store

// lockHolder names the process holding the store's lock where the system
// tells it (Linux only, holder_linux.go); "" elsewhere.
func lockHolder(string) string { return "" }
