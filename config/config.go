// Package config loads markd's configuration with spf13/viper: built-in
// defaults, then the YAML file, then MARKD_* environment variables, then
// command-line flags, then Validate, which names the bad key and value.
// Nothing outside this package and cmd/ sees viper or YAML.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"markd/internal/cli"
	"markd/internal/zones"
	"markd/mark"
)

// EnvPrefix is the prefix of environment variables: MARKD_HTTP_LISTEN sets http.listen.
const EnvPrefix = "MARKD"

// Config is the whole configuration of the counter daemon.
type Config struct {
	Office       uint32        `mapstructure:"office"`              // postal index of this office
	Counter      string        `mapstructure:"counter"`             // id of this counter (workstation)
	TZ           string        `mapstructure:"tz"`                  // office time zone, for calendar days
	ZoneData     string        `mapstructure:"zone_data"`           // embedded or system: the zone data tz is loaded from
	Keyring      string        `mapstructure:"keyring" path:"file"` // issuer keyring file
	Tariffs      string        `mapstructure:"tariffs" path:"file"` // tariff table file
	Revoked      string        `mapstructure:"revoked" path:"file"` // revocation list file ("" = none)
	DB           string        `mapstructure:"db" path:"file"`      // SQLite store file
	RescanWindow time.Duration `mapstructure:"rescan_window"`       // same text at same counter = DUPLICATE_SCAN
	Log          LogConfig     `mapstructure:"log"`
	HTTP         HTTPConfig    `mapstructure:"http"`
	Sources      []Source      `mapstructure:"sources"`
	Sync         SyncConfig    `mapstructure:"sync"`
	Web          WebConfig     `mapstructure:"web"`
	API          APIConfig     `mapstructure:"api"`
	Batch        BatchConfig   `mapstructure:"batch"`
	Scale        ScaleConfig   `mapstructure:"scale"`
}

// LogConfig selects the slog handler.
type LogConfig struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// HTTPConfig is the daemon's HTTP server.
type HTTPConfig struct {
	Listen  string `mapstructure:"listen"`               // host:port; loopback unless TLS is set
	TLSCert string `mapstructure:"tls_cert" path:"file"` // PEM certificate, required off loopback
	TLSKey  string `mapstructure:"tls_key" path:"file"`
	// Hosts are the names the pages and API answer to besides IP addresses,
	// localhost and the listen host; a request for any other Host header is
	// refused (421), so a page whose name points at this counter (DNS
	// rebinding) cannot read it.
	Hosts []string `mapstructure:"hosts"`
	// MaxConnsPerAddr caps the connections one remote IP address holds
	// open at once (the next is closed at accept); 0 = no cap.
	MaxConnsPerAddr int `mapstructure:"max_conns_per_addr"`
}

// DefaultMaxConnsPerAddr is http.max_conns_per_addr. On loopback every
// local client shares 127.0.0.1: the operator screen's browser (at most 6
// connections to a server over HTTP/1.1, its live stream among them; one
// over HTTP/2), the cash-desk program (one or a few, a /events stream),
// the monitoring agent. 64 is far above them together, as the
// collector's max_conns_per_addr, and still bounds what one host on the
// office LAN holds open with slow or idle connections.
const DefaultMaxConnsPerAddr = 64

// Default returns the built-in defaults. The files are in /etc/markd and
// /var/lib/markd, on Windows in %ProgramData%\markd (paths_*.go).
func Default() Config {
	return Config{
		TZ:           "Europe/Moscow",
		ZoneData:     zones.Embedded,
		Counter:      "1",
		Keyring:      join(listDir(), "keyring.yaml"),
		Tariffs:      join(listDir(), "tariffs.yaml"),
		DB:           join(dataDir(), "markd.db"),
		RescanWindow: 10 * time.Minute,
		Log:          LogConfig{Level: "info", Format: "text"},
		HTTP:         HTTPConfig{Listen: "127.0.0.1:8080", MaxConnsPerAddr: DefaultMaxConnsPerAddr},
		Sync:         defaultSync(),
		Web:          defaultWeb(),
		API:          APIConfig{WriteLimit: DefaultWriteLimit, WriteBurst: DefaultWriteBurst},
		Scale:        defaultScale(),
	}
}

// Load reads the configuration. file may be "" (defaults and env only);
// flags, when non-nil, override keys named by their flag names after
// replacing '-' with '_' (flag "rescan-window" sets key "rescan_window");
// only flags the user set are applied.
func Load(file string, flags *pflag.FlagSet) (Config, error) {
	c, _, err := LoadWarn(file, flags)
	return c, err
}

