// Package daemon assembles the counter daemon (`markd run`) from its
// parts: it opens the store, loads the lists, builds the pipeline, the
// sources, the HTTP API and pages and the sync with the collector, and
// runs every long-running part as a service under one supervisor
// (internal/service). cmd/markd only wires flags and signals to it; tests
// start it in-process on a temporary store and port :0 with a fixed clock.
package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/batch"
	"markd/config"
	"markd/httpapi"
	"markd/internal/cli"
	"markd/internal/irqcpu"
	"markd/internal/service"
	"markd/mark"
	"markd/pipeline"
	"markd/scanner"
	"markd/store"
	msync "markd/sync"
	"markd/verify"
	"markd/web"
)

// Options configure a Main. Only Config is required.
type Options struct {
	Config config.Config
	// Log defaults to the logger of Config.Log writing to Stderr.
	Log    *slog.Logger
	Stderr io.Writer
	// Stdin is what a stdin source reads (a config without sources has one).
	Stdin io.Reader
	// Now is the one clock of scans, store and sync; default time.Now.
	Now func() time.Time
	// OnRecord is called after each durable verdict of a source (the
	// stdout lines of markd run).
	OnRecord func(mark.Record)
	// Reload receives SIGHUP: each receive reloads the config and the lists.
	Reload <-chan os.Signal
	// LoadConfig reads the configuration again as it was read for Config
	// (the same file, environment and flags), for a reload; nil: a reload
	// reloads the lists of Config's files only.
	LoadConfig func() (config.Config, error)
	// ConfigFile is the config file, watched like the lists: replacing it
	// (an editor's save, a rename over it) reloads. "" = none.
	ConfigFile string
	// Sources replace the sources of Config.Sources (tests).
	Sources []mark.Source
	// Supervisor tunes restarts and the shutdown grace (zero: defaults).
	Supervisor service.Options
}

// Main is the running daemon: its parts are exported for tests and for
// the wrappers that run it (the Windows service).
type Main struct {
	// Config is the configuration the daemon started with; a reload
	// applies only the list files of the config read again (Reload).
	Config   config.Config
	Log      *slog.Logger
	Store    *store.DB
	Holder   *verify.Holder
	Verifier mark.Verifier // Holder, guarded by the lists' freshness with bundles
	Pipeline *pipeline.Pipeline
	Metrics  *httpapi.Metrics
	Sync     *msync.Service  // nil without sync.url
	Clock    *msync.Clock    // the sync's, or one that only judges its own readings
	History  *msync.Restorer // the reuse history of a new store (also without sync: then only shown)
	Batches  *batch.Service
	Sources  []mark.Source
	Scale    *scanner.Scale // nil without scale.port
	HTTP     *HTTPServer

	sup    *service.Supervisor
	bundle func() (version uint64, created time.Time) // the bundle in force; version 0 = the config files

	loadConfig func() (config.Config, error) // Options.LoadConfig
	configFile string
	reloadMu   gosync.Mutex     // one reload at a time; guards lists
	lists      listFiles        // the files of the lists in force
	inForce    *verify.Verifier // the lists Open or the last reload put in the holder
	listsMod   atomic.Int64     // Unix ns: listFiles.modified of inForce's files; 0 = not known
	boundMu    gosync.Mutex     // boundClock: one at a time
	moved      chan struct{}    // the list files changed: the watcher watches the new ones
}

