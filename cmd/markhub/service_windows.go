package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"

	"markd/config"
	"markd/hub"
	"markd/internal/cli"
	"markd/internal/winsvc"
	"markd/mark"
)

func init() { osCommands = append(osCommands, newServiceCmd) }

// service is markhub's Windows service, as markd's (internal/winsvc):
// LocalSystem, automatic start, restart on failure, the Event Log source
// markhub, %ProgramData%\markhub\logs\markhub.log.
func service() winsvc.Service {
	return winsvc.Service{Name: "markhub", Display: "markhub collector",
		Description: "Collects the records of the markd counters, finds marks presented at more than one counter and publishes the signed lists.",
		DataDir:     config.ProgramDataDir("markhub"), Keeps: "config, store, distribution key, logs",
		Elevated: func() bool { return isElevated() }}
}

// isElevated reports whether markhub runs with an administrator's full
// token (a test replaces it: wine is always elevated).
var isElevated = func() bool { return windows.GetCurrentProcessToken().IsElevated() }

func newServiceCmd(a *app) *cobra.Command {
	var exe string
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Install, remove, start, stop the markhub Windows service",
		Long: `Service manages markhub serve as a service of the Windows Service Control
Manager, as markd service does markd: started at boot, restarted on failure
but not after an error no restart can mend (a config that does not load or
is refused, a permission refused), logging to the Event Log (source
markhub) and to %ProgramData%\markhub\logs\markhub.log; config, store and
distribution key in %ProgramData%\markhub. Run it in a command prompt
started as administrator (status needs none).

  markhub service install    register (creates %ProgramData%\markhub and a starter
                             markhub.yaml when there is none)
  markhub service start | stop | status
  markhub service uninstall  stop and unregister (config, store, key stay)

markhub reads its config at start only: after a change, stop and start.`,
	}
	cmd.PersistentFlags().StringVar(&exe, "exe", "", "the markhub binary the service runs (default: this one)")
	sub := func(use, short string, f func(cmd *cobra.Command) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error { return f(cmd) }}
	}
	run := sub("run", "Run markhub serve as the service (called by the Service Control Manager)",
		func(cmd *cobra.Command) error { return serviceRun(a, cmd) })
	run.Hidden = true
	cmd.AddCommand(
		sub("install", "Register the service (started at boot)", func(*cobra.Command) error { return serviceInstall(a, exe) }),
		sub("uninstall", "Stop and unregister the service; data stays", func(*cobra.Command) error { return service().Uninstall(a.stdout) }),
		sub("start", "Start the service", func(*cobra.Command) error { return service().Start(a.stdout) }),
		sub("stop", "Stop the service", func(*cobra.Command) error { return service().Stop(a.stdout) }),
		sub("status", "Say whether the service is installed and running", func(*cobra.Command) error { return service().Status(a.stdout) }),
		run,
	)
	return cmd
}

// serviceConfig is the config the service reads: --config (absolute), else
// %ProgramData%\markhub\markhub.yaml.
func (a *app) serviceConfig() string {
	if a.configFile != "" {
		if abs, err := filepath.Abs(a.configFile); err == nil {
			return abs
		}
		return a.configFile
	}
	return filepath.Join(service().DataDir, "markhub.yaml")
}

// prepareDataDir makes %ProgramData%\markhub as markhub's first start does
// (ownDir: SYSTEM, the Administrators and its maker only; a folder that is
// there keeps its ACL) and its logs folder.
func prepareDataDir() error {
	dir := service().DataDir
	if err := ownDir(filepath.Join(dir, "markhub.yaml")); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Join(dir, "logs"), err)
	}
	return nil
}

// starterConfig is written by install when there is no config yet:
// markhub's defaults, which serve on loopback at once.
func starterConfig(dir string) string {
	q := func(p string) string { return "'" + strings.ReplaceAll(p, "'", "''") + "'" }
	return `# markhub configuration, written by "markhub service install": the defaults.
# markhub.yaml.example beside markhub.exe has every key (for counters on
# other PCs: listen 0.0.0.0:8443 with tls_cert and tls_key). markhub reads
# it at start only: after a change, markhub service stop, markhub service start.
# See install-windows.md, "The collector (markhub) on Windows".
listen: 127.0.0.1:8090
db_driver: sqlite
db: ` + q(filepath.Join(dir, "markhub.db")) + `
distribution_key: ` + q(filepath.Join(dir, "distribution.key")) + `
log:
  level: info
  format: text
`
}

