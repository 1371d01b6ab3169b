package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"markd/bundle"
	"markd/hub"
	"markd/hub/hubweb"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/mark"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExampleConfigLoads(t *testing.T) {
	a := &app{configFile: filepath.Join("..", "..", "configs", "markhub.yaml")}
	c, err := a.loadConfig(newServeCmd(a).Flags())
	if err != nil {
		t.Fatal(err)
	}
	if c.DBDriver != "sqlite" || c.Listen != "127.0.0.1:8090" || c.ShutdownTimeout.Seconds() != 10 || c.SessionTTL != 8*time.Hour {
		t.Fatalf("config = %+v", c)
	}
}

func TestConfigLayers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "h.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:9000\ndb: /tmp/x.db\nlog:\n  level: warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARKHUB_LOG_LEVEL", "debug")
	a := &app{configFile: file}
	cmd := newServeCmd(a)
	if err := cmd.Flags().Parse([]string{"--db", "/tmp/y.db"}); err != nil {
		t.Fatal(err)
	}
	c, err := a.loadConfig(cmd.Flags())
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9000" || c.DB != "/tmp/y.db" || c.Log.Level != "debug" {
		t.Fatalf("layers wrong: %+v", c)
	}
}

// TestSessionTTLFollowsShortLifetime: a config that sets session_lifetime
// below 8 h and leaves session_ttl out (one written before session_ttl
// was a key) loads, its idle limit the lifetime; it was refused at load
// ("session_ttl = 8h0m0s: … no longer than session_lifetime (4h0m0s)"),
// so markhub serve would not start after the upgrade. Set in the file, a
// session_ttl past the lifetime is refused (TestConfigErrors).
func TestSessionTTLFollowsShortLifetime(t *testing.T) {
	file := filepath.Join(t.TempDir(), "h.yaml")
	if err := os.WriteFile(file, []byte("db: /tmp/x.db\nsession_lifetime: 4h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &app{configFile: file}
	c, err := a.loadConfig(newServeCmd(a).Flags())
	if err != nil || c.SessionTTL != 4*time.Hour {
		t.Fatalf("session_lifetime 4h, no session_ttl: %v, session_ttl %v, want 4h", err, c.SessionTTL)
	}
}

// TestConfigOfficeZones: office_zone and office_zones load from the file
// (prefixes as numbers or in quotes, one alone as it is) and reach
// hub.OfficeZones: each office's zone by its longest prefix, the others
// office_zone's.
func TestConfigOfficeZones(t *testing.T) {
	file := filepath.Join(t.TempDir(), "h.yaml")
	yaml := "db: /tmp/x.db\noffice_zone: Europe/Moscow\noffice_zones:\n" +
		"  - zone: Europe/Samara\n    offices: [426, \"443\"]\n" +
		"  - zone: Asia/Yekaterinburg\n    offices: 62\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &app{configFile: file}
	c, err := a.loadConfig(newServeCmd(a).Flags())
	if err != nil {
		t.Fatal(err)
	}
	z, err := c.Zones()
	if err != nil {
		t.Fatal(err)
	}
	for office, want := range map[uint32]string{426000: "Europe/Samara", 443001: "Europe/Samara", 620000: "Asia/Yekaterinburg", 101000: "Europe/Moscow"} {
		if loc := z.Of(office); loc == nil || loc.String() != want {
			t.Errorf("office %06d: zone %v, want %s", office, loc, want)
		}
	}
}

// TestConfigErrors: a bad config names where the value came from (file
// and line, environment variable), the key, and for a typo the key meant,
// as markd's config does; each exits 2.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, yaml string
		env        [2]string
		want       string
	}{
		{"typo", "db: x.db\nlistn: 127.0.0.1:1\n", [2]string{}, `h.yaml:2: unknown key "listn" (did you mean listen?); configs/markhub.yaml (markhub.yaml beside markhub in the tarball) lists every key`},
		{"nested typo", "db: x.db\nlog:\n  levl: warn\n", [2]string{}, `h.yaml:3: unknown key "log.levl" (did you mean log.level?)`},
		{"wrong type", "db: x.db\nretention_months: many\n", [2]string{}, `h.yaml:2: retention_months = "many": must be a whole number`},
		// YAML reads 0426 as the octal number 278: the prefix "278"
		{"office prefix octal", "db: x.db\noffice_zones:\n  - zone: Europe/Samara\n    offices: [\"443\", 0426]\n", [2]string{}, `h.yaml:4: office_zones[0].offices[1] = "0426": YAML reads it as 278, which would be the text "278": put it in quotes ("0426")`},
		{"office prefix octal alone", "db: x.db\noffice_zones:\n  - zone: Europe/Samara\n    offices: 0426\n", [2]string{}, `h.yaml:4: office_zones[0].offices = "0426": YAML reads it as 278`},
		{"bad environment", "db: x.db\n", [2]string{"MARKHUB_DB_TIMEOUT", "5minutes"}, `environment MARKHUB_DB_TIMEOUT: db_timeout = "5minutes": must be a duration`},
		{"missing file", "", [2]string{}, "nothere.yaml does not exist"},
		// values that decode but are not allowed: named where they came from too
		{"listen off loopback", "db: x.db\nlisten: 0.0.0.0:8443\n", [2]string{}, `h.yaml:2: listen = "0.0.0.0:8443": plain http is allowed only on loopback`},
		{"bad log level", "db: x.db\nlog:\n  level: loud\n", [2]string{}, `h.yaml:3: log.level = "loud": must be debug, info, warn or error`},
		{"bad driver in environment", "db: x.db\n", [2]string{"MARKHUB_DB_DRIVER", "mysql"}, `environment MARKHUB_DB_DRIVER: db_driver = "mysql": must be sqlite or postgres`},
		{"negative timeout", "db: x.db\ndb_timeout: -1s\n", [2]string{}, `h.yaml:2: db_timeout = -1s: must be a positive duration`},
		{"session_ttl zero", "db: x.db\nsession_ttl: 0s\n", [2]string{}, `h.yaml:2: session_ttl = 0s: must be a positive duration no longer than session_lifetime (12h0m0s)`},
		{"session_ttl negative", "db: x.db\nsession_ttl: -1h\n", [2]string{}, `h.yaml:2: session_ttl = -1h0m0s: must be a positive duration`},
		{"session_ttl past the lifetime", "db: x.db\nsession_lifetime: 4h\nsession_ttl: 5h\n", [2]string{}, `h.yaml:3: session_ttl = 5h0m0s: must be a positive duration no longer than session_lifetime (4h0m0s)`},
		{"session_ttl in environment", "db: x.db\n", [2]string{"MARKHUB_SESSION_TTL", "13h"}, `environment MARKHUB_SESSION_TTL: session_ttl = 13h0m0s: must be a positive duration no longer than session_lifetime (12h0m0s)`},
		{"no failed login of an account", "db: x.db\nlogin_account_limit: 0\n", [2]string{}, `h.yaml:2: login_account_limit = 0: must be a positive number of failed logins a minute`},
		{"account limit in environment", "db: x.db\n", [2]string{"MARKHUB_LOGIN_ACCOUNT_LIMIT", "-3"}, `environment MARKHUB_LOGIN_ACCOUNT_LIMIT: login_account_limit = -3: must be a positive number`},
		{"negative upload rate", "db: x.db\nupload_rate: -1\n", [2]string{}, `h.yaml:2: upload_rate = -1: must be 0 (no limit) or uploads a second per terminal`},
		{"no upload burst", "db: x.db\nupload_burst: 0\n", [2]string{}, `h.yaml:2: upload_burst = 0: must be 1..1000000 uploads`},
		{"negative read rate", "db: x.db\nread_rate: -1\n", [2]string{}, `h.yaml:2: read_rate = -1: must be 0 (no limit) or reads a second per terminal`},
		{"no read burst", "db: x.db\nread_burst: 0\n", [2]string{}, `h.yaml:2: read_burst = 0: must be 1..1000000 reads`},
		{"negative failed-token limit in environment", "db: x.db\n", [2]string{"MARKHUB_AUTH_FAILURES_PER_ADDR", "-1"}, `environment MARKHUB_AUTH_FAILURES_PER_ADDR: auth_failures_per_addr = -1: must be 0 (no limit: behind a proxy)`},
		{"negative connection cap in environment", "db: x.db\n", [2]string{"MARKHUB_MAX_CONNS_PER_ADDR", "-1"}, `environment MARKHUB_MAX_CONNS_PER_ADDR: max_conns_per_addr = -1: must be 0 (no cap: behind a proxy)`},
		{"body rate above the largest body", "db: x.db\nmin_body_rate: 99999999\n", [2]string{}, `h.yaml:2: min_body_rate = 99999999: must be 0 (off) or bytes a second up to 8388608`},
		// the config audit: each of these loaded before (serve then failed at listen with exit 1, or ran on nanoseconds)
		{"port out of range", "db: x.db\nlisten: 127.0.0.1:99999\n", [2]string{}, `h.yaml:2: listen = "127.0.0.1:99999": the port must be 0..65535`},
		{"duration without unit", "db: x.db\nretry_after: 5\n", [2]string{}, `h.yaml:2: retry_after = 5: needs a unit: 5 alone would be 5 nanoseconds`},
		{"fraction of a count", "db: x.db\ndb_max_conns: 16.5\n", [2]string{}, `h.yaml:2: db_max_conns = 16.5: must be a whole number`},
		{"octal in environment", "db: x.db\n", [2]string{"MARKHUB_RETENTION_MONTHS", "012"}, `environment MARKHUB_RETENTION_MONTHS: retention_months = "012": must be a whole number written in decimal: a leading 0 reads as octal`},
		{"empty file", "# nothing yet\n", [2]string{}, `h.yaml is empty (no key set)`},
		// the offices' time zones: a name the tz database lacks (Go's, in the binary on every OS)
		{"unknown office zone", "db: x.db\noffice_zone: Europe/Moskow\n", [2]string{}, `h.yaml:2: office_zone = "Europe/Moskow": no such time zone`},
		{"office zone in environment", "db: x.db\n", [2]string{"MARKHUB_OFFICE_ZONE", "Local"}, `environment MARKHUB_OFFICE_ZONE: office_zone = "Local": must be a time zone name`},
		{"unknown zone of an entry", "db: x.db\noffice_zones:\n  - zone: Europe/Samara\n    offices: [426]\n  - zone: Asia/Yekaterinbrug\n    offices: [62]\n", [2]string{},
			`h.yaml:5: office_zones[1].zone = "Asia/Yekaterinbrug": no such time zone`},
		{"no postal index prefix", "db: x.db\noffice_zones:\n  - zone: Europe/Samara\n    offices: [426, 4260001]\n", [2]string{},
			`h.yaml:4: office_zones[0].offices = "4260001": must be the first 1 to 6 digits of a postal index`},
		{"unknown key of an entry", "db: x.db\noffice_zones:\n  - zone: Europe/Samara\n    office: [426]\n", [2]string{},
			`h.yaml:4: unknown key "office_zones[0].office" (did you mean offices?)`},
		{"dotted key", "db: x.db\nlog.level: debug\n", [2]string{}, `h.yaml:2: key "log.level" written on one line`}, // was: unknown key "log.level", a key markhub has
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, "nothere.yaml")
			if tt.yaml != "" {
				file = filepath.Join(dir, "h.yaml")
				if err := os.WriteFile(file, []byte(tt.yaml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tt.env[0] != "" {
				t.Setenv(tt.env[0], tt.env[1])
			}
			code, _, errOut := runCmd(t, "terminal", "list", "--config", file)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("code %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	key := filepath.Join(dir, "dist.key")
	td := testdata.Dir(t)
	rev := filepath.Join(dir, "revoked.txt")
	if err := os.WriteFile(rev, []byte("# version: r7\n12345\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, err := os.ReadFile(filepath.Join(td, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	weakRing := filepath.Join(dir, "weak-keyring.yaml") // the identity point as key 9: anyone can sign for it
	if err := os.WriteFile(weakRing, append(ring, "  - {id: 9, alg: ed25519, public: AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, valid_from: 2025-01-01, valid_until: 2030-12-31}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	var pub string
	var tokens []string // office-1's: from terminal add, then terminal token
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string
	}{
		{"keys new", []string{"keys", "new", "--out", key}, 0, "", ""},
		{"keys new refuses to overwrite", []string{"keys", "new", "--out", key}, 1, "", "exists"},
		{"terminal add", []string{"terminal", "add", "office-1", "--office", "426000", "--db", db}, 0, "mkt_", ""},
		{"terminal add twice", []string{"terminal", "add", "office-1", "--office", "426000", "--db", db}, 1, "", "already exists"},
		{"terminal bad name", []string{"terminal", "add", "a b", "--office", "426000", "--db", db}, 2, "", "terminal name"},
		{"user Cyrillic name", []string{"user", "add", "Иван", "--db", db}, 2, "", `user name "Иван": use 1-128 Latin letters`},
		{"terminal without office", []string{"terminal", "add", "office-3", "--db", db}, 2, "", "--office N is required"},
		{"cert-only terminal without office", []string{"terminal", "add", "office-3", "--cert-only", "--db", db}, 2, "", "--office N is required"},
		{"terminal set without office", []string{"terminal", "set", "office-1", "--db", db}, 2, "", "--office N is required"},
		{"terminal office not an index", []string{"terminal", "add", "office-3", "--office", "1234567", "--db", db}, 2, "", "postal index"},
		// pflag read 0426000 as octal: office 142336, a 6-digit index, registered
		{"terminal office with a leading 0", []string{"terminal", "add", "office-3", "--office", "0426000", "--db", db}, 2, "", `invalid argument "0426000" for "--office" flag: "0426000": write the number in decimal without a leading 0`},
		{"terminal set office in hex", []string{"terminal", "set", "office-1", "--office", "0x68010", "--db", db}, 2, "", `"0x68010": write the number in decimal`},
		{"terminal cert only", []string{"terminal", "add", "office-2", "--office", "101000", "--cert-only", "--db", db}, 0, "client certificate", ""},
		{"terminal set", []string{"terminal", "set", "office-2", "--office", "190000", "--db", db}, 0, "office 190000", ""},
		{"terminal set unknown", []string{"terminal", "set", "ghost", "--office", "190000", "--db", db}, 1, "", "ghost"},
		{"terminal list", []string{"terminal", "list", "--db", db}, 0, "office-2                       190000   certificate", ""},
		{"terminal token", []string{"terminal", "token", "office-1", "--db", db}, 0, "mkt_", ""},
		{"terminal token unknown", []string{"terminal", "token", "ghost", "--db", db}, 1, "", "ghost"},
		{"terminal token of a certificate", []string{"terminal", "token", "office-2", "--db", db}, 2, "", "markhub terminal revoke office-2"},
		{"terminal revoke", []string{"terminal", "revoke", "office-2", "--db", db}, 0, "terminal office-2 revoked", ""},
		{"terminal revoke unknown", []string{"terminal", "revoke", "ghost", "--db", db}, 1, "", "ghost"},
		{"terminal list revoked", []string{"terminal", "list", "--db", db}, 0, "office-2                       190000   revoked", ""},
		{"terminal list waiting", []string{"terminal", "list", "--db", db}, 0, "never                     unknown", ""},
		// the first bundle has no lists to carry over: the flags are named
		// (it said "bundle 1 keyring: keyring : invalid: empty file")
		{"publish first without lists", []string{"bundle", "publish", "--db", db, "--key", key}, 2, "",
			"no bundle is published yet to carry lists over from: the first needs --keyring FILE and --tariffs FILE (missing: --keyring, --tariffs)"},
		{"publish first without tariffs", []string{"bundle", "publish", "--db", db, "--key", key, "--keyring", filepath.Join(td, "keyring.yaml")}, 2, "",
			"(missing: --tariffs)"},
		{"publish", []string{"bundle", "publish", "--db", db, "--key", key, "--keyring", filepath.Join(td, "keyring.yaml"),
			"--tariffs", filepath.Join(td, "tariffs.yaml")}, 0, "published bundle 1", ""},
		{"publish revocations only", []string{"bundle", "publish", "--db", db, "--key", key, "--revoked", rev}, 0, "revocations r7", ""},
		{"publish older version", []string{"bundle", "publish", "--db", db, "--key", key, "--version", "2"}, 1, "", "not above"},
		{"publish broken tariffs", []string{"bundle", "publish", "--db", db, "--key", key, "--tariffs", rev}, 2, "", "tariffs"},
		{"publish a keyring with a weak key", []string{"bundle", "publish", "--db", db, "--key", key, "--keyring", weakRing}, 2, "",
			"bundle 3 not published: a counter would verify no mark under this key of its keyring: keyring weak-keyring.yaml: keys[4] (id 9): public \"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\" distrusted, no signature verifies under it: weak or invalid Ed25519 public key: a point of small order 1"},
		{"publish without key", []string{"bundle", "publish", "--db", db, "--key", filepath.Join(dir, "nope")}, 2, "", "distribution key"},
		{"unknown flag", []string{"serve", "--nope"}, 2, "", "unknown flag"},
		{"unknown command", []string{"frob"}, 2, "", `unknown command "frob"`},
		{"unknown subcommand", []string{"terminal", "ad", "office-9"}, 2, "", `did you mean add?`},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
			t.Fatalf("%s: code %d out %q err %q", tt.name, code, out, errOut)
		}
		if tt.name == "keys new" {
			pub = strings.TrimSpace(out)
		}
		if strings.HasPrefix(tt.name, "terminal add") || tt.name == "terminal token" {
			tokens = append(tokens, strings.TrimSpace(out))
		}
	}
	// The published bundle opens with the printed public key and carries
	// the revocations over with the lists of bundle 1.
	s, err := sqlitestore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The new token is office-1's; the one terminal add printed is no
	// one's any more.
	if len(tokens) != 3 || tokens[1] != "" || tokens[0] == tokens[2] {
		t.Fatalf("tokens printed: %q", tokens)
	}
	if _, err := s.TerminalByTokenHash(context.Background(), hub.HashToken(tokens[0])); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("the old token still finds a terminal: %v", err)
	}
	if tm, err := s.TerminalByTokenHash(context.Background(), hub.HashToken(tokens[2])); err != nil || tm.Name != "office-1" || tm.Office != 426000 {
		t.Fatalf("the new token: %+v %v", tm, err)
	}
	v, data, err := s.LatestBundle(context.Background())
	if err != nil || v != 2 {
		t.Fatalf("latest = %d %v", v, err)
	}
	pk, err := bundle.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	c, err := bundle.Open(data, pk)
	if err != nil {
		t.Fatal(err)
	}
	if c.Keyring.Name != "keyring.yaml" || !strings.Contains(string(c.Revocations.Data), "12345") {
		t.Fatalf("bundle 2 = %s / %q", c.Keyring.Name, c.Revocations.Data)
	}
}

// TestServeHelpNamesThePages: markhub serve serves the regional web pages
// on the same port as the counters' API (docs/operations.md); its help
// says so, not "the collector API" alone.
func TestServeHelpNamesThePages(t *testing.T) {
	_, top, _ := runCmd(t, "--help")
	var serveLine string // the serve command in markhub --help's list
	for _, l := range strings.Split(top, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "serve ") {
			serveLine = l
		}
	}
	_, serve, _ := runCmd(t, "serve", "--help")
	for name, help := range map[string]string{"markhub --help": serveLine, "markhub serve --help": serve} {
		if !strings.Contains(help, "regional web pages") {
			t.Errorf("%s does not name the regional web pages:\n%s", name, help)
		}
	}
	if !strings.Contains(serve, "host:port of the API and the regional web pages") {
		t.Errorf("serve --listen does not say the pages are on it too:\n%s", serve)
	}
}

// runCmdIn is runCmd with stdin (a password piped in).
func runCmdIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runIO(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestUserPassword: markhub user password gives an account a new
// password (read from stdin, as user add reads it) and ends its sessions
// at once; there was no way short of removing and adding the account. A
// password out of bounds or an unknown name changes nothing.
func TestUserPassword(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old, _ := hubweb.HashPassword("old-password-1", bcrypt.MinCost)
	for _, u := range []string{"sup", "other"} {
		if err := s.AddUser(ctx, u, old, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, ws := range []hub.WebSession{{Hash: "h1", User: "sup"}, {Hash: "h2", User: "sup"}, {Hash: "h3", User: "other"}} {
		ws.CSRF, ws.Expires, ws.Started = "c", now.Add(time.Hour), now
		if err := s.PutSession(ctx, ws); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if code, _, errOut := runCmdIn(t, "short\n", "user", "password", "sup", "--db", db); code != 2 || !strings.Contains(errOut, "10 to 72 bytes") {
		t.Fatalf("short password: code %d err %q, want 2 naming the bounds", code, errOut)
	}
	if code, _, errOut := runCmdIn(t, "new-password-2\n", "user", "password", "nobody", "--db", db); code != 1 || !strings.Contains(errOut, `user "nobody"`) {
		t.Fatalf("unknown name: code %d err %q, want 1 naming the user", code, errOut)
	}
	code, out, errOut := runCmdIn(t, "new-password-2\n", "user", "password", "sup", "--db", db)
	if code != 0 || !strings.Contains(out, "password of sup changed, 2 sessions ended") {
		t.Fatalf("password: code %d out %q err %q", code, out, errOut)
	}
	if code, out, errOut := runCmdIn(t, "new-password-3\r\n", "user", "passwd", "other", "--db", db); code != 0 || !strings.Contains(out, "password of other changed, 1 session ended") {
		t.Fatalf("passwd (the markd spelling): code %d out %q err %q", code, out, errOut)
	}
	s, err = sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for u, pw := range map[string]string{"sup": "new-password-2", "other": "new-password-3"} {
		h, err := s.PasswordHash(ctx, u)
		if err != nil || bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)) != nil {
			t.Errorf("%s: the stored hash is not of %q (%v)", u, pw, err)
		}
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if _, err := s.GetSession(ctx, h, now, now.Add(time.Hour), now.Add(-time.Hour)); !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("session %s after the new password: %v, want ErrNotFound", h, err)
		}
	}
}

// TestUserDisable: markhub user disable stops an account from logging in
// and ends its sessions at once, keeping the account; enable lets it in
// again with its password; an unknown name exits 1 naming it.
func TestUserDisable(t *testing.T) {
	ctx := context.Background()
	db, now := hubWithSession(t, "away")
	if code, out, errOut := runCmd(t, "user", "disable", "away", "--db", db); code != 0 || !strings.Contains(out, "user away disabled, 1 session ended") {
		t.Fatalf("disable: code %d out %q err %q", code, out, errOut)
	}
	s, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "h", now, now.Add(time.Hour), now.Add(-time.Hour)); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("the disabled account's session: %v, want ErrNotFound", err)
	}
	if _, err := s.PasswordHash(ctx, "away"); !errors.Is(err, hub.ErrUserDisabled) {
		t.Errorf("the disabled account: %v, want ErrUserDisabled", err)
	}
	s.Close()
	if code, out, errOut := runCmd(t, "user", "enable", "away", "--db", db); code != 0 || !strings.Contains(out, "user away enabled") {
		t.Fatalf("enable: code %d out %q err %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "user", "disable", "nobody", "--db", db); code != 1 || !strings.Contains(errOut, `user "nobody"`) {
		t.Fatalf("disable nobody: code %d err %q, want 1 naming the user", code, errOut)
	}
	s, err = sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.PasswordHash(ctx, "away"); err != nil {
		t.Errorf("the enabled account: %v", err)
	}
}

// TestUserRemove: markhub user remove takes an account away and ends its
// sessions at once (there was no way short of SQL: a supervisor who left
// kept their login and their open browser for ever).
func TestUserRemove(t *testing.T) {
	ctx := context.Background()
	db, now := hubWithSession(t, "left-us")
	if code, out, errOut := runCmd(t, "user", "remove", "left-us", "--db", db); code != 0 || !strings.Contains(out, "user left-us removed, 1 session ended") {
		t.Fatalf("remove: code %d out %q err %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "user", "remove", "left-us", "--db", db); code != 1 || !strings.Contains(errOut, `user "left-us"`) {
		t.Fatalf("remove again: code %d err %q, want 1 naming the user", code, errOut)
	}
	s, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetSession(ctx, "h", now, now.Add(time.Hour), now.Add(-time.Hour)); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("the removed account's session: %v, want ErrNotFound", err)
	}
}

// hubWithSession makes a markhub store (SQLite) holding the account name
// with one open session, hash "h", and returns its file and the time
// the session started.
func hubWithSession(t *testing.T, name string) (db string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	db = filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now = time.Now()
	if err := s.AddUser(ctx, name, "$2a$10$x", now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSession(ctx, hub.WebSession{Hash: "h", User: name, CSRF: "c", Expires: now.Add(time.Hour), Started: now}); err != nil {
		t.Fatal(err)
	}
	return db, now
}

// TestExampleConfigIsDefault: configs/markhub.yaml, the file an unknown
// key's error points to (installed by the .deb and the tarball), sets every key of markhub's config (none left
// to be guessed) to its built-in default (a key added to hub.Config and
// not to the example, or a default changed in one place only, fails).
func TestExampleConfigIsDefault(t *testing.T) {
	example := filepath.Join("..", "..", "configs", "markhub.yaml")
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			set[prefix+k] = true
		}
	}
	walk("", doc)
	var keys func(prefix string, typ reflect.Type)
	keys = func(prefix string, typ reflect.Type) {
		for f := range typ.Fields() {
			tag := f.Tag.Get("mapstructure")
			if f.Type.Kind() == reflect.Struct {
				keys(prefix+tag+".", f.Type)
				continue
			}
			if !set[prefix+tag] {
				t.Errorf("configs/markhub.yaml does not set %s", prefix+tag)
			}
		}
	}
	keys("", reflect.TypeFor[hub.Config]())
	for _, env := range os.Environ() { // the example as it reads, whatever the test's environment
		if name, _, _ := strings.Cut(env, "="); strings.HasPrefix(name, "MARKHUB_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	a := &app{configFile: example}
	c, err := a.loadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := hub.DefaultConfig(); !reflect.DeepEqual(c, d) {
		t.Errorf("configs/markhub.yaml differs from the defaults:\n example %+v\n default %+v", c, d)
	}
}
