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

	"markd/config"
	"markd/daemon"
	"markd/internal/cli"
	"markd/internal/winsvc"
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
	waitState = winsvc.WaitState
)

// service is markd's Windows service (internal/winsvc does the work).
func service() winsvc.Service {
	return winsvc.Service{Name: svcName, Display: svcDisplay, Description: svcDesc,
		DataDir: dataDir(), Keeps: "config, store, keys, logs",
		Elevated: func() bool { return isElevated() }}
}

// serviceLogger is the logger of the Windows service: every record to
// %ProgramData%\markd\logs\markd.log (rotated at 10 MB, 5 kept), warnings
// and errors also to the Event Log (source markd).
func serviceLogger(c config.LogConfig) (*slog.Logger, func()) {
	return service().Logger(c.Level, c.Format)
}

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
// is not elevated.
func needAdmin(verb string) error { return service().NeedAdmin(verb) }

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
	return service().Install(a.stdout, a.stderr, exe, cfg)
}

func serviceUninstall(a *app, _ *cobra.Command, _ *serviceOpts) error {
	return service().Uninstall(a.stdout)
}

func serviceStart(a *app, _ *cobra.Command, _ *serviceOpts) error {
	return service().Start(a.stdout)
}

func serviceStop(a *app, _ *cobra.Command, _ *serviceOpts) error {
	return service().Stop(a.stdout)
}

func serviceStatus(a *app, _ *cobra.Command, _ *serviceOpts) error {
	return service().Status(a.stdout)
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
		h = service().Refused(log.With("config", a.configFile), err)
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
	// Run first sets the restart on failure when the service has none
	// (the MSI registers it without), saying so on log. It says when no
	// service manager started us.
	runErr := service().Run(log, h)
	if errors.Is(runErr, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		if err != nil {
			return err
		}
		return usage("markd service run is started by the Service Control Manager; in a console use markd run")
	}
	return runErr
}

// stopForGood logs an error that no restart can mend and stops the
// service so that the service manager does not restart it
// (winsvc.Service.StopForGood).
func stopForGood(log *slog.Logger, err error) (bool, uint32) { return service().StopForGood(log, err) }

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
