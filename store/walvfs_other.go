//go:build !linux || !cgo

package store

// vfsParam: elsewhere the store uses SQLite's default VFS (the WAL write
// coalescing of walvfs_linux.go is measured on Linux only).
func vfsParam() string { return "" }

// WALVFS returns "": SQLite's default VFS.
func WALVFS() string { return "" }

func walWriteStats() (writes, flushes int64) { return 0, 0 }
