package main

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"markd/config"
	"markd/daemon"
)

// TestExampleConfig loads configs/markd.yaml, the commented example.
func TestExampleConfig(t *testing.T) {
	c, err := config.Load(filepath.Join("..", "..", "configs", "markd.yaml"), nil)
	if err != nil {
		t.Fatalf("configs/markd.yaml: %v", err)
	}
	if c.Office != 426000 || c.RescanWindow != 10*time.Minute || c.HTTP.Listen != "127.0.0.1:8080" ||
		len(c.Sources) != 1 || c.Sources[0].Kind != "stdin" || c.DB != "/var/lib/markd/markd.db" {
		t.Errorf("unexpected example config: %+v", c)
	}
	if _, err := daemon.CheckListen(c.HTTP); err != nil {
		t.Errorf("example http.listen: %v", err)
	}
	t.Setenv("MARKD_HTTP_LISTEN", "127.0.0.1:9999")
	t.Setenv("MARKD_RESCAN_WINDOW", "5m")
	c, err = config.Load(filepath.Join("..", "..", "configs", "markd.yaml"), nil)
	if err != nil || c.HTTP.Listen != "127.0.0.1:9999" || c.RescanWindow != 5*time.Minute {
		t.Errorf("env over the example: %+v %v", c.HTTP, err)
	}
}

// TestExampleConfigForWindows: configs/markd.windows.yaml, the example the
// Windows zip and MSI ship, sets the same keys as configs/markd.yaml with
// Windows paths, and no Linux path, device or advice is left in it.
func TestExampleConfigForWindows(t *testing.T) {
	keys := func(name string) ([]string, string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out []string
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, e := range v {
					walk(prefix+"."+k, e)
				}
			case []any:
				for _, e := range v {
					walk(prefix+"[]", e)
				}
			default:
				out = append(out, prefix)
			}
		}
		walk("", m)
		sort.Strings(out)
		return out, string(b)
	}
	linux, _ := keys("markd.yaml")
	windows, text := keys("markd.windows.yaml")
	if !reflect.DeepEqual(linux, windows) {
		t.Errorf("keys of configs/markd.windows.yaml differ from configs/markd.yaml:\n%v\n%v", windows, linux)
	}
	for _, bad := range []string{"/etc/", "/var/lib/markd/", "/dev/", "chmod", "SIGHUP", "journald", "evdev"} {
		if strings.Contains(text, bad) {
			t.Errorf("configs/markd.windows.yaml holds %q", bad)
		}
	}
	c, err := config.Load(filepath.Join("..", "..", "configs", "markd.windows.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != `C:\ProgramData\markd\markd.db` || c.Keyring != `C:\ProgramData\markd\keyring.yaml` {
		t.Errorf("Windows example: db %q, keyring %q", c.DB, c.Keyring)
	}
}
