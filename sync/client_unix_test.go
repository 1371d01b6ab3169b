//go:build !windows

package sync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/mark"
)

// TestTokenFileReadableByAllRefused: a terminal token every user of the
// counter PC may read is refused, with the command that fixes it.
func TestTokenFileReadableByAllRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte("mkt_x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewClient(ClientOptions{URL: "http://127.0.0.1:1", TokenFile: p})
	if err == nil || !strings.Contains(mark.Hint(err), "chmod 600 "+p) {
		t.Fatalf("err = %v (hint %q)", err, mark.Hint(err))
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(ClientOptions{URL: "http://127.0.0.1:1", TokenFile: p}); err != nil {
		t.Fatal(err)
	}
}
