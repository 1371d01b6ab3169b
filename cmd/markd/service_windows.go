package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"markd/config"
	"markd/daemon"
	"markd/internal/cli"
	"markd/mark"
)

const (
	svcName    = "markd"
	svcDisplay = "markd counter daemon"
	svcDesc    = "Reads, verifies and records electronic postage marks at the post-office counter."
	// dataDirSDDL: SYSTEM and Administrators only, not inherited from
	// %ProgramData% (where Users may read). The service runs as LocalSystem.
	dataDirSDDL = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	// waitState bounds the wait for the service to start or stop.
	waitState = 30 * time.Second
)

// dataDir is %ProgramData%\markd: config, store, keys, logs (the
// config's default folder).
func dataDir() string { return config.DataDir() }

// defaultConfigFile is the --config default: MARKD_CONFIG, else the
// service's %ProgramData%\markd\markd.yaml when it exists.
func defaultConfigFile() string {
	if c := os.Getenv("MARKD_CONFIG"); c != "" {
		return c
	}
	c := filepath.Join(dataDir(), "markd.yaml")
	if _, err := os.Stat(c); err == nil {
		return c
	}
	return ""
}

const defaultConfigHelp = `, else %ProgramData%\markd\markd.yaml when it exists`

func (a *app) serviceConfig() string {
	if a.configFile != "" {
		if abs, err := filepath.Abs(a.configFile); err == nil {
			return abs
		}
		return a.configFile
	}
	return filepath.Join(dataDir(), "markd.yaml")
}

func (o *serviceOpts) binary() (string, error) {
	if o.exe != "" {
		return o.exe, nil
	}
	return os.Executable()
}

// starterConfig is written by install when there is no config yet: the
// office must be filled in before the service starts.
func starterConfig(dir string) string {
	return `# markd configuration, written by "markd service install".
# Fill in office (and counter), put keyring.yaml and tariffs.yaml here, then:
#   markd service start
# See docs/install-windows.md; markd.yaml.example beside markd.exe has every key.
office: 0            # REQUIRED: the postal index of this office
counter: "1"
tz: Europe/Moscow
keyring: ` + filepath.Join(dir, "keyring.yaml") + `
tariffs: ` + filepath.Join(dir, "tariffs.yaml") + `
revoked: ""
db: ` + filepath.Join(dir, "markd.db") + `
http:
  listen: 127.0.0.1:8080
log:
  level: info
  format: text
`
}

// prepareDataDir makes %ProgramData%\markd (and logs\) and gives it the
// SYSTEM + Administrators ACL.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	sd, err := windows.SecurityDescriptorFromString(dataDirSDDL)
	if err != nil {
		return fmt.Errorf("ACL of %s: %w", dir, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("ACL of %s: %w", dir, err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("set the ACL of %s (SYSTEM and Administrators only): %w", dir, err)
	}
	return nil
}

// isElevated reports whether markd runs with an administrator's full
// token (a command prompt run as administrator, or the service).
var isElevated = func() bool { return windows.GetCurrentProcessToken().IsElevated() }

// needAdmin stops a service command that changes the service or
// %ProgramData%\markd before it touches anything, when the command prompt
// is not elevated (otherwise install made the folder and took away the
// user's own access to it, then failed with "Access is denied").
func needAdmin(verb string) error {
	if isElevated() {
		return nil
	}
	return mark.WithHint(fmt.Errorf("markd service %s needs an administrator: this command prompt is not elevated: %w", verb, mark.ErrForbidden),
		"open the command prompt with Run as administrator and run it again")
}

// connect opens the Service Control Manager, with the usual hint.
func connect() (*mgr.Mgr, error) {
	m, err := mgr.Connect()
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return nil, mark.WithHint(fmt.Errorf("service control manager: %w", err), "run the command prompt as administrator")
	}
	if err != nil {
		return nil, fmt.Errorf("service control manager: %w", err)
	}
	return m, nil
}

// withService runs f on the installed markd service, connected to the
// Service Control Manager for its duration.
func withService(f func(s *mgr.Service) error) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := openService(m)
	if err != nil {
		return err
	}
	defer s.Close()
	return f(s)
}

