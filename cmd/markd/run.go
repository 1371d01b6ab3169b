package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"markd/config"
	"markd/httpapi"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	msync "markd/sync"
	"markd/verify"
	"markd/web"
)

func init() { register(newRunCmd) }

// newRunCmd is `markd run`: the counter daemon.
func newRunCmd(a *app) *cobra.Command {
	var quiet bool
	var clock string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the counter daemon: sources → verify → store → HTTP API and pages",
		Long: `Run reads scans from the configured sources (stdin when none), judges each
against the keyring, tariffs and revocations, records it durably in the
SQLite store (reuse detection included) and serves /healthz, /metrics,
/api/scans, /events and the operator and supervisor pages on http.listen.

One JSON line per verdict goes to stdout (unless --quiet), written only
after the record is committed. SIGTERM/SIGINT stop gracefully; SIGHUP or a
change of the keyring/tariffs/revoked files reloads them (a broken file is
refused and the lists in force stay).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			now := time.Now
			if clock != "" {
				t, err := time.Parse(time.RFC3339Nano, clock)
				if err != nil {
					return usage("--clock %q: not an RFC 3339 time", clock)
				}
				now = func() time.Time { return t }
			}
			return a.runDaemon(cmd.Context(), c, quiet, now)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&quiet, "quiet", false, "do not print one JSON line per verdict on stdout")
	fl.String("db", "", "SQLite store file (config key db)")
	fl.String("counter", "", "id of this counter (config key counter)")
	fl.Uint32("office", 0, "postal index of this office (config key office)")
	fl.StringVar(&clock, "clock", "", "replay tests only: every scan gets this fixed time (RFC 3339)")
	_ = fl.MarkHidden("clock")
	return cmd
}

// runLine is the stdout line of one verdict: markd verify's shape plus
// where and when.
type runLine struct {
	verifyLine
	ID      string    `json:"id,omitempty"`
	At      time.Time `json:"at"`
	Counter string    `json:"counter"`
	Source  string    `json:"source,omitempty"`
}

// checkListen refuses a non-loopback address without TLS.
func checkListen(h config.HTTPConfig) (tls bool, err error) {
	tls = h.TLSCert != "" && h.TLSKey != ""
	host, _, err := net.SplitHostPort(h.Listen)
	if err != nil {
		return false, usage("config http.listen = %q: %v", h.Listen, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && !tls {
		return false, usage("config http.listen = %q is not a loopback address: set http.tls_cert and http.tls_key to serve it over TLS", h.Listen)
	}
	return tls, nil
}

func (a *app) runDaemon(ctx context.Context, c config.Config, quiet bool, now func() time.Time) error {
	log := newLogger(c.Log, a.stderr)
	if c.Office == 0 {
		return usage("config office is required: the postal index of this office")
	}
	loc, err := c.Location()
	if err != nil {
		return usageError{err}
	}
	useTLS, err := checkListen(c.HTTP)
	if err != nil {
		return err
	}
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, c.Revoked)
	if err != nil {
		return usageError{err}
	}
	holder := verify.NewHolder(v)
	hup, stopHUP := notifyHUP()
	defer stopHUP()
	db, err := store.Open(ctx, c.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	metrics := httpapi.NewMetrics(nil)

	var verifier mark.Verifier = holder
	var syncSvc *msync.Service
	if c.Sync.URL != "" {
		if syncSvc, err = msync.New(ctx, db, syncOptions(c.Sync), msync.HolderApplier(holder), log, metrics.Registry()); err != nil {
			return usageError{err}
		}
		if f := syncSvc.Freshness(); f != nil {
			verifier = msync.Guard(holder, f)
		}
	}
	db.Now = now
	sources, err := buildSources(a, c.Sources, log, now)
	if err != nil {
		return err
	}
	pipe := pipeline.New(pipeline.Options{
		Verifier: verifier, Store: db, Office: c.Office, Counter: c.Counter, Location: loc,
		RescanWindow: c.RescanWindow, Log: log, Observe: metrics.Observe, Now: now,
	})
	health := func() []mark.SourceHealth {
		out := make([]mark.SourceHealth, 0, len(sources))
		for _, s := range sources {
			out = append(out, s.Health())
		}
		return out
	}
	api := httpapi.New(httpapi.Options{
		Store: db, Feed: pipe, Sources: health, Versions: verifier.Versions, StoreErr: pipe.StoreErr,
		Metrics: metrics, Location: loc, Log: log,
		Extra: func() map[string]any {
			if f := syncSvc.Freshness(); f != nil {
				return map[string]any{"lists": f.Status()}
			}
			return nil
		},
	})
	pages, err := web.New(web.Options{
		Store: db, Log: log, SessionTTL: c.Web.SessionTTL, LoginLimit: c.Web.LoginLimit, TLS: useTLS,
		Location: loc, SnapshotsDir: c.Web.SnapshotsDir, Feed: pipe, Health: health,
		SetOperator: pipe.SetOperator, Public: httpapi.PublicPaths,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.HTTP.Listen)
	if err != nil {
		return mark.WithHint(fmt.Errorf("listen on %s: %w: %w", c.HTTP.Listen, mark.ErrUnavailable, err),
			"another program uses the port, or the address is not on this machine")
	}
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	srv := &http.Server{
		Handler:           pages.Handler(api.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return httpCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	log.Info("listening", "url", scheme+"://"+ln.Addr().String(), "tls", useTLS, "office", c.Office,
		"counter", c.Counter, "db", c.DB, "versions", verifier.Versions())
	httpErr := make(chan error, 1)
	go func() {
		var err error
		if useTLS {
			err = srv.ServeTLS(ln, c.HTTP.TLSCert, c.HTTP.TLSKey)
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			httpErr <- err
		}
	}()

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchLists(runCtx, c, holder, metrics, log, hup, syncSvc.BundleVersion)
	}()
	if syncSvc != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := syncSvc.Serve(runCtx); err != nil && runCtx.Err() == nil {
				log.Error("sync stopped", "err", err)
			}
		}()
	}
	out := newVerdictPrinter(a.stdout, quiet)
	pipeDone := make(chan struct{})
	go func() {
		defer close(pipeDone)
		pipe.Run(runCtx, sources, out.print)
	}()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	stopRun()
	select {
	case <-pipeDone:
	case <-time.After(5 * time.Second):
		log.Warn("a source did not stop in time")
	}
	stopHTTP()
	shCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	wg.Wait()
	log.Info("stopped")
	return runErr
}

// verdictPrinter writes the stdout line of each record.
type verdictPrinter struct {
	mu    sync.Mutex
	enc   *json.Encoder
	quiet bool
	n     int
}

func newVerdictPrinter(w io.Writer, quiet bool) *verdictPrinter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &verdictPrinter{enc: enc, quiet: quiet}
}

func (p *verdictPrinter) print(rec mark.Record) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	_ = p.enc.Encode(runLine{verifyLine: verifyOutput(p.n, &rec), ID: rec.ID, At: rec.At,
		Counter: rec.Counter, Source: rec.Source})
}
