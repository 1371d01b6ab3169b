package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// release is what scripts/releasestores wrote beside each store that a
// real older markd made (store/testdata/releases/NAME.json).
type release struct {
	name       string
	Commit     string    `json:"commit"`
	Schema     int       `json:"schema"`
	MadeAt     time.Time `json:"made_at"`
	Scans      int       `json:"scans"`
	AcceptText string    `json:"accept_text"`
	Batch      string    `json:"batch"`
	Pending    int       `json:"pending"`
}

func releaseStores(t *testing.T) []release {
	t.Helper()
	names, rs := testdata.JSONFiles[release](t, filepath.Join(repoRoot(t), "store", "testdata", "releases"), 3)
	for i := range rs {
		rs[i].name = names[i]
	}
	return rs
}

// unpack writes the release's store to dir/markd.db.
func (r release) unpack(t *testing.T, dir string) string {
	t.Helper()
	return gunzipFile(t, filepath.Join(repoRoot(t), "store", "testdata", "releases", r.name+".db.gz"), filepath.Join(dir, "markd.db"))
}

// TestReleaseStoresUpgradeReal: the fleet engineer's upgrade, with the real
// binaries: a store a real older markd made (accepted, rejected, REUSED,
// reviewed, a batch when that release had one, every record waiting for a
// collector) is taken by this markd: `markd doctor --deep` finds it sound,
// `markd run` judges a mark that store accepted REUSED, and `markd sync
// --once` against a real markhub uploads every waiting record, and a
// second sync --once uploads nothing again.
func TestReleaseStoresUpgradeReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs markd and markhub")
	}
	markd, markhub := markdBinary(t), markhubBinary(t)
	td := testdata.Dir(t)
	for _, r := range releaseStores(t) {
		t.Run(r.name, func(t *testing.T) {
			dir, hubDir := t.TempDir(), t.TempDir()
			path := r.unpack(t, dir)
			hubDB := filepath.Join(hubDir, "hub.db")
			hub := []string{"--db-driver", "sqlite", "--db", hubDB}
			hubCLI := func(args ...string) string {
				t.Helper()
				if args[0] != "keys" {
					args = append(args, hub...)
				}
				out, err := exec.Command(markhub, args...).Output()
				if err != nil {
					t.Fatalf("markhub %s: %v", strings.Join(args, " "), err)
				}
				return strings.TrimSpace(string(out))
			}
			distKey := filepath.Join(hubDir, "distribution.key")
			pub := hubCLI("keys", "new", "--out", distKey)
			tok := hubCLI("terminal", "add", "counter-1", "--office", "426000")
			hubCLI("bundle", "publish", "--key", distKey,
				"--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml"))
			hubURL := startHub(t, markhub, hub)
			cfg := counterConfig(t, dir, 426000, hubURL, tok, pub, "")
			// run without the collector: what it scans waits for sync --once
			local := filepath.Join(dir, "local.yaml")
			body, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := strings.Cut(string(body), "sync:\n")
			if err := os.WriteFile(local, []byte(head), 0o600); err != nil {
				t.Fatal(err)
			}

			if out, err := exec.Command(markd, "doctor", "--deep", "--config", local).CombinedOutput(); err != nil {
				t.Fatalf("markd doctor --deep on the store markd %s made: %v\n%s", r.Commit, err, out)
			}
			v := runOne(t, markd, local, r.MadeAt.Add(24*time.Hour), r.AcceptText)
			if v.Verdict != mark.Reject || !slices.Contains(v.Reasons, mark.ReasonReused) {
				t.Errorf("a mark the store accepted, scanned again after the upgrade: %s %v, want REJECT REUSED", v.Verdict, v.Reasons)
			}

			sync := func() string {
				t.Helper()
				out, err := exec.Command(markd, "sync", "--once", "--config", cfg).CombinedOutput()
				if err != nil {
					t.Fatalf("markd sync --once: %v\n%s", err, out)
				}
				return string(out)
			}
			out := sync()
			want := r.Pending + 1 // and the REUSED scan of this markd
			if got := hubCount(t, hubDB, `SELECT count(*) FROM records WHERE terminal = 'counter-1'`); got != want {
				t.Errorf("the collector holds %d records of the counter, want %d\n%s", got, want, out)
			}
			if got := hubCount(t, hubDB, `SELECT count(*) FROM events WHERE terminal = 'counter-1'`); got != 2 {
				t.Errorf("the collector holds %d review decisions, want 2 (confirm, override)\n%s", got, out)
			}
			if r.Batch != "" {
				if got := hubCount(t, hubDB, `SELECT count(*) FROM batches WHERE terminal = 'counter-1'`); got != 1 {
					t.Errorf("the collector holds %d batches, want 1\n%s", got, out)
				}
			}
			out = sync()
			if got := hubCount(t, hubDB, `SELECT count(*) FROM records WHERE terminal = 'counter-1'`); got != want {
				t.Errorf("after a second sync --once the collector holds %d records, want %d\n%s", got, want, out)
			}
			db, err := store.OpenExisting(context.Background(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if st, err := db.OutboxStats(context.Background()); err != nil || st.Records != 0 || st.Events != 0 {
				t.Errorf("outbox after sync --once: %+v, %v", st, err)
			}
		})
	}
}