// withServiceQuery is withService with the rights to read the service's
// state and config only, which every user has: status needs no
// administrator (mgr.Connect and OpenService ask for all rights).
func withServiceQuery(f func(s *mgr.Service) error) error {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return fmt.Errorf("service control manager: %w", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	name, err := windows.UTF16PtrFromString(svcName)
	if err != nil {
		return err
	}
	sh, err := windows.OpenService(h, name, windows.SERVICE_QUERY_STATUS|windows.SERVICE_QUERY_CONFIG)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return mark.WithHint(fmt.Errorf("service %s is not installed: %w", svcName, fs.ErrNotExist), "markd service install")
	}
	if err != nil {
		return fmt.Errorf("open service %s: %w", svcName, err)
	}
	s := &mgr.Service{Name: svcName, Handle: sh}
	defer s.Close()
	return f(s)
}

// openService opens the installed markd service.
func openService(m *mgr.Mgr) (*mgr.Service, error) {
	s, err := m.OpenService(svcName)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return nil, mark.WithHint(fmt.Errorf("service %s is not installed: %w", svcName, fs.ErrNotExist), "markd service install")
	}
	if err != nil {
		return nil, fmt.Errorf("open service %s: %w", svcName, err)
	}
	return s, nil
}

func serviceInstall(a *app, _ *cobra.Command, o *serviceOpts) error {
	if err := needAdmin("install"); err != nil {
		return err
	}
	exe, err := o.binary()
	if err != nil {
		return err
	}
	cfg := a.serviceConfig()
	dir := dataDir()
	if err := prepareDataDir(dir); err != nil {
		return err
	}
	if _, err := os.Stat(cfg); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(cfg, []byte(starterConfig(dir)), 0o600); err != nil {
			return fmt.Errorf("write a starter config: %w", err)
		}
		fmt.Fprintf(a.stdout, "wrote a starter config %s: fill in office before the service starts\n", cfg)
	}
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	if s, err := m.OpenService(svcName); err == nil {
		s.Close()
		return mark.WithHint(fmt.Errorf("service %s is already installed: %w", svcName, mark.ErrConflict), "markd service uninstall first, or markd service start")
	}
	s, err := m.CreateService(svcName, exe, mgr.Config{DisplayName: svcDisplay, Description: svcDesc,
		StartType: mgr.StartAutomatic}, "--config", cfg, "service", "run")
	if err != nil {
		return fmt.Errorf("create service %s: %w", svcName, err)
	}
	defer s.Close()
	// Restart after 5 s, 30 s, then every minute; the count resets after a day.
	// Wine's service manager lacks failure actions (ERROR_INVALID_LEVEL):
	// said, not fatal; Windows has them.
	err = s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}, uint32((24 * time.Hour).Seconds()))
	if err == nil {
		err = s.SetRecoveryActionsOnNonCrashFailures(true)
	}
	if errors.Is(err, windows.ERROR_INVALID_LEVEL) {
		fmt.Fprintf(a.stderr, "warning: this service manager cannot restart %s on failure (%v)\n", svcName, err)
	} else if err != nil {
		return fmt.Errorf("set the restart on failure: %w", err)
	}
	// a source left by an earlier install is replaced (eventlog says
	// "already exists" only in its error text, which we do not match)
	_ = eventlog.Remove(svcName)
	if err := eventlog.InstallAsEventCreate(svcName, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		return fmt.Errorf("register the Event Log source: %w", err)
	}
	fmt.Fprintf(a.stdout, "installed service %s (automatic start, restart on failure): %s --config %s\n", svcName, exe, cfg)
	return nil
}

func serviceUninstall(a *app, _ *cobra.Command, _ *serviceOpts) error {
	if err := needAdmin("uninstall"); err != nil {
		return err
	}
	return withService(func(s *mgr.Service) error {
		if st, err := s.Query(); err == nil && st.State != svc.Stopped {
			if err := stopAndWait(s); err != nil {
				return err
			}
		}
		if err := s.Delete(); err != nil {
			return fmt.Errorf("delete service %s: %w", svcName, err)
		}
		_ = eventlog.Remove(svcName)
		fmt.Fprintf(a.stdout, "removed service %s; %s (config, store, keys, logs) stays\n", svcName, dataDir())
		return nil
	})
}

