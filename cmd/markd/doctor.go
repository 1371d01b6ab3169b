package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/tarm/serial"

	"markd/config"
	"markd/daemon"
	"markd/internal/cli"
	"markd/internal/zones"
	"markd/mark"
	"markd/scanner"
	"markd/store"
	msync "markd/sync"
)

func init() { register(newDoctorCmd) }

func newDoctorCmd(a *app) *cobra.Command {
	var deep bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "List the scanners and cameras this machine sees and check the configured sources",
		Long: "doctor lists serial ports, keyboard-wedge input devices and cameras, checks that\n" +
			"ffmpeg is installed, then opens every source of the config (--config) and says\n" +
			"in plain words what is wrong. With --deep it also reads the whole database\n" +
			"(SQLite quick_check and foreign_key_check; minutes on a large store); without\n" +
			"it, only that the database file is there and this user may write it. Exit\n" +
			"status 0 when every configured source and the database are usable, 1 otherwise;\n" +
			"2 when the config does not load (the error names its key, file and line).",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			d := doctor{w: a.stdout}
			d.inventory()
			d.zoneData(c)
			bad := d.checkSources(cmd.Context(), c.Sources)
			checked := len(c.Sources)
			if c.Scale.Port != "" {
				checked++
				if !d.checkScale(cmd.Context(), c.Scale) {
					bad++
				}
			}
			if c.Sync.URL != "" {
				d.checkProxy(c.Sync)
			}
			var storeErr error
			if deep {
				if err := d.checkStore(cmd.Context(), c.DB); err != nil {
					return err
				}
			} else {
				storeErr = d.checkStoreFile(c.DB)
			}
			if bad > 0 {
				return fmt.Errorf("%d of %d configured sources have a problem (see above): %w", bad, checked, mark.ErrUnavailable)
			}
			return storeErr
		},
	}
	cmd.Flags().BoolVar(&deep, "deep", false, "also check the whole database file (slow on a large store)")
	cmd.Flags().String("db", "", "SQLite store file (config key db)")
	return cmd
}

// checkStore runs the full checks of the database that no open runs.
func (d doctor) checkStore(ctx context.Context, path string) error {
	d.printf("Database %s: ", path)
	db, err := store.OpenExisting(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		d.printf("cannot open\n")
		return err
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		d.printf("damaged\n")
		return err
	}
	d.printf("ok\n")
	return nil
}

// checkStoreFile is the cheap look at the database without --deep: the
// file is there, a file, this user may read and write it, and it is an
// SQLite file whose write-ahead log lost no commit (store.CheckFile). It does not
// open it with SQLite (no migration, no lock beside a running daemon).
func (d doctor) checkStoreFile(path string) error {
	d.printf("Database %s: ", path)
	fail := func(what, hint string, err error) error {
		d.printf("PROBLEM: %s\n", what)
		return mark.WithHint(fmt.Errorf("database %s: %s: %w: %w", path, what, mark.ErrUnavailable, err), hint)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("missing", "`markd init` creates the store of a new counter; check the config key db", err)
	case err != nil:
		return fail("cannot be read", "check the folder's permissions for the markd user", err)
	case !fi.Mode().IsRegular():
		return fail("not a file", "the config key db must name the SQLite store file", fs.ErrInvalid)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fail("this user may not write it", "run doctor as the markd user, or give that user the file", err)
	}
	f.Close()
	// an SQLite file, and its write-ahead log has every commit its index
	// counts (read from the files: a running daemon's are not looked at)
	if err := store.CheckFile(path); err != nil {
		d.printf("PROBLEM: %v\n", err)
		return err
	}
	schema := ""
	if top, known, err := store.FileSchema(path); err == nil && top > 0 {
		schema = fmt.Sprintf("schema %03d (this markd %03d), ", top, known)
	}
	d.printf("ok, %s%d MB (--deep reads it all)\n", schema, (fi.Size()+1<<19)>>20)
	return nil
}

// zoneData says which zone data tz comes from (zone_data) and its tz
// release, to compare with the collector's (/healthz zone_data).
func (d doctor) zoneData(c config.Config) {
	data, err := c.ZoneSet()
	if err != nil { // refused by Validate before
		d.printf("Zone data: PROBLEM: %v\n", err)
		return
	}
	where := "inside markd, the same on every counter of this release"
	if data.Source() == zones.System {
		where = "this machine's zone files (zone_data: system)"
	}
	d.printf("Zone data: %s, tz release %s (%s); tz %s\n", data.Source(), data.Version(), where, c.TZ)
}

// checkProxy says the way uploads take to the collector: the proxy
// (host:port, never its password) and the setting that chose it
// (sync.proxy, HTTPS_PROXY, the WinHTTP proxy on Windows), or direct and
// why. Nothing is dialed.
func (d doctor) checkProxy(c config.SyncConfig) {
	d.printf("Collector %s: proxy ", c.URL)
	p, err := msync.ResolveProxy(c.Proxy, c.URL)
	if err != nil {
		d.printf("PROBLEM: %v\n", err)
		return
	}
	d.printf("%s\n", p)
}

