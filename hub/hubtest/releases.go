package hubtest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/internal/testdata"
	"markd/mark"
)

// Release is a collector database a real older markhub made, a counter of
// the same release having uploaded its day to it (records, review
// decisions, a batch, the serials, a bundle), and what it holds: NAME.json
// beside the database in each backend's testdata/releases, written by
// scripts/release-stores.sh (scripts/releasestores).
type Release struct {
	Name      string   `json:"-"` // SCHEMA-COMMIT, the file's name
	Commit    string   `json:"commit"`
	Schema    int      `json:"schema"`
	Terminal  string   `json:"terminal"`
	Office    uint32   `json:"office"`
	Records   int      `json:"records"`
	Events    int      `json:"events"`
	Batches   int      `json:"batches"`
	Serials   int      `json:"serials"`
	Bundles   int      `json:"bundles"`
	RecordIDs []string `json:"record_ids"`
	Server    string   `json:"server,omitempty"` // PostgreSQL's version the dump was made on
	// DistributionKey is the public key the collector's bundles are
	// signed with (its private half is not kept: no new bundle is
	// published on a release database).
	DistributionKey string `json:"distribution_key,omitempty"`
}

// Releases reads every NAME.json of dir; none is a failure (the script
// was not run, or the files were lost).
func Releases(t *testing.T, dir string) []Release {
	t.Helper()
	names, rs := testdata.JSONFiles[Release](t, dir, 1)
	for i, r := range rs {
		if r.Terminal == "" || r.Office == 0 || len(r.RecordIDs) != r.Records {
			t.Fatalf("%s.json: terminal %q, office %d, %d record ids for %d records", names[i], r.Terminal, r.Office, len(r.RecordIDs), r.Records)
		}
		rs[i].Name = names[i]
	}
	return rs
}

// ReleaseDB is a database opened by this markhub's store, and what the
// checks read of it besides hub.Store.
type ReleaseDB struct {
	Store hub.Store
	// Count answers a query of one integer (the SQL of the checks is the
	// same on both backends).
	Count func(query string) (int, error)
	// ZoneIndexes names the indexes on terminals whose name starts with
	// terminals_zone, in name order.
	ZoneIndexes func() ([]string, error)
	// Schema lists the tables' columns, the indexes and the constraints
	// or triggers, one a line, sorted (PostgreSQL: not the partitions of
	// records, made by month as records come).
	Schema func() ([]string, error)
}

// releaseNow is the collector's clock in the checks' uploads.
var releaseNow = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)