// Open checks the configuration, opens the store, loads the lists and
// listens; nothing runs until Run. Configuration errors are usage errors
// (markd run exits 78 on them, as on a store that is not one:
// cmd/markd's noRestart). Close releases what Open took.
func Open(ctx context.Context, o Options) (_ *Main, err error) {
	c := o.Config
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Log == nil {
		o.Log = cli.NewLogger(c.Log.Level, c.Log.Format, o.Stderr)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Supervisor.Log == nil {
		o.Supervisor.Log = o.Log
	}
	log := o.Log
	if c.Office == 0 {
		return nil, cli.UsageError{Err: config.OfficeRequired(o.ConfigFile)}
	}
	loc, err := c.Location()
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	if _, err := CheckListen(c.HTTP); err != nil {
		return nil, err
	}
	modified := listFiles{c.Keyring, c.Tariffs, c.Revoked}.modified()
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, c.Revoked)
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	m := &Main{Config: c, Log: log, Holder: verify.NewHolder(v), Metrics: httpapi.NewMetrics(nil),
		sup: service.New(o.Supervisor), loadConfig: o.LoadConfig, configFile: o.ConfigFile,
		lists: listFiles{c.Keyring, c.Tariffs, c.Revoked}, moved: make(chan struct{}, 1), inForce: v}
	m.setListsModified(modified)
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	// A weak issuer key is distrusted, not refused (spec-audit.md item
	// 10): said at ERROR once a load, and on /metrics while in force.
	verify.LogDistrusted(log, v.Keyring(), "keyring_file", c.Keyring)
	m.Metrics.Registry().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "markd_keyring_distrusted_keys",
		Help: "Issuer keys of the keyring in force under which no signature verifies (a weak Ed25519 key): every mark under them is REJECT BAD_SIGNATURE."},
		func() float64 {
			if v := m.Holder.Current(); v != nil {
				return float64(len(v.Keyring().Distrusted()))
			}
			return 0
		}))
	if m.Store, err = store.OpenExistingWith(ctx, c.DB, store.Options{Log: log, Now: o.Now, PresizeWAL: true, Exclusive: true}); err != nil {
		return nil, err
	}
	m.Verifier = m.Holder
	if c.Sync.URL != "" {
		so := SyncOptions(c.Sync)
		so.Now = o.Now // one clock: a moved test clock runs on, so the sync's timers still work
		so.Upload.Office = c.Office
		so.Upload.Location = loc           // each record says the offset it was judged by (at_offset)
		so.Upload.ZoneData = zoneDataOf(c) // and the zone data it came from (at_zone_data)
		if m.Sync, err = msync.New(ctx, m.Store, so, msync.HolderApplier(m.Holder, log), log, m.Metrics.Registry()); err != nil {
			return nil, cli.UsageError{Err: err}
		}
		if f := m.Sync.Freshness(); f != nil {
			m.Verifier = msync.Guard(m.Holder, f)
		}
		m.Clock = m.Sync.Clock
		// A clock reset behind the scans already stored (a BIOS date
		// after 2020) is wrong until the collector measures it right.
		// Without a collector nothing could clear that, so only the
		// readings of this run count there.
		if last, err := m.Store.LatestRecords(ctx, 1); err != nil {
			return nil, err
		} else if len(last) == 1 {
			m.Clock.Saw(last[0].At)
		}
		// A store made by markd init accepts no mark before it has the
		// office's used serials from the collector (guard below).
		m.History = m.Sync.History
	} else if m.History, err = msync.NewRestorer(ctx, m.Store, nil, log); err != nil {
		return nil, err
	} else {
		m.Clock = msync.NewClock(c.Sync.ClockLimit, o.Now, log, m.Metrics.Registry())
	}
	if m.Sync == nil || m.Sync.Poller == nil {
		// Lists kept as files: their age on /metrics as a bundle's would
		// be (markd_sync_lists_age_seconds), from the files' modification
		// times; the counter does not refuse acceptances for it.
		msync.RegisterFileListsAge(m.Metrics.Registry(), m.listsModified, o.Now)
	}
	// The clock's upper bound follows the lists in force.
	m.Holder.OnSwap(m.boundClock)
	m.boundClock()
	// Beyond sync.clock_limit of skew against the collector, and with or
	// without one while the clock reads before 2020, went back, or reads
	// years past the newest date of the lists (boundClock),
	// date-dependent verdicts are ERROR "clock wrong". Inside the history
	// guard: that one's ERROR says what to do first.
	m.Verifier = msync.GuardClock(m.Verifier, m.Clock)
	if m.Sync != nil {
		m.Verifier = msync.HistoryGuard(m.Verifier, m.Sync.History)
	}
	m.bundle = m.Sync.Bundle
	m.Sources = o.Sources
	if m.Sources == nil {
		place := placement(&c, log)
		if m.Sources, err = Sources(c.Sources, o.Stdin, log, o.Now, place); err != nil {
			return nil, err
		}
		if place != nil {
			m.sup.Add("placement", &placementFollower{place: place, db: c.DB, every: placementEvery, log: log})
		}
	}
	var weight func() int // nil: no scale
	if c.Scale.Port != "" {
		if m.Scale, err = Scale(c.Scale, log, o.Now); err != nil {
			return nil, err
		}
		weight = m.Scale.Weight
	}
	m.Pipeline = pipeline.New(pipeline.Options{
		Verifier: m.Verifier, Store: m.Store, Office: c.Office, Counter: c.Counter, Location: loc,
		RescanWindow: c.RescanWindow, Log: log, Observe: m.Metrics.Observe, Now: o.Now, AutoBatch: c.Batch.Auto,
		Weight: weight,
	})
	// Before any scan: the scans a crash may have left with an unchecked
	// signature (pipeline.RecheckSignatures).
	if checked, corrected, err := m.Pipeline.RecheckSignatures(ctx); err != nil {
		return nil, err
	} else if checked > 0 {
		log.Info("signatures of the last scans checked again", "checked", checked, "corrected", corrected)
	}
	m.Batches = batch.New(batch.Options{Store: m.Store, Office: c.Office, Counter: c.Counter, Location: loc, Log: log, Now: o.Now})
	api := httpapi.New(httpapi.Options{
		Store: m.Store, Feed: m.Pipeline, Sources: m.health, Versions: m.Verifier.Versions, StoreErr: m.Pipeline.StoreErr,
		Metrics: m.Metrics, Location: loc, Log: log, Scans: m.Pipeline, Batches: m.Batches, Counter: c.Counter, Office: c.Office, Now: o.Now,
		WriteLimit: c.API.WriteLimit, WriteBurst: c.API.WriteBurst,
		Extra: func() map[string]any {
			if m.Sync == nil {
				return map[string]any{"clock": m.Clock.Status(), "zone_data": zoneInfoOf(c)}
			}
			out := map[string]any{"sync": m.Sync.Uploader.Status(context.Background()), "clock": m.Sync.Clock.Status(),
				"zone_data": zoneInfoOf(c)}
			if f := m.Sync.Freshness(); f != nil {
				out["lists"] = f.Status()
			}
			return out
		},
	})
	useTLS, _ := CheckListen(c.HTTP)
	pages, err := web.New(web.Options{
		Store: m.Store, Log: log, SessionTTL: c.Web.SessionTTL, SessionLifetime: c.Web.SessionLifetime, LoginLimit: c.Web.LoginLimit, AccountLoginLimit: c.Web.LoginAccountLimit, TLS: useTLS,
		Location: loc, SnapshotsDir: c.Web.SnapshotsDir, Feed: m.Pipeline, Health: m.screenHealth,
		SetOperator: m.Pipeline.SetOperator, Public: httpapi.PublicPaths, Batches: m.Batches, Weight: weight,
		Hosts: PageHosts(c.HTTP), Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	refused := prometheus.NewCounter(prometheus.CounterOpts{Name: "markd_connections_refused_total",
		Help: "Connections closed at accept: their remote address held http.max_conns_per_addr open already."})
	m.Metrics.Registry().MustRegister(refused)
	if m.HTTP, err = Listen(c.HTTP, pages.Handler(api.Handler()), m.sup.Grace(), log, refused); err != nil {
		return nil, err
	}

	m.sup.Add("http", m.HTTP)
	// A store file moved, deleted or overwritten in place under the
	// daemon (a backup put back by hand): every scan refused from then
	// on (store.ErrReplaced, ErrOverwritten); a stat and a 100-byte read
	// of its header a second.
	m.sup.Add("store.file", service.Func(func(ctx context.Context) error {
		return m.Store.WatchFile(ctx, time.Second)
	}))
	lists := &verify.Watcher{Files: m.watched, Moved: m.moved, Signals: o.Reload, Reload: m.reload, Log: log}
	lists.Arm() // the files as loaded above, not as the service's goroutine first sees them
	m.sup.Add("lists", lists)
	if m.Sync != nil {
		m.sup.Add("sync.history", m.Sync.History)
		m.sup.Add("sync.upload", m.Sync.Uploader)
		if m.Sync.Poller != nil {
			m.sup.Add("sync.bundles", m.Sync.Poller)
		}
	}
	if m.Scale != nil {
		m.sup.Add("scale", m.Scale)
	}
	for _, src := range m.Sources {
		m.sup.Add("source "+src.Name(), service.Func(func(ctx context.Context) error {
			return m.Pipeline.ServeSource(ctx, src, o.OnRecord)
		}))
	}
	return m, nil
}

// Add adds a long-running part to the daemon; call it before Run.
func (m *Main) Add(name string, svc service.Service) { m.sup.Add(name, svc) }

// Run runs every service until ctx ends (nil) or one fails with a
// configuration error (that error).
func (m *Main) Run(ctx context.Context) error {
	m.Log.Info("listening", "url", m.HTTP.URL(), "tls", m.HTTP.TLS(), "office", m.Config.Office,
		"counter", m.Config.Counter, "db", m.Config.DB, "versions", m.Verifier.Versions())
	err := m.sup.Serve(ctx)
	m.Log.Info("stopped")
	return err
}

// Close closes the store (and the listener if Run never ran). Call it
// after Run returned.
func (m *Main) Close() error {
	if m.HTTP != nil {
		m.HTTP.Close()
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			return err
		}
	}
	return nil
}