type doctor struct{ w io.Writer }

func (d doctor) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

func ffmpegState() string {
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		return "not installed (camera sources need it: " + ffmpegHint + ")"
	}
	out, err := exec.Command(p, "-hide_banner", "-version").Output()
	if err != nil {
		return p + ": does not run: " + err.Error()
	}
	first, _, _ := bytes.Cut(out, []byte("\n"))
	return p + " (" + strings.TrimSpace(string(first)) + ")"
}

// checkSources opens every configured source and returns how many are bad.
func (d doctor) checkSources(ctx context.Context, srcs []config.Source) int {
	d.printf("Configured sources:\n")
	if len(srcs) == 0 {
		d.printf("  none: the daemon reads scans from stdin on a terminal or a pipe; as a service, only the local API and the operator screen\n")
		return 0
	}
	bad := 0
	for i, c := range srcs {
		name := sourceName(c, i)
		problem := checkSource(ctx, c)
		if problem == "" {
			d.printf("  %s (%s): ok\n", name, c.Kind)
			continue
		}
		bad++
		d.printf("  %s (%s): PROBLEM: %s\n", name, c.Kind, problem)
	}
	return bad
}

// scaleWait is how long doctor listens to the scale for a weight line.
const scaleWait = 3 * time.Second

// checkScale opens the configured scale and listens for a weight line; it
// reports false for a problem. A scale that sends nothing is only a
// warning: many send a line only once something lies on them.
func (d doctor) checkScale(ctx context.Context, c config.ScaleConfig) bool {
	d.printf("Scale:\n")
	pr, err := scanner.ProbeScale(ctx, daemon.ScaleConfig(c), scaleWait)
	switch {
	case err != nil:
		d.printf("  scale (%s): PROBLEM: %s\n", c.Port, portProblem(err))
		return false
	case pr.Matched:
		d.printf("  scale (%s): ok, reads %d g from %q\n", pr.Path, pr.Grams, pr.Last)
	case pr.Lines == 0:
		d.printf("  scale (%s): open, but no line in %v: is it on and set to send (continuous or on stable)? Put a letter on it and run doctor again\n", pr.Path, scaleWait)
	default:
		why := "no line matches scale.pattern " + c.Pattern
		if pr.Err != nil {
			why = pr.Err.Error() + " (check scale.pattern and scale.unit)"
		}
		d.printf("  scale (%s): PROBLEM: %d lines, %s; last line %q\n", pr.Path, pr.Lines, why, pr.Last)
		return false
	}
	return true
}

func sourceName(c config.Source, i int) string {
	if c.Name != "" {
		return c.Name
	}
	return fmt.Sprintf("%s%d", c.Kind, i)
}

// checkSource returns "" when the source can be used, else plain words.
func checkSource(ctx context.Context, c config.Source) string {
	switch c.Kind {
	case "stdin":
		return ""
	case "serial":
		sc, err := daemon.SerialConfig(c)
		if err != nil {
			return err.Error()
		}
		path, err := scanner.ResolvePort(sc.Port)
		if err != nil {
			return fmt.Sprintf("%s: %s", c.Port, portProblem(err))
		}
		pc, err := sc.PortConfig(path)
		if err != nil {
			return err.Error()
		}
		// A pty a live markd reads is claimed by a lock, not refused at
		// its open: ask first, and leave its line settings alone.
		if err := scanner.PortFree(path); err != nil {
			return fmt.Sprintf("%s: %s", path, portProblem(err))
		}
		p, err := serial.OpenPort(pc)
		if err != nil {
			return fmt.Sprintf("%s: %s", path, portProblem(err))
		}
		defer p.Close()
		if _, err := p.Write(nil); err != nil {
			return fmt.Sprintf("%s: %s", path, portProblem(err))
		}
		return ""
	case "wedge":
		wc := daemon.WedgeConfig(c)
		path, err := scanner.ResolvePort(wc.Device)
		if err != nil {
			return fmt.Sprintf("%s: %s", c.Device, scanner.PlainDeviceError(err, "input"))
		}
		f, err := scanner.OpenInput(path, wc.Grab)
		if err != nil {
			return fmt.Sprintf("%s: %s", path, scanner.PlainDeviceError(err, "input"))
		}
		f.Close() // closing releases the grab
		return ""
	case "camera":
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return "ffmpeg is not installed (" + ffmpegHint + ")"
		}
		if strings.HasPrefix(c.Input, "/dev/") {
			f, err := os.OpenFile(c.Input, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				return fmt.Sprintf("%s: %s", c.Input, scanner.PlainDeviceError(err, "video"))
			}
			f.Close()
		}
		return ""
	}
	return fmt.Sprintf("kind %q is not known to this build", c.Kind)
}
