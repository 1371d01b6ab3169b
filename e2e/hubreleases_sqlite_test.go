package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"markd/hub/hubtest"
	"markd/internal/testdata"
)

// sqliteHubReleases are the SQLite collector databases real older
// markhub binaries made (hub/sqlitestore/testdata/releases,
// scripts/release-stores.sh), and their folder.
func sqliteHubReleases(t *testing.T) (string, []hubtest.Release) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "hub", "sqlitestore", "testdata", "releases")
	return dir, hubtest.Releases(t, dir)
}

// unpackHubRelease writes the release database r of dir, unzipped, to a
// file of t.TempDir() (the one in testdata is never opened).
func unpackHubRelease(t *testing.T, dir string, r hubtest.Release) string {
	t.Helper()
	return gunzipFile(t, filepath.Join(dir, r.Name+".db.gz"), filepath.Join(t.TempDir(), "hub.db"))
}

// TestHubSQLiteReleaseDatabasesUpgradeReal: the collector's upgrade on
// SQLite, with the real binaries: each database a real older markhub
// made (hub/sqlitestore/testdata/releases), copied to a temporary
// folder, is served by this markhub binary (every later migration
// applied at its first command) with the bundle the old one published,
// then held to checkHubRelease as the PostgreSQL ones: a new markd of the
// office restores its reuse history from the old rows, an old acceptance
// scanned again is REJECT REUSED naming it, and sync --once uploads it
// exactly once.
func TestHubSQLiteReleaseDatabasesUpgradeReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs markd and markhub")
	}
	markd, markhub := markdBinary(t), markhubBinary(t)
	dir, releases := sqliteHubReleases(t)
	for _, r := range releases {
		t.Run(r.Name, func(t *testing.T) {
			path := unpackHubRelease(t, dir, r)
			conn, err := sql.Open("sqlite3", path)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := conn.QueryRow(q, args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}
			ids := func(old []string) string {
				b, err := json.Marshal(old)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			db := hubReleaseDB{
				args: []string{"--db", path},
				accepted: func(terminal string) (text, id string, at time.Time, err error) {
					var when string
					if err = conn.QueryRow(`SELECT raw_text, id, at FROM records
						WHERE terminal = ? AND verdict = 'ACCEPT' ORDER BY at, id LIMIT 1`, terminal).Scan(&text, &id, &when); err != nil {
						return "", "", time.Time{}, err
					}
					at, err = time.Parse(time.RFC3339Nano, when)
					return text, id, at, err
				},
				records: func(terminal string) int {
					return count(`SELECT count(*) FROM records WHERE terminal = ?`, terminal)
				},
				reusedNaming: func(terminal string, old []string, held string) int {
					return count(`SELECT count(*) FROM records WHERE terminal = ?
						AND id NOT IN (SELECT value FROM json_each(?)) AND first_accepted LIKE '%' || ? || '%'`, terminal, ids(old), held)
				},
				oldKept: func(terminal string, old []string) int {
					return count(`SELECT count(*) FROM records WHERE terminal = ? AND id IN (SELECT value FROM json_each(?))`, terminal, ids(old))
				},
				events: func() int { return count(`SELECT count(*) FROM events`) },
			}
			checkHubRelease(t, markd, markhub, r, db)
		})
	}
}

// TestHubSQLiteNewerRefusedReal: an SQLite collector database a newer
// markhub migrated is refused by this markhub binary, with both
// versions named, and its bytes unchanged: `markhub serve` exits 78
// (hub.ErrSchemaNewer: a unit with RestartPreventExitStatus=78 is not
// restarted), its other commands fail too. A newer markhub is not at
// hand, so the newest release database, upgraded by this markhub, has a
// migration past this markhub's last recorded, as a newer release would.
func TestHubSQLiteNewerRefusedReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs markhub")
	}
	markhub := markhubBinary(t)
	dir, releases := sqliteHubReleases(t)
	r := releases[len(releases)-1]
	path := unpackHubRelease(t, dir, r)
	if out, err := exec.Command(markhub, "terminal", "list", "--db", path).CombinedOutput(); err != nil {
		t.Fatalf("markhub terminal list (the upgrade) on the database markhub %s made: %v\n%s", r.Commit, err, out)
	}
	known, newer, sum := recordNewerMigration(t, path, "hub", "sqlitestore")
	before := sum()
	for _, c := range []struct {
		args []string
		code int // 0: any refusal
	}{
		{[]string{"serve", "--listen", "127.0.0.1:0"}, 78},
		{[]string{"terminal", "list"}, 0},
		{[]string{"terminal", "token", r.Terminal}, 0},
	} {
		// a serve that is not refused runs until the deadline
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, markhub, append(c.args, "--db", path)...)
		code, stderr := testdata.RunExit(t, cmd)
		cancel()
		name := strings.Join(c.args, " ")
		if code == 0 || (c.code != 0 && code != c.code) {
			t.Errorf("markhub %s on a database of schema %d: exit %d, want %s\n%s", name, newer, code, refusal(c.code), stderr)
		}
		for _, s := range []string{path, fmt.Sprintf("migration %d applied", newer), fmt.Sprintf("knows up to %d", known)} {
			if !strings.Contains(stderr, s) {
				t.Errorf("markhub %s: the refusal lacks %q:\n%s", name, s, stderr)
			}
		}
		if sum() != before {
			t.Fatalf("markhub %s changed the refused database's bytes", name)
		}
		for _, side := range []string{"-wal", "-shm", "-journal"} {
			if _, err := os.Stat(path + side); err == nil {
				t.Errorf("markhub %s left %s%s beside the refused database", name, path, side)
			}
		}
	}
}

func refusal(code int) string {
	if code == 0 {
		return "a refusal"
	}
	return strconv.Itoa(code)
}
