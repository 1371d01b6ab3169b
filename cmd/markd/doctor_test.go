//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"markd/internal/testdata"
)

// socatPty starts a socat pseudo-terminal pair and returns the path the
// daemon would open; it stops with the test.
func socatPty(t *testing.T, dir string) (string, *os.File) {
	t.Helper()
	return testdata.SocatPair(t, dir, "ttyACM-scanner", "peer", "doctor's serial check")
}

func TestDoctor(t *testing.T) {
	dir, err := os.MkdirTemp("", "markd-doctor-") // socat: no ',' in the path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pty, _ := socatPty(t, dir)
	fifo := filepath.Join(dir, "usb-Scanner-event-kbd")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "markd.db")
	initStore(t, dbPath)
	latest := latestMigration(t)
	saved := devGlobs
	devGlobs.serial = []string{filepath.Join(dir, "ttyACM*")}
	devGlobs.input = []string{filepath.Join(dir, "*-event-kbd")}
	devGlobs.video = []string{filepath.Join(dir, "video*")}
	t.Cleanup(func() { devGlobs = saved })

	tests := []struct {
		name    string
		sources string
		code    int
		want    []string
	}{
		{"all fine", "  - kind: stdin\n  - kind: serial\n    name: front\n    port: " + filepath.Join(dir, "ttyACM*") +
			"\n    good_beep: '\\x07'\n  - kind: wedge\n    name: kbd\n    device: " + fifo + "\n    grab: false\n", 0,
			[]string{"Database " + dbPath + ": ok, " + fmt.Sprintf("schema %03d (this markd %03d), ", latest, latest), pty + " -> /dev/pts/", "front (serial): ok", "kbd (wedge): ok", fifo + ": ok", "Cameras:\n  none found"}},
		{"unplugged serial", "  - kind: serial\n    name: back\n    port: " + filepath.Join(dir, "ttyUSB9") + "\n", 1,
			[]string{"back (serial): PROBLEM:", "not plugged in"}},
		{"glob matches nothing", "  - kind: serial\n    port: " + filepath.Join(dir, "by-id", "*") + "\n", 1,
			[]string{"serial0 (serial): PROBLEM:", "not plugged in"}},
		{"not a serial port", "  - kind: serial\n    port: " + plain + "\n", 1,
			[]string{"not a serial device"}},
		{"grab on a non-evdev", "  - kind: wedge\n    device: " + fifo + "\n    grab: true\n", 1,
			[]string{"wedge0 (wedge): PROBLEM:", "not an input event device"}},
		{"missing wedge", "  - kind: wedge\n    device: " + filepath.Join(dir, "none-event-kbd") + "\n", 1,
			[]string{"not plugged in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "markd.yaml")
			code, out, errOut := runDoctor(t, cfg, "db: "+dbPath+"\nsources:\n"+tt.sources)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			// doctor looks once: it does not say it is retrying, as the
			// daemon's light does
			if strings.Contains(out, "retrying") {
				t.Errorf("doctor says it is retrying:\n%s", out)
			}
		})
	}
}

// TestDoctorDeep: --deep checks the whole database (what no open does any
// more) and fails on a broken reference.
func TestDoctorDeep(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "markd.db")
	initStore(t, dbPath)
	cfg := filepath.Join(dir, "markd.yaml")
	if err := os.WriteFile(cfg, []byte("db: "+dbPath+"\nsources:\n  - kind: stdin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doctor := func() (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"doctor", "--deep", "--config", cfg}, strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := doctor(); code != 0 || !strings.Contains(out, "Database "+dbPath+": ok") {
		t.Fatalf("healthy store: exit %d\n%s", code, out)
	}
	db, err := sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO used_serials(serial, record_id) VALUES (7, 'nowhere')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, out := doctor(); code == 0 || !strings.Contains(out, "damaged") || !strings.Contains(out, "used_serials") {
		t.Fatalf("broken reference: exit %d\n%s", code, out)
	}
}

// TestDoctorScale: doctor opens the configured scale, listens for a weight
// line and says what it read, or why not.
func TestDoctorScale(t *testing.T) {
	for _, tt := range []struct {
		name, send, pattern string
		plugged             bool
		code                int
		want                string
	}{
		{"reads", "US,GS,   0.120kg\r\nST,GS,   0.125kg\r\n", "", true, 0, `ok, reads 125 g from "ST,GS,   0.125kg"`},
		{"pattern does not match", "W 125\r\n", "", true, 1, `PROBLEM: 1 lines, no line matches scale.pattern`},
		{"no unit", "W 125\r\n", `^W (\d+)`, true, 1, `PROBLEM: 1 lines, weight has no unit kg or g: "" (check scale.pattern and scale.unit)`},
		{"unplugged", "", "", false, 1, "PROBLEM: not plugged in"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// each its own folder, pty and store; two of them wait out
			// doctor's scaleWait for a line that never matches: at once
			t.Parallel()
			dir, err := os.MkdirTemp("", "markd-doctor-") // socat: no ',' in the path
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			port := filepath.Join(dir, "ttyUSB-scale")
			if tt.plugged {
				var peer *os.File
				port, peer = socatPty(t, dir)
				if _, err := peer.WriteString(tt.send); err != nil {
					t.Fatal(err)
				}
			}
			dbPath := filepath.Join(dir, "markd.db")
			initStore(t, dbPath)
			body := "db: " + dbPath + "\nsources:\n  - kind: stdin\nscale:\n  port: " + port + "\n"
			if tt.pattern != "" {
				body += "  pattern: '" + tt.pattern + "'\n"
			}
			code, out, errOut := runDoctor(t, filepath.Join(dir, "markd.yaml"), body)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s\nstderr:\n%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
}

// TestDoctorStoreFile: plain doctor (no --deep) says when the database
// file is missing or not a file, without opening it with SQLite (so no
// store is made or migrated), and takes --db like the other commands.
func TestDoctorStoreFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "markd.db")
	initStore(t, good)
	cfg := filepath.Join(dir, "markd.yaml")
	if err := os.WriteFile(cfg, []byte("db: "+good+"\nsources:\n  - kind: stdin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "moved", "markd.db")
	for _, tt := range []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"there", nil, 0, "Database " + good + ": ok, ", ""},
		{"missing", []string{"--db", missing}, 1, "Database " + missing + ": PROBLEM: missing", "markd init"},
		{"a folder", []string{"--db", dir}, 1, "Database " + dir + ": PROBLEM: not a file", "config key db"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"doctor", "--config", cfg}, tt.args...), strings.NewReader(""), &out, &errOut)
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errOut.String(), tt.err) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant %q and %q", code, tt.code, out.String(), errOut.String(), tt.out, tt.err)
			}
		})
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Fatalf("doctor made the missing store's folder: %v", err)
	}
}

// latestMigration is the number of the last of store/migrations, read
// from the folder (what `markd doctor` names as this markd's schema).
func latestMigration(t *testing.T) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "..", "store", "migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations in store/migrations: %v", err)
	}
	num, _, _ := strings.Cut(filepath.Base(names[len(names)-1]), "_")
	n, err := strconv.Atoi(num)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