func serviceStart(a *app, _ *cobra.Command, _ *serviceOpts) error {
	if err := needAdmin("start"); err != nil {
		return err
	}
	return withService(func(s *mgr.Service) error {
		if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			return fmt.Errorf("start service %s: %w", svcName, err)
		}
		st, err := waitFor(s, svc.Running)
		if err != nil {
			return mark.WithHint(err, "see the Event Log (source markd) or "+filepath.Join(dataDir(), "logs", "markd.log"))
		}
		fmt.Fprintf(a.stdout, "service %s running (pid %d)\n", svcName, st.ProcessId)
		return nil
	})
}

func serviceStop(a *app, _ *cobra.Command, _ *serviceOpts) error {
	if err := needAdmin("stop"); err != nil {
		return err
	}
	return withService(func(s *mgr.Service) error {
		if err := stopAndWait(s); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "service %s stopped\n", svcName)
		return nil
	})
}

func stopAndWait(s *mgr.Service) error {
	if _, err := s.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return fmt.Errorf("stop service %s: %w", svcName, err)
	}
	_, err := waitFor(s, svc.Stopped)
	return err
}

// waitFor polls the service until it is in state want, or has stopped
// while we wait for it to run.
func waitFor(s *mgr.Service, want svc.State) (svc.Status, error) {
	deadline := time.Now().Add(waitState)
	for {
		st, err := s.Query()
		if err != nil {
			return st, fmt.Errorf("query service %s: %w", svcName, err)
		}
		if st.State == want {
			return st, nil
		}
		if want == svc.Running && st.State == svc.Stopped && st.Win32ExitCode == 0 {
			// stopForGood: the service said why and is not restarted
			return st, fmt.Errorf("service %s stopped right after the start and is not restarted: an error no restart can mend (the config, the store, a permission): %w",
				svcName, mark.ErrUnavailable)
		}
		if want == svc.Running && st.State == svc.Stopped {
			return st, fmt.Errorf("service %s stopped right after the start (exit code %d, service code %d; Windows starts it again): %w",
				svcName, st.Win32ExitCode, st.ServiceSpecificExitCode, mark.ErrUnavailable)
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("service %s: still %s after %v: %w", svcName, stateName(st.State), waitState, mark.ErrUnavailable)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func stateName(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "starting"
	case svc.StopPending:
		return "stopping"
	case svc.Running:
		return "running"
	case svc.ContinuePending, svc.PausePending, svc.Paused:
		return "paused"
	}
	return fmt.Sprintf("state %d", s)
}

func serviceStatus(a *app, _ *cobra.Command, _ *serviceOpts) error {
	return withServiceQuery(func(s *mgr.Service) error {
		st, err := s.Query()
		if err != nil {
			return fmt.Errorf("query service %s: %w", svcName, err)
		}
		cfg, _ := s.Config()
		fmt.Fprintf(a.stdout, "service %s: %s", svcName, stateName(st.State))
		if st.State == svc.Running {
			fmt.Fprintf(a.stdout, " (pid %d)", st.ProcessId)
		}
		fmt.Fprintf(a.stdout, "\ncommand: %s\n", cfg.BinaryPathName)
		return nil
	})
}

func serviceUnit(*app, *cobra.Command, *serviceOpts) error {
	return usage("markd service unit prints the systemd unit of Linux; on Windows use markd service install")
}

// serviceRun is what the Service Control Manager starts.
func serviceRun(a *app, cmd *cobra.Command, _ *serviceOpts) error {
	// The MSI registers the service without install's folder step.
	prepErr := prepareDataDir(dataDir())
	log, closeLog := serviceLogger(config.LogConfig{Level: "info", Format: "text"})
	if prepErr != nil {
		log.Warn("markd service: data folder", "err", prepErr)
	}
	var h svc.Handler
	c, err := a.loadConfig(cmd)
	if err != nil {
		// Said to the service manager as a stop (refused), not by an exit
		// before it was told anything: that is a failure on which it
		// restarts the service, and the same file would fail again.
		defer closeLog()
		h = refused{err: err, log: log.With("config", a.configFile)}
	} else {
		closeLog()
		log, closeLog = serviceLogger(c.Log)
		defer closeLog()
		for _, w := range a.configWarnings { // loadConfig's went to stderr, which a service has not
			log.Warn(w)
		}
		h = &winService{cfg: c, log: log, file: a.configFile,
			load: func() (config.Config, error) { return config.Load(a.configFile, cmd.Flags()) }}
	}
	// Not svc.IsWindowsService: it looks for a parent "services.exe" in
	// session 0, which wine's service manager is not. svc.Run itself says
	// when no service manager started us.
	runErr := svc.Run(svcName, h)
	if errors.Is(runErr, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		if err != nil {
			return err
		}
		return usage("markd service run is started by the Service Control Manager; in a console use markd run")
	}
	return runErr
}

// refused is the service of a config that does not load: it stops at once
// as not to be restarted.
type refused struct {
	err error
	log *slog.Logger
}

func (r refused) Execute(_ []string, _ <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	return stopForGood(r.log, r.err)
}

// stopForGood logs an error that no restart can mend (cli.NoRestartError:
// a config that does not load or is refused, a store missing, damaged or
// migrated by a newer markd, a permission refused) and returns the stop
// the Service Control Manager takes for a clean one: exit code 0. Any
// other code is a failure to it, on which the recovery actions of markd
// service install (on non-crash failures too) start the service again
// every minute for ever; the error is in the Event Log and markd.log.
func stopForGood(log *slog.Logger, err error) (bool, uint32) {
	log.Error("markd service stopped and is not restarted: no restart can mend this; mend it, then markd service start",
		"err", err, mark.HintAttr(err))
	return false, 0
}

// winService runs daemon.Main under the Service Control Manager.
type winService struct {
	cfg  config.Config
	log  *slog.Logger
	file string                        // the config file, watched
	load func() (config.Config, error) // reads it again for a reload
}

// Service-specific exit codes: the Service Control Manager restarts the
// service after either (recovery on non-crash failures). An error no
// restart can mend stops with 0 instead (stopForGood).
const (
	exitOpen   = 1 // daemon.Open failed: the port taken, the store in use, a disk failing
	exitFailed = 2 // the daemon stopped by itself
)

func (w *winService) Execute(_ []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown | svc.AcceptParamChange
	changes <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A service has no console: a config without sources gets an empty stdin.
	m, err := daemon.Open(ctx, daemon.Options{Config: w.cfg, Log: w.log, Stdin: strings.NewReader(""),
		ConfigFile: w.file, LoadConfig: w.load})
	if err == nil {
		defer m.Close()
		err = addControl(m, w.file)
	}
	if err != nil {
		if errors.As(noRestart(err), new(cli.NoRestartError)) {
			return stopForGood(w.log, err)
		}
		w.log.Error("markd service cannot start; the service manager starts it again", "err", err, mark.HintAttr(err))
		return true, exitOpen
	}
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	changes <- svc.Status{State: svc.Running, Accepts: accepts}
	w.log.Info("markd service running", "db", w.cfg.DB)
	for {
		select {
		case err := <-errc:
			if err != nil { // the supervisor stops only on a configuration error
				return stopForGood(w.log, err)
			}
			w.log.Error("markd stopped by itself; the service manager restarts it")
			return true, exitFailed
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- c.CurrentStatus
			case svc.ParamChange: // sc control markd paramchange
				_, _ = m.Reload("service paramchange") // logged by the daemon
				changes <- svc.Status{State: svc.Running, Accepts: accepts}
			case svc.Stop, svc.Shutdown:
				changes <- svc.Status{State: svc.StopPending}
				cancel()
				select {
				case <-errc:
				case <-time.After(waitState):
					w.log.Error("markd did not stop in time", "wait", waitState)
				}
				return false, 0
			}
		}
	}
}
