package store

// shmBusy reports whether the WAL index at path is in use, or may be: this
// process has it open (opening and closing it here would drop SQLite's
// fcntl locks on it), its descriptors cannot be listed, or another process
// holds a lock on it (an open store: its index is live).
func shmBusy(path string) bool {
	_, open, known := ownFd(path)
	if !known || open {
		return true
	}
	return lockPid(path) != 0
}
