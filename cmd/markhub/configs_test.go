package main

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"markd/hub"
)

// exampleKeys lists the keys an example config sets (log.level for a
// nested one), sorted, and its text.
func exampleKeys(t *testing.T, name string) ([]string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "configs", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("configs/%s: %v", name, err)
	}
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			out = append(out, prefix+k)
		}
	}
	walk("", doc)
	sort.Strings(out)
	return out, string(b)
}

// TestExampleConfigForWindows: configs/markhub.windows.yaml, which the
// Windows zip and MSI ship as markhub.yaml.example beside markhub.exe (the
// file markhub's errors name there), sets the same keys as
// configs/markhub.yaml to the same defaults, its files in
// C:\ProgramData\markhub (markhub.exe's defaults there), and holds no
// Linux path or advice.
func TestExampleConfigForWindows(t *testing.T) {
	linux, _ := exampleKeys(t, "markhub.yaml")
	windows, text := exampleKeys(t, "markhub.windows.yaml")
	if !reflect.DeepEqual(linux, windows) {
		t.Errorf("keys of configs/markhub.windows.yaml differ from configs/markhub.yaml:\n%v\n%v", windows, linux)
	}
	for _, bad := range []string{"/etc/", "/var/lib/", "SIGTERM", "SIGHUP", "systemctl", "journald", "chmod"} {
		if strings.Contains(text, bad) {
			t.Errorf("configs/markhub.windows.yaml holds %q", bad)
		}
	}
	for _, env := range os.Environ() { // the example as it reads, whatever the test's environment
		if name, _, _ := strings.Cut(env, "="); strings.HasPrefix(name, "MARKHUB_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	c, err := (&app{configFile: filepath.Join("..", "..", "configs", "markhub.windows.yaml")}).loadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := hub.DefaultConfig()
	// the defaults of markhub.exe (osDefaults) on a Windows whose
	// %ProgramData% is C:\ProgramData
	want.DB = `C:\ProgramData\markhub\` + filepath.Base(want.DB)
	want.DistributionKey = `C:\ProgramData\markhub\` + filepath.Base(want.DistributionKey)
	if !reflect.DeepEqual(c, want) {
		t.Errorf("configs/markhub.windows.yaml differs from markhub.exe's defaults:\n example %+v\n default %+v", c, want)
	}
}
