//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"text/template"

	"github.com/spf13/cobra"

	"markd/config"
)

// unitName is the systemd unit of markd.
const unitName = "markd.service"

// defaultConfigFile is the --config default: MARKD_CONFIG.
func defaultConfigFile() string { return os.Getenv("MARKD_CONFIG") }

const defaultConfigHelp = ""

// defaultConfig is where the packages put the config.
const defaultConfig = "/etc/markd/markd.yaml"

// unitTemplate is the systemd unit: configs/markd.service with the binary
// and the config filled in (TestServiceUnit keeps the two the same): user
// markd (made by the .deb), the serial, input and video groups for the
// scanners and cameras, the store in /var/lib/markd, restart always,
// SIGHUP for reload (markd reload works too).
var unitTemplate = template.Must(template.New("unit").Parse(`[Unit]
Description=markd counter daemon for electronic postage marks
Documentation=file:///usr/share/doc/markd/operations.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=markd
Group=markd
# dialout: serial scanners; input: keyboard-wedge scanners; video: cameras
SupplementaryGroups=dialout input video
ExecStart={{.Exe}} run --config {{.Config}} --quiet
ExecReload=/bin/kill -HUP $MAINPID
# SIGTERM: the scan in flight is finished and the store closed.
KillSignal=SIGTERM
TimeoutStopSec=15
Restart=always
RestartSec=2
# 78: a restart cannot help (a config that does not load or is refused, a
# store missing, damaged or migrated by a newer markd, a permission
# refused): stay failed; systemctl status markd shows the message.
RestartPreventExitStatus=78
# The store lives here (config key db: /var/lib/markd/markd.db).
StateDirectory=markd
StateDirectoryMode=0750
ConfigurationDirectory=markd
# /run/markd: the daemon's pointer to its store and config (0600), so
# markd reload run with another config names this daemon; made at start,
# removed at stop.
RuntimeDirectory=markd
RuntimeDirectoryMode=0755
StandardInput=null
# Hardening: the daemon writes only its state folder.
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ReadWritePaths=/var/lib/markd
ProtectKernelTunables=true
ProtectControlGroups=true
RestrictSUIDSGID=true
LockPersonality=true
MemoryDenyWriteExecute=true
Environment=GOMAXPROCS=2

[Install]
WantedBy=multi-user.target
`))

// unit renders the unit for the binary exe and the config file.
func unit(exe, config string) string {
	var b bytes.Buffer
	_ = unitTemplate.Execute(&b, struct{ Exe, Config string }{exe, config})
	return b.String()
}

func (o *serviceOpts) binary() (string, error) {
	if o.exe != "" {
		return o.exe, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(exe)
}

func (a *app) serviceConfig() string {
	if a.configFile != "" {
		if abs, err := filepath.Abs(a.configFile); err == nil {
			return abs
		}
		return a.configFile
	}
	return defaultConfig
}

func systemctl(o *serviceOpts, args ...string) error {
	if o.noCtl {
		return nil
	}
	cmd := exec.Command("systemctl", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("systemctl %v: %w", args, err)
	}
	return nil
}

func serviceUnit(a *app, _ *cobra.Command, o *serviceOpts) error {
	exe := o.exe
	if exe == "" {
		exe = "/usr/bin/markd"
	}
	_, err := fmt.Fprint(a.stdout, unit(exe, a.serviceConfig()))
	return err
}

func serviceInstall(a *app, _ *cobra.Command, o *serviceOpts) error {
	exe, err := o.binary()
	if err != nil {
		return err
	}
	path := filepath.Join(o.unitDir, unitName)
	if err := os.WriteFile(path, []byte(unit(exe, a.serviceConfig())), 0o644); err != nil {
		return fmt.Errorf("write the unit: %w", err)
	}
	if err := systemctl(o, "daemon-reload"); err != nil {
		return err
	}
	if err := systemctl(o, "enable", unitName); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "installed %s (enabled at boot); %s\n", path, nextStep(a.serviceConfig()))
	return nil
}

// nextStep says what a counter needs before markd service start: the
// service refuses to start (exit 78) without its config or its store, and
// only markd init makes the store.
func nextStep(cfg string) string {
	initCmd := "runuser -u markd -- markd init --config " + cfg
	if _, err := os.Stat(cfg); errors.Is(err, fs.ErrNotExist) {
		return "next: write the config " + cfg + " (every key: configs/markd.yaml), create the store with " +
			initCmd + ", then markd service start"
	}
	c, err := config.Load(cfg, nil)
	if err != nil {
		return "next: mend the config (" + err.Error() + "), then markd service start"
	}
	if _, err := os.Stat(c.DB); errors.Is(err, fs.ErrNotExist) {
		return "next: create the store " + c.DB + " (a new counter) with " + initCmd + ", then markd service start"
	}
	return "start it with: markd service start"
}

func serviceUninstall(a *app, _ *cobra.Command, o *serviceOpts) error {
	path := filepath.Join(o.unitDir, unitName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is not installed (no %s)", unitName, path)
	}
	if err := systemctl(o, "disable", "--now", unitName); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	if err := systemctl(o, "daemon-reload"); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "removed %s; config and store stay\n", path)
	return nil
}

func serviceStart(_ *app, _ *cobra.Command, o *serviceOpts) error {
	return systemctl(o, "start", unitName)
}

func serviceStop(_ *app, _ *cobra.Command, o *serviceOpts) error {
	return systemctl(o, "stop", unitName)
}

func serviceStatus(_ *app, _ *cobra.Command, o *serviceOpts) error {
	return systemctl(o, "status", "--no-pager", unitName)
}

func serviceRun(_ *app, _ *cobra.Command, _ *serviceOpts) error {
	return usage("markd service run is for the Windows service; systemd runs markd run (see markd service unit)")
}