type verdictOut struct {
	Verdict mark.Verdict  `json:"verdict"`
	Reasons []mark.Reason `json:"reasons"`
}

// runOne starts `markd run` with its clock at clock, scans text on stdin,
// reads the verdict and stops it with SIGTERM.
func runOne(t *testing.T, markd, cfg string, clock time.Time, text string) verdictOut {
	t.Helper()
	cmd := exec.Command(markd, "run", "--config", cfg, "--clock", clock.Format(time.RFC3339))
	var logs bytes.Buffer
	cmd.Stderr = &logs
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan verdictOut, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var v verdictOut
			if json.Unmarshal(sc.Bytes(), &v) == nil && v.Verdict != "" {
				got <- v
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	fmt.Fprintln(stdin, text)
	var v verdictOut
	select {
	case v = <-got:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("no verdict from markd run:\n%s", logs.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("markd run: %v\n%s", err, logs.String())
	}
	return v
}

func hubCount(t *testing.T, path, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestDowngradeRefusedReal: a store this markd migrated is refused by a
// markd that knows fewer migrations, with both versions named, and its
// bytes unchanged: the store of an older release, opened by this markd,
// then given to a markd built with the migrations of that release only
// is not possible here, so the newer store is made by recording a
// migration past this markd's last, as a newer release would.
func TestDowngradeRefusedReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs markd")
	}
	markd := markdBinary(t)
	r := releaseStores(t)[0]
	dir := t.TempDir()
	path := r.unpack(t, dir)
	cfg := writeConfigAt(t, dir, path)
	// this markd upgrades the store first (every command but doctor
	// migrates at open)
	if out, err := exec.Command(markd, "user", "list", "--config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("markd user list (the upgrade): %v\n%s", err, out)
	}
	known, newer, sum := recordNewerMigration(t, path, "store")
	before := sum()
	for _, args := range [][]string{
		{"run", "--quiet"}, {"doctor"}, {"doctor", "--deep"}, {"sync", "--once"}, {"user", "list"}, {"token", "list"},
	} {
		cmd := exec.Command(markd, append(args, "--config", cfg)...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("markd %s on a store of schema %d: exit 0, want a refusal\n%s", strings.Join(args, " "), newer, out)
			continue
		}
		for _, s := range []string{fmt.Sprintf("migration %d applied", newer), fmt.Sprintf("knows up to %d", known), "newer than this markd"} {
			if !strings.Contains(string(out), s) {
				t.Errorf("markd %s: the refusal lacks %q:\n%s", strings.Join(args, " "), s, out)
			}
		}
		if sum() != before {
			t.Fatalf("markd %s changed the refused store's bytes", strings.Join(args, " "))
		}
		for _, side := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(path + side); err == nil {
				t.Errorf("markd %s left %s%s beside the refused store", strings.Join(args, " "), path, side)
			}
		}
	}
}

// writeConfigAt writes a counter's config without a collector for the
// store at db, in dir.
func writeConfigAt(t *testing.T, dir, db string) string {
	t.Helper()
	td := testdata.Dir(t)
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf("office: 426000\ncounter: \"1\"\ntz: Europe/Moscow\nkeyring: %q\ntariffs: %q\ndb: %q\n"+
		"http:\n  listen: 127.0.0.1:0\nsync:\n  url: http://127.0.0.1:9/\n  token: unused\n",
		filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), db)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// recordNewerMigration makes the SQLite database at path one a newer
// release migrated: it checks that the database holds every migration of
// the repository's folder dir (…/migrations/NNN_*.sql) and records one
// past the last, as that release would. It returns the last migration this
// tree knows, the one recorded, and a reader of the file's SHA-256 (a
// refusal must leave the file as it was).
func recordNewerMigration(t *testing.T, path string, dir ...string) (known, newer int, sum func() [32]byte) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(append(append([]string{repoRoot(t)}, dir...), "migrations", "*.sql")...))
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations of %s: %v", filepath.Join(dir...), err)
	}
	known, err = strconv.Atoi(strings.SplitN(filepath.Base(names[len(names)-1]), "_", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	var top int
	if err := raw.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&top); err != nil || top != known {
		t.Fatalf("schema %d after the upgrade, want %d (%v)", top, known, err)
	}
	newer = known + 1
	if _, err := raw.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, '2027-01-01T00:00:00Z')`,
		newer, fmt.Sprintf("%03d_newer_release.sql", newer)); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	return known, newer, func() [32]byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
}

// gunzipFile writes the gzipped file src, unzipped, to dst (a release's
// database: the one in testdata is never opened) and returns dst.
func gunzipFile(t *testing.T, src, dst string) string {
	t.Helper()
	gz, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}
