package scanner

import (
	"fmt"
	"os"
)

// OpenInput fails on Windows: see ErrNoEvdev.
func OpenInput(path string, _ bool) (*os.File, error) {
	return nil, fmt.Errorf("open %s: %w", path, ErrNoEvdev)
}
