package sync

import (
	"context"
	"errors"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/bundle"
	"markd/mark"
	"markd/store"
)

// Options is everything the counter's sync needs (config key sync.*,
// converted by cmd/markd).
type Options struct {
	Client          ClientOptions
	Upload          UploaderOptions
	DistributionKey string // base64 Ed25519 public key; "" = no bundles
	BundleDir       string
	Interval        time.Duration // bundle poll period
	FreshnessWarn   time.Duration
	FreshnessHard   time.Duration
	// ClockLimit is the skew against the collector above which
	// GuardClock refuses date-dependent verdicts (0 = measure only).
	ClockLimit time.Duration
	// Now is the counter's clock (the one that stamps and judges scans);
	// nil = time.Now.
	Now func() time.Time
}

// Service runs the uploader and, with a distribution key, the bundle poller.
type Service struct {
	Uploader *Uploader
	Poller   *Poller // nil without a distribution key
	Clock    *Clock  // the counter's clock against the collector's
	// History restores the reuse history of a store made by `markd init`
	// (done at once for any other store).
	History *Restorer
}

// New builds the service. apply puts a bundle's lists into force (see
// Applier); it may be nil when no distribution key is configured. With a
// key, the newest kept bundle is applied at once, so an offline start uses
// the last lists it verified.
func New(ctx context.Context, db *store.DB, o Options, apply Applier, log *slog.Logger, reg *prometheus.Registry) (*Service, error) {
	if log == nil {
		log = slog.Default()
	}
	client, err := NewClient(o.Client)
	if err != nil {
		return nil, err
	}
	client.LogProxy(log)
	clock := NewClock(o.ClockLimit, o.Now, log, reg)
	client.Clock = clock
	if o.Upload.Now == nil {
		o.Upload.Now = clock.Now
	}
	s := &Service{Uploader: NewUploader(db, client, o.Upload, log, reg), Clock: clock}
	if err := s.Uploader.LoadState(ctx); err != nil {
		return nil, err
	}
	if s.History, err = NewRestorer(ctx, db, client, log); err != nil {
		return nil, err
	}
	s.Uploader.CompareWith(s.History)
	if o.DistributionKey == "" {
		return s, nil
	}
	key, err := bundle.ParsePublicKey(o.DistributionKey)
	if err != nil {
		return nil, err
	}
	if apply == nil {
		return nil, errors.New("sync: a distribution key needs an Applier")
	}
	s.Poller, err = NewPoller(ctx, db, client, apply, PollerOptions{Key: key, Dir: o.BundleDir, Interval: o.Interval,
		Warn: o.FreshnessWarn, Hard: o.FreshnessHard, Now: o.Now}, log, reg)
	if err != nil {
		return nil, err
	}
	if err := s.Poller.Restore(ctx); err != nil && !errors.Is(err, mark.ErrNotFound) {
		log.Error("kept bundle not applied; lists from the config files stay in force", "err", err)
	}
	return s, nil
}

// Freshness is the age of the lists (nil without bundles: never stale).
func (s *Service) Freshness() *Freshness {
	if s == nil || s.Poller == nil {
		return nil
	}
	return s.Poller.Freshness()
}

// Bundle is the signed bundle in force: its version (0 when the lists
// come from the config files) and when the collector made it.
func (s *Service) Bundle() (version uint64, created time.Time) {
	if s == nil || s.Poller == nil {
		return 0, time.Time{}
	}
	return s.Poller.InForce()
}

// Serve runs until ctx ends.
func (s *Service) Serve(ctx context.Context) error {
	var wg gosync.WaitGroup
	if s.Poller != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.Poller.Serve(ctx) }() //nolint:errcheck // returns nil on ctx end
	}
	err := s.Uploader.Serve(ctx)
	wg.Wait()
	return err
}
