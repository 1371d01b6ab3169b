package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"markd/mark"
)

// loadWith loads body (written as markd.yaml) with env set and the flags
// --office, --db, --counter and --rescan-window parsed from flags.
func loadWith(t *testing.T, body string, env map[string]string, flags ...string) (Config, string, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Uint32("office", 0, "")
	fs.String("db", "", "")
	fs.String("counter", "", "")
	fs.Duration("rescan-window", 0, "")
	if err := fs.Parse(flags); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, body)
	c, err := Load(file, fs)
	return c, file, err
}

// TestLoadRefusesMisreadValues: values that loaded as something else than
// what they say are refused, naming where, the key and the value (the
// audit of the config, each row failing on the code before): a duration
// without its unit was nanoseconds, a fraction lost its part, an office
// with a leading 0 was octal to YAML and to the environment's reading, a
// counter written as a number became that number's text, a port out of
// range stopped markd run at listen (exit 1, restarted for ever) instead
// of at load, a counter with a space at its end could never be filtered
// on, an empty file was the built-in defaults (its reload put the default
// lists in force and no revocation list).
func TestLoadRefusesMisreadValues(t *testing.T) {
	tests := []struct {
		name, body string
		env        map[string]string
		want       string
	}{
		{name: "duration without unit", body: "office: 426000\nrescan_window: 5\n",
			want: `markd.yaml:2: rescan_window = 5: needs a unit: 5 alone would be 5 nanoseconds; write 5s, 5m or 5h`},
		{name: "nested duration without unit", body: "office: 426000\nsync:\n  interval: 30\n",
			want: `markd.yaml:3: sync.interval = 30: needs a unit`},
		{name: "fractional duration without unit", body: "office: 426000\nsync:\n  batch_age: 1.5\n",
			want: `markd.yaml:3: sync.batch_age = 1.5: needs a unit`},
		{name: "source duration without unit", body: "office: 426000\nsources:\n  - kind: serial\n    port: /dev/ttyS0\n    idle: 2\n",
			want: `sources[0].idle = 2: needs a unit`},
		{name: "fraction of an office", body: "office: 426000.5\n",
			want: `markd.yaml:1: office = 426000.5: must be a whole number`},
		{name: "fraction of a limit", body: "office: 426000\nweb:\n  login_limit: 5.7\n",
			want: `markd.yaml:3: web.login_limit = 5.7: must be a whole number`},
		{name: "no failed login of an account", body: "office: 426000\nweb:\n  login_account_limit: 0\n",
			want: `markd.yaml:3: web.login_account_limit = 0: must be positive`},
		{name: "octal office", body: "office: 0426000\n",
			want: `markd.yaml:1: office = "0426000": must be a whole number written in decimal: YAML reads a number with a leading 0 as octal`},
		{name: "hex office", body: "office: 0x68010\n",
			want: `markd.yaml:1: office = "0x68010": must be a whole number written in decimal`},
		{name: "octal office from env", body: "counter: A\n", env: map[string]string{"MARKD_OFFICE": "0426000"},
			want: `environment MARKD_OFFICE: office = "0426000": must be a whole number written in decimal: a leading 0 reads as octal`},
		{name: "hex office from env", body: "counter: A\n", env: map[string]string{"MARKD_OFFICE": "0x68010"},
			want: `environment MARKD_OFFICE: office = "0x68010": must be a whole number written in decimal`},
		{name: "quoted octal office", body: "office: \"0426000\"\n",
			want: `markd.yaml:1: office = "0426000": must be a whole number written in decimal`},
		{name: "counter with a leading 0", body: "office: 426000\ncounter: 012\n",
			want: `markd.yaml:2: counter = "012": YAML reads it as 10, which would be the text "10": put it in quotes ("012")`},
		{name: "counter 1.50", body: "office: 426000\ncounter: 1.50\n",
			want: `markd.yaml:2: counter = "1.50": YAML reads it as 1.5`},
		{name: "counter true", body: "office: 426000\ncounter: true\n",
			want: `markd.yaml:2: counter = "true": YAML reads it as true, which would be the text "1"`},
		{name: "port out of range", body: "office: 426000\nhttp:\n  listen: 127.0.0.1:99999\n",
			want: `markd.yaml:3: http.listen = "127.0.0.1:99999": the port must be 0..65535`},
		{name: "port not a number", body: "office: 426000\nhttp:\n  listen: 127.0.0.1:eighty\n",
			want: `http.listen = "127.0.0.1:eighty": the port must be a number 0..65535`},
		{name: "no port", body: "office: 426000\nhttp:\n  listen: \"127.0.0.1:\"\n",
			want: `http.listen = "127.0.0.1:": names no port`},
		{name: "counter ending in a space", body: "office: 426000\ncounter: \"1 \"\n",
			want: `markd.yaml:2: counter = "1 ": must not begin or end with a space`},
		{name: "counter with a tab", body: "office: 426000\ncounter: \"a\\tb\"\n",
			want: `markd.yaml:2: counter = "a\tb": must not hold a tab`},
		{name: "counter from env with a space", body: "office: 426000\n", env: map[string]string{"MARKD_COUNTER": " 1"},
			want: `environment MARKD_COUNTER: counter = " 1": must not begin or end with a space`},
		{name: "counter too long", body: "office: 426000\ncounter: " + strings.Repeat("x", MaxCounterLen+1) + "\n",
			want: `must be at most 128 bytes (the collector refuses a longer one)`},
		{name: "bad office, its variable empty", body: "office: 1234567\n", env: map[string]string{"MARKD_OFFICE": ""},
			want: `markd.yaml:1: office = 1234567: must be`}, // named "environment MARKD_OFFICE", which viper reads as unset
		{name: "dotted key on one line", body: "office: 426000\nsync.url: https://hub.example\n", // was: unknown key "sync.url" (did you mean sync?)
			want: `markd.yaml:2: key "sync.url" written on one line: YAML reads a key with a dot as one name, and there is no such key; write it as a section: "sync:" and below it, indented, "url: …"`},
		{name: "two sources of one name", body: "office: 426000\nsources:\n  - kind: serial\n    name: front\n    port: /dev/ttyS0\n  - kind: serial\n    name: front\n    port: /dev/ttyS1\n",
			want: `markd.yaml:7: sources[1].name = "front": sources[0] has this name too: give each source its own name`}, // /metrics answered 500
		{name: "a name another source has by default", body: "office: 426000\nsources:\n  - kind: serial\n    name: serial1\n    port: /dev/ttyS0\n  - kind: serial\n    port: /dev/ttyS1\n",
			want: `markd.yaml:6: sources[1].name = "serial1": sources[0] has this name too`},
		{name: "host with a space from env", body: "office: 426000\n", env: map[string]string{"MARKD_HTTP_HOSTS": "a.local, b.local"},
			want: `environment MARKD_HTTP_HOSTS: http.hosts = " b.local": each must be a host name`}, // b.local was refused 421
		{name: "negative connection cap", body: "office: 426000\nhttp:\n  max_conns_per_addr: -1\n",
			want: `markd.yaml:3: http.max_conns_per_addr = -1: must be 0 (no cap) or open connections per address up to 1000000`},
		{name: "connection cap from env", body: "office: 426000\n", env: map[string]string{"MARKD_HTTP_MAX_CONNS_PER_ADDR": "2000000"},
			want: `environment MARKD_HTTP_MAX_CONNS_PER_ADDR: http.max_conns_per_addr = 2000000: must be 0 (no cap)`},
		{name: "no batch write at once", body: "office: 426000\napi:\n  write_burst: 0\n",
			want: `markd.yaml:3: api.write_burst = 0: must be 1..1000000 batch writes`},
		{name: "write limit from env", body: "office: 426000\n", env: map[string]string{"MARKD_API_WRITE_LIMIT": "-1"},
			want: `environment MARKD_API_WRITE_LIMIT: api.write_limit = -1: must be 0 (no limit)`},
		{name: "host with a port", body: "office: 426000\nhttp:\n  hosts: [kassa-1:8080]\n",
			want: `markd.yaml:3: http.hosts = "kassa-1:8080": each must be a host name`},
		{name: "empty file", body: "", want: `config file markd.yaml is empty (no key set)`},
		{name: "comments only", body: "# office: 426000\n\n", want: `config file markd.yaml is empty (no key set)`},
		{name: "document marker only", body: "---\n", want: `config file markd.yaml is empty (no key set)`},
		{name: "a list, not keys", body: "- office: 426000\n", want: `markd.yaml:1: not a config: the file must be keys and their values (office: 426000), not a list`},
		{name: "text, not keys", body: "office 426000\n", want: `markd.yaml:1: not a config: the file must be keys and their values (office: 426000), not the text "office 426000"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, file, err := loadWith(t, tt.body, tt.env)
			wantInvalid(t, err, file, tt.want)
		})
	}
}

// TestLoadHolds: what the config audit found right and no test held:
// keys in any case, flag over environment over file, a list from the
// environment, Windows line ends with a byte order mark, a duration of 0
// without unit, a counter quoted or with inner spaces, a whole number
// written as 426000.0, an environment variable of a key only the defaults
// know.
func TestLoadHolds(t *testing.T) {
	tests := []struct {
		name, body string
		env        map[string]string
		flags      []string
		check      func(Config) bool
	}{
		{name: "keys in any case", body: "Office: 426000\nHTTP:\n  Listen: 127.0.0.1:9001\nSync:\n  Batch_Size: 7\n",
			check: func(c Config) bool {
				return c.Office == 426000 && c.HTTP.Listen == "127.0.0.1:9001" && c.Sync.BatchSize == 7
			}},
		{name: "flag over environment over file", body: "office: 426000\ncounter: A\n",
			env: map[string]string{"MARKD_OFFICE": "426001", "MARKD_COUNTER": "B"}, flags: []string{"--office=426002"},
			check: func(c Config) bool { return c.Office == 426002 && c.Counter == "B" }},
		{name: "nested keys from the environment", body: "office: 426000\n",
			env: map[string]string{"MARKD_SYNC_MAX_BACKOFF": "2m", "MARKD_WEB_LOGIN_LIMIT": "9", "MARKD_SCALE_PORT": "/dev/ttyS0"},
			check: func(c Config) bool {
				return c.Sync.MaxBackoff == 2*time.Minute && c.Web.LoginLimit == 9 && c.Scale.Port == "/dev/ttyS0"
			}},
		{name: "the account limit by default", body: "office: 426000\n",
			check: func(c Config) bool { return c.Web.LoginAccountLimit == 10 }},
		{name: "the account limit from the file", body: "office: 426000\nweb:\n  login_account_limit: 4\n",
			check: func(c Config) bool { return c.Web.LoginAccountLimit == 4 }},
		{name: "the account limit from the environment", body: "office: 426000\nweb:\n  login_account_limit: 4\n",
			env:   map[string]string{"MARKD_WEB_LOGIN_ACCOUNT_LIMIT": "25"},
			check: func(c Config) bool { return c.Web.LoginAccountLimit == 25 }},
		{name: "a list from the environment", body: "office: 426000\nhttp:\n  hosts: [x.local]\n",
			env:   map[string]string{"MARKD_HTTP_HOSTS": "a.local,b.local"},
			check: func(c Config) bool { return strings.Join(c.HTTP.Hosts, " ") == "a.local b.local" }},
		{name: "CRLF with a byte order mark", body: "\ufeffoffice: 426000\r\ncounter: A\r\nhttp:\r\n  listen: 127.0.0.1:9002\r\n",
			check: func(c Config) bool {
				return c.Office == 426000 && c.Counter == "A" && c.HTTP.Listen == "127.0.0.1:9002"
			}},
		{name: "zero duration without unit", body: "office: 426000\nrescan_window: 0\nsync:\n  freshness_hard: 0\n",
			check: func(c Config) bool { return c.RescanWindow == 0 && c.Sync.FreshnessHard == 0 }},
		{name: "quoted counter with a leading 0", body: "office: 426000\ncounter: \"012\"\n",
			check: func(c Config) bool { return c.Counter == "012" }},
		{name: "counter as a plain number", body: "office: 426000\ncounter: 12\n",
			check: func(c Config) bool { return c.Counter == "12" }},
		{name: "counter with an inner space", body: "office: 426000\ncounter: Окно 1\n",
			check: func(c Config) bool { return c.Counter == "Окно 1" }},
		{name: "whole number with .0", body: "office: 426000.0\n",
			check: func(c Config) bool { return c.Office == 426000 }},
		{name: "two sources without names", body: "office: 426000\nsources:\n  - kind: serial\n    port: /dev/ttyS0\n  - kind: serial\n    port: /dev/ttyS1\n",
			check: func(c Config) bool { return c.SourceName(0) == "serial0" && c.SourceName(1) == "serial1" }},
		{name: "port 0", body: "office: 426000\nhttp:\n  listen: 127.0.0.1:0\n",
			check: func(c Config) bool { return c.HTTP.Listen == "127.0.0.1:0" }},
		{name: "duration from a flag", body: "office: 426000\nrescan_window: 5m\n", env: map[string]string{"MARKD_RESCAN_WINDOW": "7m"},
			flags: []string{"--rescan-window=2m"},
			check: func(c Config) bool { return c.RescanWindow == 2*time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := loadWith(t, tt.body, tt.env, tt.flags...)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("config read as %+v", c)
			}
		})
	}
}

// TestLoadFileNotReadable: a config that is a folder, or YAML with a tab
// in its indentation, is refused naming the file (and the line).
func TestLoadFileNotReadable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, nil); err == nil || !strings.Contains(err.Error(), "config file "+dir) {
		t.Fatalf("a folder as config: %v", err)
	}
	_, file, err := loadWith(t, "office: 426000\n\tcounter: A\n", nil)
	if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), file+": not valid YAML") || !strings.Contains(err.Error(), "line 2: found a tab") {
		t.Fatalf("a tab: %v", err)
	}
}

// TestEmptyEnvWarned: a key's variable set but empty sets nothing (viper
// reads it as unset); when the key has a value from the file or the
// default, a warning names it and where the value that applies came from.
// One whose key is empty all the same is what was meant: no warning.
func TestEmptyEnvWarned(t *testing.T) {
	t.Setenv("MARKD_REVOKED", "")
	t.Setenv("MARKD_SYNC_URL", "")
	t.Setenv("MARKD_RESCAN_WINDOW", "")
	file := writeFile(t, "office: 426000\nrevoked: /etc/markd/revoked.txt\n")
	c, warnings, err := LoadWarn(file, nil)
	if err != nil || c.Revoked != "/etc/markd/revoked.txt" {
		t.Fatalf("revoked %q, err %v", c.Revoked, err)
	}
	want := []string{
		`environment MARKD_RESCAN_WINDOW is set but empty, which sets nothing: rescan_window = 10m0s (the default) applies; unset the variable, or give it a value`,
		`environment MARKD_REVOKED is set but empty, which sets nothing: revoked = "/etc/markd/revoked.txt" (` + file + `:2) applies; unset the variable, or give it a value`,
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings\n  %s\nwant\n  %s", strings.Join(warnings, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestNameOrigin: a refusal made after Load (markd run's checks) is named
// with where its key's value came from, as Load names its own: the flag,
// the environment variable, the file's line; nothing for a default.
func TestNameOrigin(t *testing.T) {
	file := writeFile(t, "office: 426000\nhttp:\n  listen: 0.0.0.0:8080\n")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("db", "", "")
	if err := fs.Parse([]string{"--db=/tmp/x.db"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARKD_COUNTER", "B")
	for key, want := range map[string]string{"http.listen": file + ":3", "db": "flag --db", "counter": "environment MARKD_COUNTER", "tz": ""} {
		err := NameOrigin(fmt.Errorf("start: %w", &KeyError{Key: key, Value: "v", Why: "no"}), file, fs)
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Origin != want {
			t.Errorf("%s: %v, want origin %q", key, err, want)
		}
	}
}

// wantInvalid holds a Load of file to failing with mark.ErrInvalid and a
// message that says want, file named as markd.yaml.
func wantInvalid(t *testing.T, err error, file, want string) {
	t.Helper()
	if !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	msg := strings.ReplaceAll(err.Error(), file, "markd.yaml")
	if !strings.Contains(msg, want) {
		t.Fatalf("error\n  %s\ndoes not say\n  %s", msg, want)
	}
}
