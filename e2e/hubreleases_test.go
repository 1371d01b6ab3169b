package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub/hubtest"
	"markd/mark"
)

// TestHubReleaseDatabasesUpgradeReal: the collector's upgrade on
// PostgreSQL, with the real binaries: a database a real older markhub
// made (its counter's day uploaded to it; hub/pgstore/testdata/releases,
// a pg_dump of scripts/release-stores.sh), restored into a database of a
// private cluster, is served by this markhub binary (every later
// migration applied at its first command) with the bundle the old one
// published, then held to checkHubRelease. The SQLite databases:
// TestHubSQLiteReleaseDatabasesUpgradeReal.
func TestHubReleaseDatabasesUpgradeReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs markd and markhub")
	}
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL test skipped: " + why)
	}
	markd, markhub := markdBinary(t), markhubBinary(t)
	dir := filepath.Join(repoRoot(t), "hub", "pgstore", "testdata", "releases")
	releases := hubtest.Releases(t, dir)
	for _, r := range releases {
		t.Run(r.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := hubtest.SharedDatabase(t)
			if err := hubtest.RestoreDump(ctx, dsn, filepath.Join(dir, r.Name+".sql.gz")); err != nil {
				t.Fatalf("restore the database markhub %s made: %v", r.Commit, err)
			}
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := conn.QueryRow(ctx, q, args...).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}
			db := hubReleaseDB{
				args: []string{"--db-driver", "postgres", "--db", dsn},
				accepted: func(terminal string) (text, id string, at time.Time, err error) {
					err = conn.QueryRow(ctx, `SELECT raw_text, id, at FROM records
						WHERE terminal = $1 AND verdict = 'ACCEPT' ORDER BY at, id LIMIT 1`, terminal).Scan(&text, &id, &at)
					return text, id, at, err
				},
				records: func(terminal string) int {
					return count(`SELECT count(*) FROM records WHERE terminal = $1`, terminal)
				},
				reusedNaming: func(terminal string, old []string, held string) int {
					return count(`SELECT count(*) FROM records WHERE terminal = $1 AND NOT (id = ANY($2))
						AND first_accepted LIKE '%' || $3::text || '%'`, terminal, old, held)
				},
				// record_keys: the partitioned records' unique ids
				oldKept: func(terminal string, old []string) int {
					return count(`SELECT count(*) FROM record_keys WHERE terminal = $1 AND id = ANY($2)`, terminal, old)
				},
				events: func() int { return count(`SELECT count(*) FROM events`) },
			}
			checkHubRelease(t, markd, markhub, r, db)
		})
	}
}

// hubReleaseDB is a release database of one backend as checkHubRelease
// reads it (the SQL differs between the backends).
type hubReleaseDB struct {
	args []string // markhub's flags naming it
	// accepted is the first record of terminal the old collector holds
	// as ACCEPT: its mark's text, id and time.
	accepted     func(terminal string) (text, id string, at time.Time, err error)
	records      func(terminal string) int
	reusedNaming func(terminal string, old []string, held string) int // records not of old whose first acceptance names held
	oldKept      func(terminal string, old []string) int
	events       func() int
}

// checkHubRelease: this markhub binary serves the release database db
// with the bundle the old one published (its distribution key pinned). A
// new markd of the same office (a counter whose store was lost, `markd
// init` and `sync --once`) restores the office's reuse history from the
// old rows: a mark an old row accepted, scanned again, is REJECT REUSED
// naming that row; `markd sync --once` uploads the scan, and a second one
// nothing again.
func checkHubRelease(t *testing.T, markd, markhub string, r hubtest.Release, db hubReleaseDB) {
	text, held, at, err := db.accepted(r.Terminal)
	if err != nil {
		t.Fatalf("an accepted record of %s in the old database: %v", r.Terminal, err)
	}
	hubCLI := func(args ...string) string {
		t.Helper()
		args = append(args, db.args...)
		var errb bytes.Buffer
		cmd := exec.Command(markhub, args...)
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("markhub %s on the database markhub %s made: %v\n%s%s", strings.Join(args, " "), r.Commit, err, out, errb.Bytes())
		}
		return strings.TrimSpace(string(out))
	}
	// the counter pins the network's distribution key (the old bundle's);
	// the old counter's token stayed with it: a new one
	if r.DistributionKey == "" {
		t.Fatalf("%s.json names no distribution_key (scripts/release-stores.sh)", r.Name)
	}
	tok := hubCLI("terminal", "token", r.Terminal)
	hubURL := startHub(t, markhub, db.args)

	cdir := t.TempDir()
	cfg := counterConfig(t, cdir, int(r.Office), hubURL, tok, r.DistributionKey, "")
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(body), "sync:\n")
	local := filepath.Join(cdir, "local.yaml")
	if err := os.WriteFile(local, []byte(head), 0o600); err != nil {
		t.Fatal(err)
	}
	sync := func() string {
		t.Helper()
		out, err := exec.Command(markd, "sync", "--once", "--config", cfg).CombinedOutput()
		if err != nil {
			t.Fatalf("markd sync --once to the upgraded collector: %v\n%s", err, out)
		}
		return string(out)
	}
	if out, err := exec.Command(markd, "init", "--config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("markd init: %v\n%s", err, out)
	}
	out := sync() // the office's reuse history, from the old rows

	v := runOne(t, markd, local, at.Add(time.Hour), text)
	if v.Verdict != mark.Reject || !slices.Contains(v.Reasons, mark.ReasonReused) {
		t.Errorf("a mark the old collector's record %s accepted, scanned at a new counter of its office: %s %v, want REJECT REUSED\n%s",
			held, v.Verdict, v.Reasons, out)
	}
	out = sync()
	old := r.RecordIDs
	if got := db.records(r.Terminal); got != r.Records+1 {
		t.Errorf("the collector holds %d records of %s, want %d (the old and the REUSED scan)\n%s", got, r.Terminal, r.Records+1, out)
	}
	if got := db.reusedNaming(r.Terminal, old, held); got != 1 {
		t.Errorf("REUSED records naming the old acceptance %s: %d, want 1\n%s", held, got, out)
	}
	if got := db.oldKept(r.Terminal, old); got != r.Records {
		t.Errorf("old records after the upgrade: %d, want %d", got, r.Records)
	}
	out = sync()
	if got := db.records(r.Terminal); got != r.Records+1 {
		t.Errorf("after a second sync --once the collector holds %d records of %s, want %d\n%s", got, r.Terminal, r.Records+1, out)
	}
	if got := db.events(); got != r.Events {
		t.Errorf("review decisions: %d, want the old %d", got, r.Events)
	}
}
