package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/testdata"
	"markd/mark"
)

func open(t *testing.T) hub.Store {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSuites holds the backend to every suite of hubtest.Suites.
func TestSuites(t *testing.T) { hubtest.RunSuites(t, open) }

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddTerminal(ctx, hub.Terminal{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Terminal(ctx, "a"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestReopenInFolderWithURICharacters: a store in a folder named with a
// character of SQLite's URI syntax ('#', '?', '%') is kept at its path;
// SQLite cut the path there and made the store beside the folder, while
// an empty file stayed at the path.
func TestReopenInFolderWithURICharacters(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"регион #2", "итоги?", "100%41"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Skipf("this file system has no folder %q: %v", name, err)
		}
		path := filepath.Join(dir, "hub.db")
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := db.AddTerminal(ctx, hub.Terminal{Name: "a"}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Fatalf("%s: the store file at its path: %v", name, err)
		}
		db, err = Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Terminal(ctx, "a"); err != nil {
			t.Errorf("%s: after reopen: %v", name, err)
		}
		db.Close()
	}
}

// TestOpenPathWithLeadingSlashes: a store path that begins with "//"
// (a valid POSIX path; a UNC path written with slashes) opens, keeps its
// data at that path and reopens. SQLite read "file://tmp/…" as the host
// "tmp": every open failed with "invalid uri authority".
func TestOpenPathWithLeadingSlashes(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	path := "/" + filepath.Join(root, "hub.db") // "//tmp/…/hub.db"
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if err := db.AddTerminal(ctx, hub.Terminal{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "hub.db")); err != nil || fi.Size() == 0 {
		t.Fatalf("the store file at its path: %v", err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen %s: %v", path, err)
	}
	defer db.Close()
	if _, err := db.Terminal(ctx, "a"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	es, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if !strings.HasPrefix(e.Name(), "hub.db") { // its -wal and -shm while open
			t.Errorf("file made beside the store: %s", e.Name())
		}
	}
}

func BenchmarkIngest2000(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hubtest.BenchIngest(b, db, 2000)
}

// TestMigratesFirstSchema: a database made by the first markhub (schema
// 001, no version table) opens with every step applied: terminals get the
// office of their first record, records keep their serials as unchecked,
// and ids become per terminal.
func TestMigratesFirstSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	old, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrations.ReadFile("migrations/001_schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	rec := func(id, term string, office int, fields any, at string) string {
		f := "NULL"
		if fields != nil {
			f = fmt.Sprintf("'%s'", fields)
		}
		return fmt.Sprintf(`INSERT INTO records VALUES ('%s','%s','2026-11-24T09:00:00Z',%d,'1','op','stdin','EPM1:X','ACCEPT','[]',%v,%s,0,NULL,'k','t','r','','', '%s');`,
			id, term, office, map[bool]string{true: "5", false: "NULL"}[fields != nil], f, at)
	}
	batches, err := migrations.ReadFile("migrations/010_batches.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(first), string(batches), batchBefore053,
		`INSERT INTO terminals VALUES ('a', 'h1', '2026-01-01T00:00:00Z'), ('b', 'h2', '2026-01-01T00:00:00Z'), ('c', NULL, '2026-01-01T00:00:00Z');`,
		rec("r1", "a", 426000, `{"serial":5,"contract":7,"tracking":42600000000015}`, "2026-11-24T10:00:00Z"),
		rec("r2", "a", 101000, nil, "2026-11-24T11:00:00Z"), rec("r3", "b", 190000, nil, "2026-11-24T10:00:00Z"),
		rec("r5", "b", 190000, `{"serial":5,"contract":9,"tracking":18446744073709551615}`, "2026-11-24T12:00:00Z"),
		`INSERT INTO records VALUES ('r4','a','2026-11-24T23:59:59.5Z',426000,'1','op','stdin','x','REJECT','["EXPIRED","UNDERPAID"]',NULL,NULL,0,NULL,
			'k','t','r','overridden','','2026-11-25T00:00:00Z');`,
		`INSERT INTO alerts(terminal, record_id, serial, other_record_id, other_terminal, other_office, other_counter, other_at, detected_at)
			VALUES ('a','r1',5,'x','b',190000,'1','2026-11-24T09:00:00Z','2026-11-24T09:00:00Z');`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, office := range map[string]uint32{"a": 426000, "b": 190000, "c": 0} {
		if got, err := db.Terminal(ctx, name); err != nil || got.Office != office {
			t.Fatalf("terminal %s: office %d, want %d (%v)", name, got.Office, office, err)
		}
	}
	if r, err := db.Record(ctx, "a", "r1"); err != nil || r.Verification != hub.Unchecked || r.Mark == nil {
		t.Fatalf("r1: %+v %v", r, err)
	}
	if r, err := db.Record(ctx, "a", "r2"); err != nil || r.Verification != hub.NoMark {
		t.Fatalf("r2: %+v %v", r, err)
	}
	// b may now use an id a used.
	q := hub.UploadRequest{Records: []hub.Record{hubtest.Rec("r1", 190000, "1", mark.Accept, 0)}}
	q.Records[0].Verdict = mark.NotAMark
	if resp, err := db.Ingest(ctx, "b", &q, testdata.Now()); err != nil || resp.Stored != 1 {
		t.Fatalf("b's r1: %+v %v", resp, err)
	}
	var n int
	steps, _ := hub.Migrations(migrations, "migrations")
	if err := db.db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(steps) {
		t.Fatalf("schema_migrations rows %d %v", n, err)
	}
	if st, err := db.Stats(ctx); err != nil || st.Alerts != 1 || st.Records != 6 {
		t.Fatalf("stats %+v %v", st, err)
	}
	// Migration 050 filled the tracking and contract columns from
	// mark_fields: no tracking above the int64 range, none without a mark.
	for _, c := range []struct {
		kind  hub.LookupKind
		value string
		want  string
	}{{hub.ByTracking, "42600000000015", "r1"}, {hub.ByContract, "7", "r1"}, {hub.ByContract, "9", "r5"}} {
		if got, err := db.Lookup(ctx, c.kind, c.value, 10); err != nil || len(got) != 1 || got[0].ID != c.want {
			t.Errorf("lookup %s %s after migration: %+v %v, want %s", c.kind, c.value, got, err, c.want)
		}
	}
	var untracked, nocontract int
	if err := db.db.QueryRow(`SELECT count(*) FILTER (WHERE tracking IS NULL), count(*) FILTER (WHERE contract IS NULL)
		FROM records`).Scan(&untracked, &nocontract); err != nil || untracked != 5 || nocontract != 4 {
		t.Errorf("after migration: %d records without tracking (want 5), %d without contract (want 4): %v",
			untracked, nocontract, err)
	}
	hubtest.CheckRejectBackfill(t, db)
	hubtest.CheckBatchBefore053(t, db)
}

// batchBefore053 is a batch stored before migration 053: no receipt counts.
const batchBefore053 = `INSERT INTO batches VALUES ('a', 'b0', 426000, '1', 'op', 1004417, 'closed',
	'2026-11-25T08:00:00Z', '2026-11-25T09:00:00Z', 20, 3, 210000, '2026-11-25T10:00:00Z')`

// TestRetentionDeletes: records scanned before the cutoff go, the serial
// uses stay.
func TestRetentionDeletes(t *testing.T) {
	s := open(t).(*DB)
	defer s.Close()
	ctx := context.Background()
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "a", Office: 426000, Created: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	old := hubtest.Rec("old", 426000, "1", mark.Accept, 1)
	old.At = time.Date(2026, 10, 31, 23, 59, 59, 0, time.UTC)
	edge := hubtest.Rec("edge", 426000, "1", mark.Accept, 2)
	edge.At = time.Date(2026, 11, 1, 0, 0, 0, 500e6, time.UTC)
	if _, err := s.Ingest(ctx, "a", &hub.UploadRequest{Records: []hub.Record{old, edge}}, edge.At); err != nil {
		t.Fatal(err)
	}
	n, err := s.DropBefore(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 1 {
		t.Fatalf("DropBefore: %d %v, want 1", n, err)
	}
	if st, _ := s.Stats(ctx); st.Records != 1 || st.UsedSerials != 2 {
		t.Fatalf("after retention: %+v", st)
	}
}
