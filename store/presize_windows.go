package store

// presizeWAL does nothing on Windows: linking a file into place only if no
// WAL exists is what keeps the zeros from a WAL another process made, and
// the measures it rests on were taken on Linux (presize_unix.go).
func presizeWAL(string) (bool, error) { return false, nil }
