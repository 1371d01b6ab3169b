package main

import (
	"encoding/json"
	"io"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"markd/config"
	"markd/daemon"
	"markd/internal/cli"
	"markd/mark"
	"markd/store"
)

func init() { register(newRunCmd) }

// newRunCmd is `markd run`: the counter daemon (package daemon).
func newRunCmd(a *app) *cobra.Command {
	var quiet bool
	var clock string
	var skew time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the counter daemon: sources → verify → store → HTTP API and pages",
		Long: `Run reads scans from the configured sources (stdin when none), judges each
against the keyring, tariffs and revocations, records it durably in the
SQLite store (reuse detection included) and serves /healthz, /metrics,
the local API of the cash-desk program (/api/scans, /api/batches;
docs/local-api.md), /events and the operator and supervisor pages on
http.listen.

One JSON line per verdict goes to stdout (unless --quiet), written only
after the record is committed. SIGTERM/SIGINT stop gracefully; SIGHUP,
markd reload or a change of the config file or of the keyring, tariffs or
revoked files reloads the config and the lists (a broken file is refused
and what is in force stays; changed keys other than the list files are
named in the log as waiting for a restart).

Exit status: 0 when stopped by SIGTERM or SIGINT; 78 when no restart can
mend the error: the config does not load or is refused, the store is
missing, not a store or migrated by a newer markd, a permission is refused
(the systemd unit does not restart on 78); 1 on other failures at start, a
restart may mend them (the port taken, the store in use by another markd
run); 2 on a wrong command line.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A verdict line or a log line written after the reader of
			// stdout or stderr went away (markd run | tee, a log shipper
			// restarted) would kill the daemon by SIGPIPE: the counter
			// stops taking scans. Ignored, the write fails and is dropped;
			// the record is in the store.
			signal.Ignore(syscall.SIGPIPE)
			c, err := a.loadConfig(cmd)
			if err != nil {
				// whatever is wrong with it, the same file fails again
				return cli.NoRestartError{Err: err}
			}
			hup, stopHUP := notifyHUP()
			defer stopHUP()
			o := daemon.Options{Config: c, Stderr: a.stderr, Stdin: a.stdin, Reload: hup, ConfigFile: a.configFile}
			// A reload reads the config as it was read here: the same
			// file, environment and flags (they keep overriding the file).
			o.LoadConfig = func() (config.Config, error) {
				c, err := config.Load(a.configFile, cmd.Flags())
				if clock != "" {
					c.Sync.ClockLimit = 0 // as below
				}
				return c, err
			}
			if clock != "" {
				t, err := time.Parse(time.RFC3339Nano, clock)
				if err != nil {
					return usage("--clock %q: not an RFC 3339 time", clock)
				}
				start := time.Now()
				o.Now = func() time.Time { return t.Add(time.Since(start)) }
				// A clock moved on purpose: the sync measures the skew
				// against the collector only.
				o.Config.Sync.ClockLimit = 0
			} else if skew != 0 {
				o.Now = func() time.Time { return time.Now().Add(skew) }
			}
			if !quiet {
				o.OnRecord = newVerdictPrinter(a.stdout).print
			}
			ctx := cmd.Context()
			m, err := daemon.Open(ctx, o)
			if err != nil {
				return noRestart(config.NameOrigin(err, a.configFile, cmd.Flags()))
			}
			defer m.Close()
			if err := addControl(m, a.configFile); err != nil {
				return noRestart(err)
			}
			if err := m.Run(ctx); err != nil {
				// the supervisor stops only on a configuration error
				return cli.NoRestartError{Err: err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&quiet, "quiet", false, "do not print one JSON line per verdict on stdout")
	fl.String("db", "", "SQLite store file (config key db)")
	fl.String("counter", "", "id of this counter (config key counter)")
	cli.Uint32(fl, "office", 0, "postal index of this office (config key office)")
	// Tests that need the real process (SIGKILL, a full disk) fix its
	// clock with this; the others run daemon.Main in-process with Now.
	fl.StringVar(&clock, "clock", "", "tests only: the daemon's clock starts at this time (RFC 3339) and runs on")
	_ = fl.MarkHidden("clock")
	fl.DurationVar(&skew, "clock-skew", 0, "tests only: the daemon's clock runs this far from the machine's")
	_ = fl.MarkHidden("clock-skew")
	return cmd
}

// noRestart marks an error of markd run at start that starting it again
// cannot cure, for exit 78 (cli.ExitNoRestart: the systemd unit does not
// restart on it, the Windows service stops without its recovery actions):
// a configuration the daemon refuses (office, tz, http.listen, TLS files,
// list files, sources, sync keys); a store that is missing, empty, not
// SQLite or damaged (store.ErrNotAStore: restore a backup or correct db),
// or that a newer markd migrated; and a permission refused (a store or
// folder the service user may not write, a port below 1024). Everything
// else keeps its code (1): the port taken by another program, the store in
// use by another markd run, a disk full or failing may be gone at the next
// start.
func noRestart(err error) error {
	return cli.NoRestart(err, store.ErrNotAStore, store.ErrSchemaNewer)
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

// verdictPrinter writes the stdout line of each record.
type verdictPrinter struct {
	mu  sync.Mutex
	w   io.Writer
	enc *json.Encoder
	buf []byte
	n   int
}

func newVerdictPrinter(w io.Writer) *verdictPrinter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &verdictPrinter{w: w, enc: enc}
}

func (p *verdictPrinter) print(rec mark.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if b, ok := appendRunLine(p.buf[:0], p.n, &rec); ok {
		p.buf = b
		_, _ = p.w.Write(b)
		return
	}
	_ = p.enc.Encode(runLine{verifyLine: verifyOutput(p.n, &rec), ID: rec.ID, At: rec.At,
		Counter: rec.Counter, Source: rec.Source})
}
