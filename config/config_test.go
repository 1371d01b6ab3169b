package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"markd/mark"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadLayers(t *testing.T) {
	file := writeFile(t, "office: 426000\ncounter: A\nrescan_window: 5m\nhttp:\n  listen: 127.0.0.1:9000\n")
	t.Setenv("MARKD_COUNTER", "B")                  // env beats file
	t.Setenv("MARKD_HTTP_LISTEN", "127.0.0.1:9100") // nested key through env
	t.Setenv("MARKD_SYNC_BATCH_SIZE", "42")         // key only known from defaults
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Duration("rescan-window", 0, "")
	fs.String("tz", "", "")
	if err := fs.Parse([]string{"--rescan-window=2m"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Office != 426000 || c.Counter != "B" || c.HTTP.Listen != "127.0.0.1:9100" {
		t.Fatalf("file/env layering wrong: %+v", c)
	}
	if c.RescanWindow != 2*time.Minute {
		t.Fatalf("flag did not override: rescan_window = %v", c.RescanWindow)
	}
	if c.TZ != "Europe/Moscow" {
		t.Fatalf("unset flag must not override the default: tz = %q", c.TZ)
	}
	if c.Sync.BatchSize != 42 {
		t.Fatalf("env for a default-only key not applied: %d", c.Sync.BatchSize)
	}
}

func TestLoadErrorsNameKey(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"bad tz", "tz: Mars/Olympus\n", "tz"},
		{"bad office", "office: 1234567\n", "office"},
		{"unknown key", "ofice: 426000\n", "ofice"},
		{"bad log level", "log:\n  level: loud\n", "log.level"},
		{"bad source kind", "sources:\n  - kind: telepathy\n", "sources[0]"},
		{"serial without port", "sources:\n  - kind: serial\n", "port"},
		{"plain http off loopback", "sync:\n  url: http://collector.example:8080\n", "sync.url"},
		{"bad duration", "rescan_window: soon\n", "rescan_window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.body), nil)
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}
