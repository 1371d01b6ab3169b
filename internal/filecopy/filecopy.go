// Package filecopy copies a file as it is now: a store's files taken
// while a process holds them open (what a crash leaves, in tests) or
// copied once for a bench.
package filecopy

import (
	"fmt"
	"io"
	"os"
)

// Copy copies src to dst (created or truncated). A missing src is an
// error matching os.ErrNotExist.
func Copy(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return nil
}
