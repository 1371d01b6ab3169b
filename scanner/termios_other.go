//go:build unix && !linux

package scanner

// Other Unix systems: the read timeout rests on the line settings tarm
// made, as before (markd's counters run Linux and Windows).
type termios struct{}

func lineSettings(fd int, vmin, vtime uint8) (*termios, error) { return nil, nil }
func keepLineSettings(fd int, want *termios) error             { return nil }
func wakeReaders(fd int)                                       {}