// LoadWarn is Load that also says what of the configuration loads but
// does not do what was likely meant, one sentence each, for the caller to
// log at WARN: a MARKD_* variable that is not a key's (a typo such as
// MARKD_SYNC_TOKNE) nor one markd reads otherwise (OtherEnv), a LOG_LEVEL
// that is no level, a web.session_ttl longer than web.session_lifetime.
// Such a thing is not refused: a service must still start.
func LoadWarn(file string, flags *pflag.FlagSet) (Config, []string, error) {
	var c Config
	from, err := decode(file, EnvPrefix, exampleConfig(), flags, Default(), &c)
	if err != nil {
		return Config{}, nil, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, nil, from.name(err)
	}
	warnings := from.warnings
	if w := c.Web; w.SessionTTL > w.SessionLifetime {
		// Refused, a counter upgraded with such a config would stop (78).
		warnings = append(warnings, fmt.Sprintf("web.session_ttl = %v (%s) is longer than web.session_lifetime = %v (%s): "+
			"a login ends at its lifetime first, so the idle limit never applies; set web.session_ttl below web.session_lifetime",
			w.SessionTTL, from.ofOrDefault("web.session_ttl"), w.SessionLifetime, from.ofOrDefault("web.session_lifetime")))
	}
	return c, warnings, nil
}

// Read is Load without Validate: the config as the file, the environment
// and flags give it, with a value Validate would refuse. For markd
// reload, which needs only db to find the daemon, whose own reading (with
// its own environment) decides.
func Read(file string, flags *pflag.FlagSet) (Config, error) {
	var c Config
	if _, err := decode(file, EnvPrefix, exampleConfig(), flags, Default(), &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Decode reads the configuration of another program (markhub) as Load
// reads markd's, with the same errors (file:line, "did you mean",
// environment variable or flag): defaults (a struct with mapstructure
// tags), then file, then envPrefix_* variables, then the flags the user
// set, into out (a pointer to a struct of the defaults' type). example
// names the file that lists every key. validate (nil = none) checks out
// then, given where a key's value came from ("" = the default): a
// *KeyError or *cli.KeyError it returns is named with where the value of
// its key came from (file:line, environment variable, flag), as Load
// names markd's; its other errors are returned as they are. Decode
// returns the warnings LoadWarn gives of the environment (an envPrefix_*
// variable that is no key's, a LOG_LEVEL that is no level).
func Decode(file, envPrefix, example string, flags *pflag.FlagSet, defaults, out any, validate func(origin func(key string) string) error) ([]string, error) {
	from, err := decode(file, envPrefix, example, flags, defaults, out)
	if err != nil {
		return nil, err
	}
	if validate != nil {
		if err := from.name(validate(from.of)); err != nil {
			return nil, err
		}
	}
	return from.warnings, nil
}

func decode(file, envPrefix, example string, flags *pflag.FlagSet, defaults, out any) (origins, error) {
	v := viper.New()
	SetDefaults(v, defaults)
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	known := schemaOf(reflect.TypeOf(defaults))
	var pos positions
	if file != "" {
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			return origins{}, fmt.Errorf("config file %s does not exist: %w", file, mark.ErrNotFound)
		}
		if err != nil {
			return origins{}, fmt.Errorf("config file %s: %w", file, err)
		}
		if pos, err = readPositions(file, example, data, known); err != nil {
			return origins{}, err
		}
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return origins{}, fmt.Errorf("config file %s: %w: %v", file, mark.ErrInvalid, err)
		}
	}
	if flags != nil {
		var bindErr error
		flags.Visit(func(f *pflag.Flag) {
			key := strings.ReplaceAll(f.Name, "-", "_")
			if v.IsSet(key) || hasKey(v, key) {
				if err := v.BindPFlag(key, f); err != nil && bindErr == nil {
					bindErr = err
				}
			}
		})
		if bindErr != nil {
			return origins{}, fmt.Errorf("flags: %w", bindErr)
		}
	}
	from := newOrigins(file, envPrefix, pos, flags)
	from.warnings = envWarnings(envPrefix, known, os.Environ())
	from.warnings = append(from.warnings, emptyEnvWarnings(envPrefix, known, v.Get, from)...)
	if cwd, err := os.Getwd(); err == nil && file != "" {
		from.warnings = append(from.warnings, relativeWarnings(v, known, from, "", cwd)...)
	}
	if err := checkTypes(v, known, from); err != nil {
		return origins{}, err
	}
	err := v.Unmarshal(out, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		)
	})
	if err != nil { // checkTypes and the file walk name the key first; this is a backstop
		return origins{}, fmt.Errorf("configuration: %w: %v", mark.ErrInvalid, err)
	}
	if env, ok := cli.EnvLevel(); !ok {
		from.warnings = append(from.warnings, levelEnvWarning(env, v.GetString("log.level"), from.ofOrDefault("log.level")))
	}
	return from, nil
}

func hasKey(v *viper.Viper, key string) bool {
	for _, k := range v.AllKeys() {
		if k == key {
			return true
		}
	}
	return false
}

// SetDefaults registers every leaf key of the struct defaults (named by its
// mapstructure tags) as a viper default, so viper knows the key and
// environment variables reach Unmarshal for it. cmd/markhub loads its
// config with it too.
func SetDefaults(v *viper.Viper, defaults any) { setDefaults(v, "", reflect.ValueOf(defaults)) }

func setDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		fv := val.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			setDefaults(v, key, fv)
			continue
		}
		v.SetDefault(key, fv.Interface())
	}
}

// Location returns the office time zone, from the zone data of
// zone_data (ZoneData).
func (c Config) Location() (*time.Location, error) {
	data, err := c.ZoneSet()
	if err != nil {
		return nil, err
	}
	loc, err := data.Load(c.TZ)
	if err != nil {
		return nil, fmt.Errorf("config tz %q: %w: %v", c.TZ, mark.ErrInvalid, err)
	}
	return loc, nil
}

// ZoneSet is the zone data of zone_data: embedded (inside markd, the
// default) or system (the machine's zone files).
func (c Config) ZoneSet() (*zones.Data, error) {
	data, err := zones.Named(c.ZoneData)
	if err != nil {
		return nil, fmt.Errorf("config zone_data: %w: %v", mark.ErrInvalid, err)
	}
	return data, nil
}

// sourceKey is the key of a field of the i-th source entry.
func sourceKey(i int, field string) string { return fmt.Sprintf("sources[%d].%s", i, field) }

// Validate checks every key and names the first bad one with its value.
func (c Config) Validate() error {
	bad := invalid
	if c.Office != 0 && !mark.IsPostalIndex(c.Office) {
		return bad("office", c.Office, "must be the office's 6-digit postal index, such as 426000")
	}
	if why := counterWhy(c.Counter); why != "" {
		return bad("counter", c.Counter, why)
	}
	data, err := c.ZoneSet()
	if err != nil {
		return bad("zone_data", c.ZoneData, "must be embedded (the zone data inside markd, the default) or system (the machine's zone files)")
	}
	if _, err := data.Load(c.TZ); errors.Is(err, zones.ErrNoData) {
		return bad("tz", c.TZ, "the system's zone data (zone_data: system) cannot be read: "+err.Error())
	} else if err != nil {
		return bad("tz", c.TZ, "must be a time zone name such as Europe/Moscow or Asia/Vladivostok (no such zone in the "+data.String()+" zone data)")
	}
	if strings.TrimSpace(c.DB) == "" { // every command but a stateless verify opens it; "" made a file ".new" in the working folder
		return bad("db", c.DB, "must name the SQLite store file, such as "+join(dataDir(), "markd.db"))
	}
	if err := checkOSPaths(c); err != nil {
		return err
	}
	if c.RescanWindow < 0 {
		return bad("rescan_window", c.RescanWindow, "must not be negative")
	}
	if err := cli.CheckLog(c.Log.Level, c.Log.Format); err != nil {
		var le *cli.KeyError
		if errors.As(err, &le) { // Load names where the value came from
			return bad(le.Key, le.Value, le.Why)
		}
		return err
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		return bad("http.listen", c.HTTP.Listen, "must be host:port, such as 127.0.0.1:8080")
	}
	if why := cli.ListenPortWhy(c.HTTP.Listen); why != "" {
		return bad("http.listen", c.HTTP.Listen, why)
	}
	for _, h := range c.HTTP.Hosts {
		// compared with the Host header's name as it is: " b.local" (from
		// "a.local, b.local") or kassa-1:8080 matched no request, which
		// was refused 421
		if h == "" || strings.ContainsAny(h, " \t/:@") {
			return bad("http.hosts", h, "each must be a host name such as kassa-1.post.local: no spaces (a list is a.local,b.local), no port, no scheme")
		}
	}
	if c.HTTP.MaxConnsPerAddr < 0 || c.HTTP.MaxConnsPerAddr > 1e6 {
		return bad("http.max_conns_per_addr", c.HTTP.MaxConnsPerAddr, "must be 0 (no cap) or open connections per address up to 1000000, such as 64")
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		return bad("http.tls_cert", c.HTTP.TLSCert, "http.tls_cert and http.tls_key go together")
	}
	for i, s := range c.Sources {
		if err := s.Validate(); err != nil {
			var ke *KeyError
			if errors.As(err, &ke) {
				ke.Key = sourceKey(i, ke.Key)
				return err
			}
			return fmt.Errorf("config sources[%d]: %w", i, err)
		}
	}
	if err := c.checkSourceNames(); err != nil {
		return err
	}
	if err := c.Scale.Validate(); err != nil {
		return err
	}
	if err := c.Sync.Validate(); err != nil {
		return err
	}
	if err := c.API.Validate(); err != nil {
		return err
	}
	return c.Web.Validate()
}

// MaxCounterLen is the longest counter id: the collector refuses a
// record whose counter is longer (hub's maxNameLen, 400 on every upload),
// so a longer one would keep the outbox from draining.
const MaxCounterLen = mark.MaxNameLen

// counterWhy is what is wrong with a counter id, "" when nothing
// (mark.CounterWhy: markd import holds the counters of its lines to it too).
func counterWhy(id string) string { return mark.CounterWhy(id) }
