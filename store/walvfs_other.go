//go:build !linux || !cgo

package store

import "database/sql"

// vfsParam: elsewhere the store uses SQLite's default VFS (the WAL write
// coalescing of walvfs_linux.go is measured on Linux only).
func vfsParam() string { return "" }

// WALVFS returns "": SQLite's default VFS.
func WALVFS() string { return "" }

func walWriteStats() (writes, flushes int64) { return 0, 0 }

// gateAttach: no gate slots without the VFS; the writer runs a check
// before COMMIT.
func gateAttach(*sql.Conn) int { return 0 }

func gateDetach(*sql.Conn)     {}
func gateFree(int)             {}
func gateArm(int, func() bool) {}
func gateDisarm(int) int       { return gateNotReached }
func gateSyncFirst() int64     { return 0 }