// CheckRelease holds the release database r, opened by this markhub
// (every later migration applied: its schema is latest), to the upgrade's
// promises: every row the release's JSON names is kept; the schema is a
// fresh database's, and so are the zone indexes (migration 063); the same records uploaded again
// are each stored once; a new upload is accepted; and a serial an old row
// claims, accepted at another office, is caught as reuse on both sides.
// It adds the terminal office-b to db.
func CheckRelease(t *testing.T, r Release, latest int, db, fresh ReleaseDB) {
	t.Helper()
	ctx := context.Background()
	count := func(q string) int {
		t.Helper()
		n, err := db.Count(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if top := count(`SELECT max(version) FROM schema_migrations`); top != latest {
		t.Errorf("schema %d after the open, want %d", top, latest)
	}
	tables := []struct {
		table string
		want  int
	}{{"records", r.Records}, {"events", r.Events}, {"batches", r.Batches}, {"used_serials", r.Serials}, {"bundles", r.Bundles}}
	for _, c := range tables {
		if got := count(`SELECT count(*) FROM ` + c.table); got != c.want {
			t.Errorf("%s: %d rows after the upgrade, %d before", c.table, got, c.want)
		}
	}
	var old []hub.Record
	for _, id := range r.RecordIDs {
		got, err := db.Store.Record(ctx, r.Terminal, id)
		if err != nil {
			t.Errorf("record %s of %s after the upgrade: %v", id, r.Terminal, err)
			continue
		}
		old = append(old, got.Record)
	}

	if bs, err := db.Store.Bundles(ctx, 0); err != nil || len(bs) != r.Bundles {
		t.Errorf("bundles after the upgrade: %d, %v; want %d", len(bs), err, r.Bundles)
	}
	if v, data, err := db.Store.LatestBundle(ctx); r.Bundles > 0 && (err != nil || v == 0 || len(data) == 0) {
		t.Errorf("the latest bundle after the upgrade: version %d, %d bytes, %v", v, len(data), err)
	}

	got, err := db.Schema()
	if err != nil {
		t.Fatal(err)
	}
	same, err := fresh.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, same) {
		t.Errorf("schema after the upgrade differs from a fresh database's (- the upgraded only, + the fresh only):\n%s", lineDiff(got, same))
	}
	zone, err := db.ZoneIndexes()
	if err != nil {
		t.Fatal(err)
	}
	want, err := fresh.ZoneIndexes()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !slices.Equal(zone, want) {
		t.Errorf("zone indexes of terminals after the upgrade %q, a fresh database's %q (migration 063)", zone, want)
	}

	// The counter sends its day again (a store restored from a backup):
	// every record is a duplicate, nothing stored twice, no alert.
	again := hub.UploadRequest{Records: old}
	if err := again.Validate(); err != nil {
		t.Errorf("the old records, sent again, are refused by this markhub's checks: %v", err)
	}
	resp, err := db.Store.Ingest(ctx, r.Terminal, &again, releaseNow)
	if err != nil {
		t.Fatalf("upload the old records again: %v", err)
	}
	if resp.Stored != 0 || resp.Duplicates != len(old) || len(resp.Alerts) != 0 {
		t.Errorf("the old records sent again: stored %d, duplicates %d, alerts %+v; want 0, %d, none",
			resp.Stored, resp.Duplicates, resp.Alerts, len(old))
	}
	for _, c := range tables {
		if got := count(`SELECT count(*) FROM ` + c.table); got != c.want {
			t.Errorf("%s: %d rows after the records were sent again, %d before", c.table, got, c.want)
		}
	}

	// A new day's record of the same counter (another month: its own
	// partition on PostgreSQL).
	fresh1 := Rec("release-new-1", r.Office, "1", mark.Accept, 990001)
	fresh1.At = releaseNow.Add(-time.Hour)
	resp, err = db.Store.Ingest(ctx, r.Terminal, &hub.UploadRequest{Records: []hub.Record{fresh1}}, releaseNow)
	if err != nil {
		t.Fatalf("a new upload to the upgraded database: %v", err)
	}
	if resp.Stored != 1 || resp.Duplicates != 0 || len(resp.Alerts) != 0 {
		t.Errorf("a new upload: %+v, want 1 stored", resp)
	}
	if _, err := db.Store.Record(ctx, r.Terminal, fresh1.ID); err != nil {
		t.Errorf("the new record: %v", err)
	}
	if got := count(`SELECT count(*) FROM records`); got != r.Records+1 {
		t.Errorf("records after a new upload: %d, want %d", got, r.Records+1)
	}
	if got := count(`SELECT count(*) FROM used_serials`); got != r.Serials+1 {
		t.Errorf("used serials after a new upload: %d, want %d", got, r.Serials+1)
	}

	// The mark of an old acceptance scanned at another office.
	used, err := db.Store.OfficeSerials(ctx, r.Office, 0, 100)
	if err != nil || len(used) == 0 {
		t.Fatalf("serials of office %d after the upgrade: %d, %v", r.Office, len(used), err)
	}
	held := used[0]
	first, err := db.Store.Record(ctx, held.Terminal, held.RecordID)
	if err != nil {
		t.Fatalf("the record holding serial %d: %v", held.Serial, err)
	}
	if err := db.Store.AddTerminal(ctx, Terminal("office-b")); err != nil {
		t.Fatal(err)
	}
	other := first.Record
	other.ID, other.Office, other.Counter, other.Operator = "release-other-1", Offices["office-b"], "4", "op"
	other.At, other.Verdict, other.Reasons, other.Review = releaseNow.Add(-time.Hour), mark.Accept, []mark.Reason{}, ""
	other.FirstAccepted, other.Verification = nil, hub.Verified
	resp, err = db.Store.Ingest(ctx, "office-b", &hub.UploadRequest{Records: []hub.Record{other}}, releaseNow)
	if err != nil {
		t.Fatalf("upload of the reused mark at office-b: %v", err)
	}
	if len(resp.Alerts) != 1 || resp.Alerts[0].Serial != held.Serial || resp.Alerts[0].Other.RecordID != held.RecordID ||
		resp.Alerts[0].OtherTerminal != held.Terminal {
		t.Errorf("serial %d (record %s of %s before the upgrade) accepted at office-b: alerts %+v, want one naming the old record",
			held.Serial, held.RecordID, held.Terminal, resp.Alerts)
	}
	resp, err = db.Store.Ingest(ctx, held.Terminal, &hub.UploadRequest{}, releaseNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Alerts) != 1 || resp.Alerts[0].RecordID != held.RecordID || resp.Alerts[0].OtherTerminal != "office-b" {
		t.Errorf("the old record's terminal %s on its next upload: alerts %+v, want one naming office-b", held.Terminal, resp.Alerts)
	}
}

// lineDiff names the lines only in got (-) and only in want (+).
func lineDiff(got, want []string) string {
	var b strings.Builder
	for _, l := range got {
		if !slices.Contains(want, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
