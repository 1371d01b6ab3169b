package sync

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/bundle"
	"markd/mark"
	"markd/store"
)

// Applier puts the lists of a verified bundle into force atomically (parse
// all three, build a new verifier, swap it into the holder) and returns the
// versions now in force. An error leaves the old lists in force.
type Applier interface {
	Apply(c *bundle.Contents) (mark.Versions, error)
}

// ApplyFunc adapts a function to Applier.
type ApplyFunc func(c *bundle.Contents) (mark.Versions, error)

// Apply implements Applier.
func (f ApplyFunc) Apply(c *bundle.Contents) (mark.Versions, error) { return f(c) }

// inForcer is an Applier that can tell which lists are in force, so the
// poller notices when something else (a SIGHUP reload of the config files)
// replaced the bundle's lists, and puts the bundle back.
type inForcer interface{ InForce() mark.Versions }

// Poller fetches bundles from the collector with a version cursor.
type Poller struct {
	db       *store.DB
	client   *Client
	key      ed25519.PublicKey
	dir      bundle.Dir
	apply    Applier
	interval time.Duration
	fresh    *Freshness
	log      *slog.Logger
	now      func() time.Time // PollerOptions.Now

	mu       gosync.Mutex
	version  uint64
	created  time.Time // of the bundle in force
	versions mark.Versions
	gauge    prometheus.Gauge
}

// PollerOptions configure the poller.
type PollerOptions struct {
	Key      ed25519.PublicKey // pinned distribution key
	Dir      string            // where the last good bundles are kept
	Interval time.Duration     // poll period
	Warn     time.Duration     // freshness limits, see Freshness
	Hard     time.Duration
	Now      func() time.Time // clock; nil = time.Now
}

// NewPoller makes the poller and its Freshness (restored from the store:
// when the lists were last confirmed, else the first start with sync).
func NewPoller(ctx context.Context, db *store.DB, client *Client, apply Applier, o PollerOptions, log *slog.Logger, reg *prometheus.Registry) (*Poller, error) {
	if len(o.Key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("sync distribution_key: missing or not an Ed25519 public key: %w", mark.ErrInvalid)
	}
	if o.Dir == "" {
		return nil, fmt.Errorf("sync bundle_dir: required with a distribution key: %w", mark.ErrInvalid)
	}
	if log == nil {
		log = slog.Default()
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Poller{db: db, client: client, key: o.Key, dir: bundle.Dir{Path: o.Dir}, apply: apply, interval: o.Interval,
		log: log.With("subsystem", "sync.bundle"), now: o.Now,
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "markd_sync_bundle_version", Help: "Version of the bundle in force (0 = none)."})}
	checked, err := p.stateTime(ctx, store.StateListsChecked)
	if err != nil {
		return nil, err
	}
	if checked.IsZero() {
		if checked, err = p.stateTime(ctx, store.StateFirstStart); err != nil {
			return nil, err
		}
		if checked.IsZero() {
			checked = p.now()
			if err := db.SetSyncState(ctx, store.StateFirstStart, checked.UTC().Format(time.RFC3339Nano)); err != nil {
				return nil, err
			}
		}
	}
	p.fresh = NewFreshness(checked, o.Warn, o.Hard, o.Now)
	if reg != nil {
		warn := prometheus.NewGauge(prometheus.GaugeOpts{Name: "markd_sync_lists_warn_seconds",
			Help: "sync.freshness_warn: lists older than this turn the operator screen amber."})
		warn.Set(o.Warn.Seconds())
		hard := prometheus.NewGauge(prometheus.GaugeOpts{Name: "markd_sync_lists_hard_seconds",
			Help: "sync.freshness_hard: lists older than this make every acceptance ERROR; 0 = off."})
		hard.Set(o.Hard.Seconds())
		reg.MustRegister(p.gauge, warn, hard, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "markd_sync_lists_age_seconds",
			Help: "Time since the collector last confirmed the keyring, tariffs and revocations current."},
			func() float64 { return p.fresh.Age().Seconds() }))
	}
	return p, nil
}

