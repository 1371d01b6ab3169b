package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"markd/config"
	"markd/daemon"
	"markd/internal/control"
)

func init() { register(newReloadCmd) }

// addControl gives a daemon its control channel (internal/control): the
// file beside the database that `markd reload` uses, on Linux and Windows,
// and its pointer in control.RunDir naming its store and configFile, so
// a reload given another store's config names this daemon.
func addControl(m *daemon.Main, configFile string) error {
	s, err := control.ListenStore(m.Config.DB, func(cmd string) (string, error) {
		if cmd != control.CmdReload {
			return "", nil
		}
		done, err := m.Reload("markd reload")
		if err != nil {
			if note := done.Note(); note != "" {
				err = fmt.Errorf("%w; %s", err, note)
			}
			return "", err
		}
		return strings.Join(done.Report(), "\n"), nil
	}, m.Log)
	if err != nil {
		return err
	}
	if err := s.Announce(control.RunDir(), control.Pointer{DB: m.Config.DB, Config: configFile}); err != nil {
		// only the hint of a reload with another config is lost
		m.Log.Warn("markd reload with another store's config cannot name this daemon", "err", err)
	}
	m.Add("control", s)
	return nil
}

// daemonConfig is the config markd reload finds the daemon by when this
// shell's reading of it was refused (err) for a value, such as a key the
// service sets in its own environment only (a systemd drop-in's
// Environment=MARKD_SYNC_TOKEN): only db is needed here, and the daemon
// reads the config with its own environment, refusing it (exit 1) if it
// is wrong there too. A file that does not decode, or a refused db, is
// err.
func (a *app) daemonConfig(cmd *cobra.Command, err error) (config.Config, error) {
	var ke *config.KeyError
	if !errors.As(err, &ke) || ke.Key == "db" {
		return config.Config{}, err
	}
	c, rerr := config.Read(a.configFile, cmd.Flags())
	if rerr != nil || strings.TrimSpace(c.DB) == "" {
		return config.Config{}, err
	}
	fmt.Fprintf(a.stderr, "warning: %v (as read here); the daemon reads it with its own environment: asking it to reload\n", ke)
	return c, nil
}

func newReloadCmd(a *app) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "reload",
		Short: "Make the running daemon reload its config, keyring, tariffs and revocations",
		Long: `Reload asks the markd daemon that uses the configured database to read its
config again (the same file, environment variables and flags it started
with) and to load its keyring, tariffs and revocation list again from the
files the config names (what SIGHUP does on Linux; on Windows this is the
way). It talks to the daemon over the local control channel whose address
and token the daemon keeps in the file markd.control beside its database,
so it needs the daemon's account or an administrator.

Only the list files (keyring, tariffs, revoked) change in a running
daemon; every other changed key is named as waiting for a restart. While
the lists of a signed bundle from the collector are in force, the list
files are not applied: reload says so, naming the bundle, and exits 0. A
config or a list the daemon cannot load is refused, naming the file and
line, what is in force stays, and reload exits 1.

Reload reads the config itself only to find the daemon's db: a file it
cannot read is exit 2; a value it refuses in this shell's environment (a
key the service sets in its own) is a warning, and the daemon, reading
with its own environment, decides.

Exit status: 0 when the daemon reloaded and refused nothing; 1 when it
refused something or no daemon answers; 2 on a wrong command line or a
config file that cannot be read.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				if c, err = a.daemonConfig(cmd, err); err != nil {
					return err
				}
			}
			note, err := control.SendStore(c.DB, control.CmdReload, timeout)
			if errors.Is(err, control.ErrNotRunning) {
				// the daemon started with this config runs on another
				// store: db edited since its start (it applies at the
				// next), or given to it by a flag or variable of its own
				if p, ok := control.OfConfig(control.RunDir(), a.configFile, min(timeout, 5*time.Second)); ok {
					fmt.Fprintf(a.stdout, "the daemon started with %s runs on the store %s, not %s that the config names here: reloading it\n",
						p.Config, p.DB, c.DB)
					note, err = control.Send(p.Control, control.CmdReload, timeout)
				} else {
					err = control.NotHere(err, c.DB, min(timeout, 5*time.Second))
				}
			}
			if err != nil {
				return err
			}
			if note == "" { // a daemon of an older markd says only ok
				note = "config and lists reloaded"
			}
			fmt.Fprintln(a.stdout, note)
			return nil
		},
	}
	cmd.Flags().String("db", "", "SQLite store file of the daemon (config key db)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the daemon")
	return cmd
}
