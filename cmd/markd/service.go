package main

import (
	"github.com/spf13/cobra"
)

func init() { register(newServiceCmd) }

// serviceOpts are the flags of markd service.
type serviceOpts struct {
	exe     string // the markd the service runs; default this one
	unitDir string // Linux: where the systemd unit goes
	noCtl   bool   // Linux: do not run systemctl (packaging, tests)
}

// newServiceCmd is `markd service`: the Windows service (Service Control
// Manager, Event Log, %ProgramData%\markd) or the systemd unit on Linux.
// The OS-specific halves are in service_windows.go and service_unix.go.
func newServiceCmd(a *app) *cobra.Command {
	var o serviceOpts
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Install, remove, start, stop the markd service (Windows service or systemd unit)",
		Long: `Service manages markd as a system service: on Windows a service of the
Service Control Manager (started at boot, restarted on failure but not
after an error no restart can mend, such as a config that does not load;
logging to the Event Log and to %ProgramData%\markd\logs\markd.log,
config, store and keys in %ProgramData%\markd, readable by SYSTEM and
Administrators only); on Linux the systemd unit markd.service (restarted
on failure but not after exit 78, the same errors). Run it as an
administrator (root).

  markd service install    register (Windows: creates %ProgramData%\markd and a
                           starter markd.yaml when there is none)
  markd service start | stop | status
  markd service uninstall  stop and unregister (config, store, keys stay)
  markd service unit       print the package's systemd unit (Linux, for packagers:
                           /usr/bin/markd unless --exe names another binary)

Reload the lists of the running service with markd reload.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.exe, "exe", "", "the markd binary the service runs (default: this one; for unit /usr/bin/markd, the package's)")
	pf.StringVar(&o.unitDir, "unit-dir", "/etc/systemd/system", "Linux: folder of the systemd unit")
	pf.BoolVar(&o.noCtl, "no-systemctl", false, "Linux: only write or remove the unit file, do not run systemctl")
	_ = pf.MarkHidden("no-systemctl")
	sub := func(use, short string, f func(a *app, cmd *cobra.Command, o *serviceOpts) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return f(a, cmd, &o) }}
	}
	cmd.AddCommand(
		sub("install", "Register the service (started at boot)", serviceInstall),
		sub("uninstall", "Stop and unregister the service; data stays", serviceUninstall),
		sub("start", "Start the service", serviceStart),
		sub("stop", "Stop the service", serviceStop),
		sub("status", "Say whether the service is installed and running", serviceStatus),
		sub("unit", "Print the package's systemd unit (Linux; for /usr/bin/markd unless --exe)", serviceUnit),
	)
	run := sub("run", "Run as the service (called by the Service Control Manager)", serviceRun)
	run.Hidden = true
	cmd.AddCommand(run)
	return cmd
}
