//go:build !linux && !windows

package store

// shmBusy: on the other systems (macOS, the BSDs) whether another process
// has the WAL index open is not asked, so checkWAL never looks at it
// (walloss.go); Linux (walloss_linux.go) and Windows (walloss_windows.go)
// ask.
func shmBusy(string) bool { return true }