func (p *Poller) stateTime(ctx context.Context, key string) (time.Time, error) {
	v, ok, err := p.db.SyncState(ctx, key)
	if err != nil || !ok {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("sync_state %s = %q: %w", key, v, mark.ErrInvalid)
	}
	return t, nil
}

// Freshness is the age of the lists in force.
func (p *Poller) Freshness() *Freshness { return p.fresh }

// InForce is the bundle in force: its version (0 = none) and when the
// collector made it.
func (p *Poller) InForce() (version uint64, created time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version, p.created
}

// Version is the version of the bundle in force and the list versions it named.
func (p *Poller) Version() (uint64, mark.Versions) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version, p.versions
}

// Restore applies the newest good bundle kept in the bundle folder, for a
// start without the collector. No bundle kept is mark.ErrNotFound: the
// lists of the config files stay in force.
func (p *Poller) Restore(ctx context.Context) error {
	c, _, err := p.dir.Latest(p.key)
	if err != nil {
		return err
	}
	vs, err := p.apply.Apply(c)
	if err != nil {
		return fmt.Errorf("apply kept bundle %d: %w", c.Version, err)
	}
	p.set(c.Version, c.Created, vs)
	p.log.Info("lists restored from kept bundle", "version", c.Version, "created", c.Created, "lists", vs)
	return nil
}

func (p *Poller) set(v uint64, created time.Time, vs mark.Versions) {
	p.mu.Lock()
	p.version, p.created, p.versions = v, created, vs
	p.mu.Unlock()
	p.gauge.Set(float64(v))
}

// Serve polls until ctx ends. Failures are logged; the lists in force stay.
func (p *Poller) Serve(ctx context.Context) error {
	for {
		wait := p.interval
		if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			lvl := slog.LevelWarn
			if !errors.Is(err, mark.ErrUnavailable) {
				lvl = slog.LevelError
			}
			// A 429's or 503's Retry-After is waited out (an hour at
			// most: the lists' freshness is at stake), as the uploads do.
			wait = max(wait, min(retryAfter(err), time.Hour))
			p.log.Log(ctx, lvl, "bundle poll failed; lists in force stay", "err", err, mark.HintAttr(err), "lists_age", p.fresh.Age().Round(time.Second),
				"retry_in", wait)
		}
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// Poll asks the collector once for a bundle newer than the one in force.
// A bundle that fails the signature check, is not newer, or does not apply
// is refused with an error and changes nothing.
func (p *Poller) Poll(ctx context.Context) error {
	current, applied := p.Version()
	if f, ok := p.apply.(inForcer); ok && current > 0 && f.InForce() != applied {
		p.log.Warn("lists in force are not those of the bundle (reloaded from files?); putting bundle back",
			"bundle", current, "bundle_lists", applied, "in_force", f.InForce())
		if err := p.Restore(ctx); err != nil {
			return fmt.Errorf("re-apply bundle %d: %w", current, err)
		}
	}
	data, err := p.client.Bundle(ctx, current)
	if err != nil {
		return err
	}
	if data == nil {
		return p.confirmed(ctx)
	}
	c, err := bundle.Open(data, p.key)
	if err != nil {
		return fmt.Errorf("bundle refused: %w", err)
	}
	if err := c.Newer(current); err != nil {
		return fmt.Errorf("bundle refused: %w", err)
	}
	vs, err := p.apply.Apply(c)
	if err != nil {
		return fmt.Errorf("bundle %d refused: %w", c.Version, err)
	}
	p.set(c.Version, c.Created, vs)
	if err := p.dir.Save(c.Version, data); err != nil {
		p.log.Error("bundle applied but not kept on disk; an offline restart would use an older one", "err", err, mark.HintAttr(err))
	}
	if err := p.db.SetSyncState(ctx, store.StateBundleVersion, strconv.FormatUint(c.Version, 10)); err != nil {
		p.log.Warn("bundle version not recorded in the store", "err", err)
	}
	p.log.Info("new lists in force", "version", c.Version, "created", c.Created, "lists", vs)
	return p.confirmed(ctx)
}

func (p *Poller) confirmed(ctx context.Context) error {
	now := p.now()
	p.fresh.Checked(now)
	return p.db.SetSyncState(ctx, store.StateListsChecked, now.UTC().Format(time.RFC3339Nano))
}
