package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"markd/hub"
	"markd/hub/hubweb"
	"markd/internal/cli"
	"markd/internal/secretfile"
	"markd/mark"
)

func newServeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the collector: the counters' API, the regional web pages, /healthz and /metrics on one port",
		Long: `Serve runs the collector: the counters' API (docs/api.md), the regional
web pages, /healthz and /metrics on one port (listen), over the store of
db_driver and db. It prints "listening ADDRESS" on stdout once it listens.

Exit status: 0 when stopped by SIGTERM or SIGINT; 78 when no restart can
mend the error: the config does not load or a value is refused (tls_key
readable by every user, client_ca), the database migrated by a newer
markhub, a permission refused (a unit with
RestartPreventExitStatus=78 leaves it stopped); 1 on other failures, a
restart may mend them (PostgreSQL not answering, the port taken); 2 on a
wrong command line.`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd.Flags())
			if err != nil {
				// whatever is wrong with it, the same file fails again
				return cli.NoRestartError{Err: err}
			}
			// a database a newer markhub migrated is refused again at every start
			return cli.NoRestart(serve(cmd.Context(), a, c), hub.ErrSchemaNewer)
		},
	}
	d := defaultConfig()
	cmd.Flags().String("listen", d.Listen, "host:port of the API and the regional web pages")
	cmd.Flags().String("db", d.DB, "SQLite file or PostgreSQL URL")
	cmd.Flags().String("db-driver", d.DBDriver, "sqlite or postgres")
	return cmd
}

func serve(ctx context.Context, a *app, c hub.Config) error {
	log := a.logger(c.Log)
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	zones, err := c.Zones() // refused at load already (Validate)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	api := hub.NewServer(store, hub.ServerOptions{Log: log, Registry: reg,
		Timeouts:  hub.Timeouts{Check: c.DBCheckTimeout, Write: c.DBTimeout, RetryAfter: c.RetryAfter},
		Plausible: &hub.Plausibility{Ahead: c.AtAhead, BeforeRegistration: c.AtBeforeRegistration, ReceiptSkew: c.DisputeSkew},
		Zones:     zones, UploadRate: uploadRate(c.UploadRate), UploadBurst: c.UploadBurst,
		ReadRate: uploadRate(c.ReadRate), ReadBurst: c.ReadBurst,
		AuthFailuresPerAddr: offIfZero(c.AuthFailuresPerAddr)})
	if _, err := api.LoadKeyrings(ctx); err != nil {
		return err
	}
	if c.OfficeZone == "" && len(c.OfficeZones) == 0 {
		log.Info("no office time zone set: the dates of uploaded acceptances are judged in every zone (UTC-12 to UTC+14)",
			"hint", "set office_zone (and office_zones for offices in other zones) to judge them in the office's zone")
	} else {
		log.Info("dates of uploaded acceptances judged in the offices' time zones", "office_zone", c.OfficeZone, "office_zones", len(c.OfficeZones),
			"zone_data", zones.Data().String())
	}
	if r, ok := store.(hub.Retainer); ok && c.RetentionMonths > 0 {
		go retain(ctx, r, c.RetentionMonths, log)
	}
	handler := api.Handler()
	if reg, ok := store.(hub.Regional); ok {
		pages, err := hubweb.New(hubweb.Options{Store: reg, Log: log, TLS: c.TLSCert != "", SessionLifetime: c.SessionLifetime, SessionTTL: c.SessionTTL,
			AccountLoginLimit: c.LoginAccountLimit})
		if err != nil {
			return err
		}
		handler = withPages(handler, pages.Handler())
	}
	// Every request body, the API's and the pages', at min_body_rate.
	handler = hub.MinBodyRate(handler, c.MinBodyRate, readTimeout, log)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: readTimeout, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
		// TLS handshake failures (an expired client certificate) as log lines like the others
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if c.TLSCert != "" {
		if err := secretfile.Check(c.TLSKey, "tls_key"); err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if c.ClientCA != "" {
			pem, err := os.ReadFile(c.ClientCA)
			if err != nil {
				return fmt.Errorf("client_ca: %w: %v", mark.ErrInvalid, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("client_ca %s: no PEM certificate: %w", c.ClientCA, mark.ErrInvalid)
			}
			srv.TLSConfig.ClientCAs, srv.TLSConfig.ClientAuth = pool, tls.VerifyClientCertIfGiven
		}
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return mark.WithHint(fmt.Errorf("listen %s: %w: %w", c.Listen, mark.ErrUnavailable, err), "is another markhub running on this port?")
	}
	ln = api.LimitConns(ln, c.MaxConnsPerAddr)
	// SIGHUP (systemctl reload of a unit made from markd's, after an edit
	// of the config) would kill the process mid-upload: markhub reads its
	// config at start only, so it says so and serves on. Caught before
	// the address is out, so no SIGHUP meets the default action.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// The first line on stdout is the address, so scripts and tests can use port 0.
	fmt.Fprintf(a.stdout, "listening %s\n", ln.Addr())
	log.Info("markhub serving", "addr", ln.Addr().String(), "tls", c.TLSCert != "", "mtls", c.ClientCA != "", "db", c.DBDriver)
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, c.TLSCert, c.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
wait:
	for {
		select {
		case err := <-errc:
			return err
		case <-hup:
			log.Warn("SIGHUP: markhub does not read its config again; restart markhub serve to apply a changed config (systemctl restart markhub)")
		case <-ctx.Done():
			break wait
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Info("markhub stopped")
	return nil
}

// readTimeout bounds the reading of one request, headers and body.
const readTimeout = 2 * time.Minute

// uploadRate is upload_rate as hub.ServerOptions takes it: 0 (no limit)
// is negative there, where 0 takes the default.
func uploadRate(r float64) float64 {
	if r == 0 {
		return -1
	}
	return r
}

// offIfZero turns a config limit's 0 (off) into ServerOptions' negative
// (0 there takes the default).
func offIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// withPages routes the API's paths (/v1/, /healthz, /metrics) to api and
// everything else to the regional pages.
func withPages(api, pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/v1/") || p == "/healthz" || strings.HasPrefix(p, "/healthz/") || p == "/metrics" {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}

// retain drops the records older than months whole months before the
// current one, at start and then daily. A failure is logged and tried
// again the next day.
func retain(ctx context.Context, r hub.Retainer, months int, log *slog.Logger) {
	for {
		now := time.Now().UTC()
		cutoff := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -months, 0)
		start := time.Now()
		if n, err := r.DropBefore(ctx, cutoff); err != nil {
			log.Error("retention: old records not dropped", "before", cutoff.Format("2006-01-02"), "err", err)
		} else if n > 0 {
			log.Info("retention: old records dropped", "before", cutoff.Format("2006-01-02"), "dropped", n, "took", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}