func (m *Main) health() []mark.SourceHealth {
	out := make([]mark.SourceHealth, 0, len(m.Sources))
	for _, s := range m.Sources {
		out = append(out, s.Health())
	}
	if m.Scale != nil {
		out = append(out, m.Scale.Health())
	}
	if m.History != nil && !m.History.Done() {
		out = append(out, m.History.Health())
	}
	return out
}

// screenHealth is the lights of the operator screen: the sources, with a
// collector the upload (named after the fix when the client certificate
// expired), and the clock (without a collector only while it reads wrong:
// before 2020, years past the lists' newest date, or gone back).
func (m *Main) screenHealth() []mark.SourceHealth {
	out := m.health()
	clock := m.Clock.Health()
	if m.Sync != nil {
		out = append(out, m.Sync.Uploader.Health())
	} else if clock.Up {
		return out // nothing to measure against: a light only when it reads wrong
	}
	return append(out, clock)
}

// SyncOptions converts the sync config for the sync package (markd sync
// uses it too).
func SyncOptions(c config.SyncConfig) msync.Options {
	return msync.Options{
		Client: msync.ClientOptions{URL: c.URL, Token: c.Token, TokenFile: c.TokenFile, ClientCert: c.ClientCert,
			ClientKey: c.ClientKey, CA: c.CA, Proxy: c.Proxy},
		Upload: msync.UploaderOptions{BatchSize: c.BatchSize, BatchAge: c.BatchAge, Interval: c.Interval,
			MaxBackoff: c.MaxBackoff},
		DistributionKey: c.DistributionKey,
		BundleDir:       c.BundleDir,
		Interval:        c.Interval,
		FreshnessWarn:   c.FreshnessWarn,
		FreshnessHard:   c.FreshnessHard,
		ClockLimit:      c.ClockLimit,
	}
}

// placement returns, when c has a one-scan source (serial or stdin; a
// config without sources reads stdin), where those sources judge and
// commit: the CPUs that take the completion interrupts of the store's disk
// when they are some of the CPUs only (none: any CPU). It is nil where
// those interrupts cannot be found (not Linux, no /sys): nothing is placed
// and nothing follows.
func placement(c *config.Config, log *slog.Logger) *scanner.Placement {
	oneScan := len(c.Sources) == 0 || slices.ContainsFunc(c.Sources, func(s config.Source) bool {
		return s.Kind == "serial" || s.Kind == "stdin"
	})
	if !oneScan {
		return nil
	}
	cpus, err := irqcpu.CompletionCPUs(c.DB)
	if err != nil {
		log.Debug("the store disk's completion interrupts were not found; sources commit on any CPU", "err", err)
		return nil
	}
	if cpus != nil {
		log.Info("serial and stdin sources judge and commit on the CPUs that take the store disk's completion interrupts", "cpus", cpus)
	}
	return scanner.NewPlacement(cpus)
}
