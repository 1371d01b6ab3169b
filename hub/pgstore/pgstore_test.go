package pgstore

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/hubtest"
)

var cluster *hubtest.Cluster
var clusterErr error

func TestMain(m *testing.M) {
	if ok, _ := hubtest.Available(); ok {
		cluster, clusterErr = hubtest.StartCluster(os.Getenv("MARKHUB_PG_FSYNC") == "")
	}
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

func open(t *testing.T) hub.Store {
	t.Helper()
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL tests skipped: " + why)
	}
	if clusterErr != nil {
		t.Fatalf("start PostgreSQL: %v", clusterErr)
	}
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSuites holds the backend to every suite of hubtest.Suites.
func TestSuites(t *testing.T) { hubtest.RunSuites(t, open) }

func BenchmarkIngest2000(b *testing.B) {
	if ok, why := hubtest.Available(); !ok {
		b.Skip(why)
	}
	if clusterErr != nil {
		b.Fatal(clusterErr)
	}
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	db, err := Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hubtest.BenchIngest(b, db, 2000)
}

// TestMigratesFirstSchema: a database made by the first markhub (schema
// 001, no version table) opens with every step applied.
func TestMigratesFirstSchema(t *testing.T) {
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL tests skipped: " + why)
	}
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	ctx := context.Background()
	dsn, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrations.ReadFile("migrations/001_schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	batches, err := migrations.ReadFile("migrations/010_batches.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(first), string(batches), batchBefore053,
		`INSERT INTO terminals VALUES ('a', 'h1', now()), ('c', NULL, now())`,
		`INSERT INTO records VALUES ('r1','a','2026-11-24T09:00:00Z',426000,'1','op','stdin','EPM1:X','ACCEPT','[]',5,
			'{"serial":5,"contract":7,"tracking":42600000000015}',0,NULL,'k','t','r','','','2026-11-24T10:00:00Z'),
			('r4','a','2026-11-24T09:00:00Z',190000,'1','op','stdin','EPM1:Y','ACCEPT','[]',6,
			'{"serial":6,"contract":9,"tracking":18446744073709551615}',0,NULL,'k','t','r','','','2026-11-24T10:00:00Z'),
			('r2','a','2026-11-24T09:00:00Z',101000,'1','op','stdin','x','NOT_A_MARK','[]',NULL,NULL,0,NULL,'k','t','r','','',
			'2026-11-24T11:00:00Z'),
			('r3','a','2026-11-24T23:59:59.5Z',426000,'1','op','stdin','x','REJECT','["EXPIRED","UNDERPAID"]',NULL,NULL,0,NULL,'k','t','r',
			'overridden','','2026-11-25T00:00:00Z')`,
		`INSERT INTO alerts(terminal, record_id, serial, other_record_id, other_terminal, other_office, other_counter, other_at, detected_at)
			VALUES ('a','r1',5,'x','b',190000,'1',now(),now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	conn.Close(ctx)
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, office := range map[string]uint32{"a": 426000, "c": 0} {
		if got, err := db.Terminal(ctx, name); err != nil || got.Office != office {
			t.Fatalf("terminal %s: office %d, want %d (%v)", name, got.Office, office, err)
		}
	}
	if r, err := db.Record(ctx, "a", "r1"); err != nil || r.Verification != hub.Unchecked {
		t.Fatalf("r1: %+v %v", r, err)
	}
	if r, err := db.Record(ctx, "a", "r2"); err != nil || r.Verification != hub.NoMark {
		t.Fatalf("r2: %+v %v", r, err)
	}
	db.Close()
	if db, err = Open(ctx, dsn); err != nil { // a second open finds every step done
		t.Fatal(err)
	}
	if st, err := db.Stats(ctx); err != nil || st.Records != 4 || st.Alerts != 1 {
		t.Fatalf("stats %+v %v", st, err)
	}
	// Migration 050 filled the tracking and contract columns from
	// mark_fields: no tracking above the bigint range, none without a mark.
	for _, c := range []struct {
		kind  hub.LookupKind
		value string
		want  string
	}{{hub.ByTracking, "42600000000015", "r1"}, {hub.ByContract, "7", "r1"}, {hub.ByContract, "9", "r4"}} {
		if got, err := db.Lookup(ctx, c.kind, c.value, 10); err != nil || len(got) != 1 || got[0].ID != c.want {
			t.Errorf("lookup %s %s after migration: %+v %v, want %s", c.kind, c.value, got, err, c.want)
		}
	}
	var untracked, nocontract int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE tracking IS NULL), count(*) FILTER (WHERE contract IS NULL)
		FROM records`).Scan(&untracked, &nocontract); err != nil || untracked != 3 || nocontract != 2 {
		t.Errorf("after migration: %d records without tracking (want 3: r2, r3, r4), %d without contract (want 2): %v",
			untracked, nocontract, err)
	}
	hubtest.CheckRejectBackfill(t, db)
	hubtest.CheckBatchBefore053(t, db)
}

// batchBefore053 is a batch stored before migration 053: no receipt counts.
const batchBefore053 = `INSERT INTO batches VALUES ('a', 'b0', 426000, '1', 'op', 1004417, 'closed',
	'2026-11-25T08:00:00Z', '2026-11-25T09:00:00Z', 20, 3, 210000, '2026-11-25T10:00:00Z')`
