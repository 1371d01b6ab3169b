package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"markd/mark"
)

// TestConfigAliasBomb: a config whose YAML anchors expand a billion
// times (under a key markd knows, http.hosts, and under one it does not)
// is refused, naming the file, without expanding them (red team, 26th
// stop; held: unknown keys are refused first, yaml.v3 refuses excessive
// aliasing).
func TestConfigAliasBomb(t *testing.T) {
	lol := func(under string) string {
		var b strings.Builder
		b.WriteString("office: 426000\n" + under + "\n")
		ind := strings.Repeat(" ", strings.Count(under, ":")*2)
		b.WriteString(ind + "- &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
		for i := 1; i < 10; i++ {
			refs := strings.TrimSuffix(strings.Repeat("*a"+string(rune('0'+i-1))+", ", 9), ", ")
			b.WriteString(ind + "- &a" + string(rune('0'+i)) + " [" + refs + "]\n")
		}
		return b.String()
	}
	for _, under := range []string{"http:\n  hosts:", "lols:"} {
		f := filepath.Join(t.TempDir(), "markd.yaml")
		if err := os.WriteFile(f, []byte(lol(under)), 0o600); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err := Load(f, nil)
		runtime.ReadMemStats(&m1)
		if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), f) {
			t.Errorf("%q: %v, want invalid naming %s", under, err, f)
		}
		if mib := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mib > 64 {
			t.Errorf("%q: %d MiB allocated", under, mib)
		}
	}
}