func serviceInstall(a *app, exe string) error {
	s := service()
	if err := s.NeedAdmin("install"); err != nil {
		return err
	}
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	cfg := a.serviceConfig()
	if err := prepareDataDir(); err != nil {
		return err
	}
	if _, err := os.Stat(cfg); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(cfg, []byte(starterConfig(s.DataDir)), 0o600); err != nil {
			return fmt.Errorf("write a starter config: %w", err)
		}
		fmt.Fprintf(a.stdout, "wrote a starter config %s: markhub's defaults (listen 127.0.0.1:8090, SQLite store in %s)\n", cfg, s.DataDir)
	}
	return s.Install(a.stdout, a.stderr, exe, cfg)
}

// serviceRun is what the Service Control Manager starts: markhub serve,
// logging to the log file and the Event Log, stopped cleanly on the
// service manager's stop or shutdown.
func serviceRun(a *app, cmd *cobra.Command) error {
	s := service()
	// a service registered by hand (sc create) has had no install
	prepErr := prepareDataDir()
	log, closeLog := s.Logger("info", "text")
	if prepErr != nil {
		log.Warn("markhub service: data folder", "err", prepErr, mark.HintAttr(prepErr))
	}
	// a service has no console: serve's "listening" line tells the
	// handler that it serves, its log goes to the service's logger
	a.stdout, a.stderr, a.log = io.Discard, io.Discard, log
	var h svc.Handler
	c, err := a.loadConfig(cmd.Flags())
	if err != nil {
		defer closeLog()
		h = s.Refused(log.With("config", a.configFile), err)
	} else {
		closeLog()
		log, closeLog = s.Logger(c.Log.Level, c.Log.Format)
		defer closeLog()
		a.log = log
		h = &hubService{a: a, cfg: c, log: log, s: s}
	}
	runErr := s.Run(log, h)
	if errors.Is(runErr, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		if err != nil {
			return err
		}
		return cli.UsageError{Err: errors.New("markhub service run is started by the Service Control Manager; in a console use markhub serve")}
	}
	return runErr
}

// Service-specific exit codes: the Service Control Manager restarts the
// service after either (recovery on non-crash failures). An error no
// restart can mend stops with 0 instead (StopForGood).
const (
	exitServe  = 1 // serve failed: the port taken, PostgreSQL not answering
	exitReturn = 2 // serve returned by itself
)

// hubService runs serve under the Service Control Manager.
type hubService struct {
	a   *app
	cfg hub.Config
	log *slog.Logger
	s   winsvc.Service
}

// listened is serve's stdout under the service: its first line is
// "listening ADDRESS", written once it listens.
type listened struct {
	once sync.Once
	c    chan struct{}
}

func (l *listened) Write(p []byte) (int, error) {
	l.once.Do(func() { close(l.c) })
	return len(p), nil
}

func (h *hubService) Execute(_ []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	changes <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &listened{c: make(chan struct{})}
	h.a.stdout = l
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, h.a, h.cfg) }()
	select {
	case err := <-errc: // before it listened: the store, the keyrings, the port
		return h.failed(err)
	case <-l.c:
	}
	changes <- svc.Status{State: svc.Running, Accepts: accepts}
	for {
		select {
		case err := <-errc:
			return h.failed(err)
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				changes <- svc.Status{State: svc.StopPending}
				cancel()
				// serve waits up to shutdown_timeout for the requests in flight
				wait := h.cfg.ShutdownTimeout + 5*time.Second
				select {
				case err := <-errc:
					if err != nil {
						h.log.Error("markhub did not stop cleanly", "err", err)
					}
				case <-time.After(wait):
					h.log.Error("markhub did not stop in time", "wait", wait)
				}
				return false, 0
			}
		}
	}
}

// failed is the end of a serve that returned by itself: for good on an
// error no restart can mend, else a failure the service manager restarts.
func (h *hubService) failed(err error) (bool, uint32) {
	if errors.As(cli.NoRestart(err), new(cli.NoRestartError)) {
		return h.s.StopForGood(h.log, err)
	}
	if err == nil {
		h.log.Error("markhub stopped by itself; the service manager restarts it")
		return true, exitReturn
	}
	h.log.Error("markhub service cannot serve; the service manager starts it again", "err", err, mark.HintAttr(err))
	return true, exitServe
}
