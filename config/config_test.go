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
	if !errors.Is(err, mark.ErrNotFound) || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}

// TestLoadErrorsSayWhere: each bad value is reported with where it came
// from (file:line, environment variable or flag), the key, the value and
// what is allowed; a mistyped key gets the nearest known one.
func TestLoadErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name, body string
		env        map[string]string
		flags      []string
		want       string
	}{
		{name: "typo", body: "office: 426000\nkeyrnig: /etc/k.yaml\n",
			want: `markd.yaml:2: unknown key "keyrnig" (did you mean keyring?)`},
		{name: "nested typo", body: "http:\n  lisen: 127.0.0.1:1\n",
			want: `markd.yaml:2: unknown key "http.lisen" (did you mean http.listen?)`},
		{name: "far from any key", body: "zzzzzzzz: 1\n", want: `markd.yaml:1: unknown key "zzzzzzzz"; configs`},
		{name: "unknown key in a source", body: "sources:\n  - kind: serial\n    prot: /dev/ttyS0\n",
			want: `markd.yaml:3: unknown key "sources[0].prot" (did you mean port?)`},
		{name: "wrong type", body: "office: abc\n",
			want: `markd.yaml:1: office = "abc": must be a whole number, not negative`},
		{name: "five-digit office", body: "counter: A\noffice: 42600\n",
			want: `markd.yaml:2: office = 42600: must be the office's 6-digit postal index`},
		{name: "bad duration from env", body: "office: 426000\nrescan_window: 5m\n",
			env:  map[string]string{"MARKD_RESCAN_WINDOW": "5minutes"},
			want: `environment MARKD_RESCAN_WINDOW: rescan_window = "5minutes": must be a duration such as 90s`},
		{name: "bad office from flag", body: "office: 426000\n", flags: []string{"--office=42600"},
			want: `flag --office: office = 42600: must be the office's 6-digit postal index`},
		{name: "source entry", body: "sources:\n  - kind: stdin\n  - kind: serial\n    baud: fast\n",
			want: `markd.yaml:4: sources[1].baud = "fast": must be a whole number`},
		{name: "source validation", body: "sources:\n  - kind: serial\n",
			want: `markd.yaml:2: sources[0].port = "": `},
		{name: "not yaml", body: "office: [\n", want: "markd.yaml: not valid YAML"},
		{name: "key given twice", body: "office: 426000\ncounter: A\noffice: 426001\n",
			want: `markd.yaml:3: key "office" is given twice (first at line 1): remove one`},
		{name: "nested key given twice", body: "http:\n  listen: 127.0.0.1:1\n  Listen: 127.0.0.1:2\n",
			want: `markd.yaml:3: key "http.listen" is given twice (first at line 2): remove one`},
		{name: "listen from env", body: "office: 426000\n", env: map[string]string{"MARKD_HTTP_LISTEN": "8080"},
			want: `environment MARKD_HTTP_LISTEN: http.listen = "8080": must be host:port`},
		{name: "empty db from flag", body: "office: 426000\n", flags: []string{"--db="},
			want: `flag --db: db = "": must name the SQLite store file`},
		{name: "time zone from env", body: "office: 426000\n", env: map[string]string{"MARKD_TZ": "Mars/Olympus"},
			want: `environment MARKD_TZ: tz = "Mars/Olympus": must be a time zone name`},
		{name: "log level", body: "office: 426000\nlog:\n  level: loud\n",
			want: `markd.yaml:3: log.level = "loud": must be debug, info, warn or error`},
		{name: "log format from env", body: "office: 426000\n", env: map[string]string{"MARKD_LOG_FORMAT": "xml"},
			want: `environment MARKD_LOG_FORMAT: log.format = "xml": must be text or json`},
		{name: "empty source entry", body: "office: 426000\nsources:\n  - kind: stdin\n  -\n",
			want: `markd.yaml:4: sources[1] = nothing: an empty entry: give its keys under the dash, or remove the dash`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			fs.Uint32("office", 0, "")
			fs.String("db", "", "")
			if err := fs.Parse(tt.flags); err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, tt.body)
			_, err := Load(file, fs)
			wantInvalid(t, err, file, tt.want)
		})
	}
}

func FuzzLoadFile(f *testing.F) {
	for _, s := range []string{"office: 426000\n", "sources:\n  - kind: serial\n    port: x\n", "http:\n  lisen: 1\n",
		"office: [\n", "log:\n  level: [1, 2]\n", "sources: 5\n", "sync: x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		file := filepath.Join(t.TempDir(), "markd.yaml")
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(file, nil); err != nil && !errors.Is(err, mark.ErrInvalid) {
			t.Fatalf("%q: error %v is not ErrInvalid", body, err)
		}
	})
}
