//go:build !windows

package bundle

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSaveMode0600: the bundles a counter keeps are its owner's only,
// whatever the umask.
func TestSaveMode0600(t *testing.T) {
	for _, umask := range []int{0o022, 0} {
		old := syscall.Umask(umask)
		d := Dir{Path: filepath.Join(t.TempDir(), "bundles")}
		err := d.Save(7, []byte(`{"not":"checked here"}`))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(d.Path, fileName(7)))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("umask %04o: %v %v", umask, fi.Mode(), err)
		}
	}
}
