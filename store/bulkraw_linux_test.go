//go:build cgo

package store

import (
	"context"
	"testing"
	"time"

	"markd/internal/sqliteerr"
	"markd/mark"
)

// TestBulkUsesRawStatements: on Linux the bulk path's multi-row inserts
// and claims run on SQLite's C API (rawBulk) for every kind of scan of
// bulkScenario (frames, non-marks, reuse, batches), none falls back to
// database/sql, and a statement that fails gives SQLite's error code as
// go-sqlite3 would. TestSaveBulkSameAsOneByOne holds the stored rows
// equal to the one-scan path's.
func TestBulkUsesRawStatements(t *testing.T) {
	ctx := context.Background()
	db := bulkStore(t)
	before := rawFallbacks.Load()
	scen := bulkScenario(3, 300)
	ptrs := make([]*mark.Record, len(scen))
	for i := range scen {
		ptrs[i] = &scen[i]
	}
	if err := db.SaveBatch(ctx, ptrs, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := rawFallbacks.Load() - before; n != 0 {
		t.Errorf("%d statements fell back to database/sql", n)
	}
	w := &db.writer
	if len(w.bulkInserts) == 0 || w.bulkClaim == nil {
		t.Fatalf("no bulk statements kept: %d inserts, claim %v", len(w.bulkInserts), w.bulkClaim)
	}
	for k, st := range w.bulkInserts {
		if st.raw == nil {
			t.Errorf("insert of %d rows not on the C API", k.rows)
		}
	}
	if w.bulkClaim.raw == nil {
		t.Error("claims not on the C API")
	}
	// Two scans with one preset id: the insert fails as a constraint.
	dup := make([]*mark.Record, bulkMin)
	for i := range dup {
		dup[i] = scRec(uint64(1<<40+i), "DUP", t0.Add(time.Duration(i)*time.Second), mark.Accept)
		dup[i].ID = presetID + "ffffffffff00"
	}
	err := db.SaveBatch(ctx, dup, time.Minute)
	if sqliteerr.Of(err) != sqliteerr.Constraint {
		t.Fatalf("duplicate ids: %v (%v), want a constraint error", err, sqliteerr.Of(err))
	}
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM scans WHERE counter = 'DUP'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows of the failed batch stored (%v)", n, err)
	}
	// The writer goes on after the failure.
	ok := make([]*mark.Record, bulkMin)
	for i := range ok {
		ok[i] = scRec(uint64(1<<40+1000+i), "DUP", t0.Add(time.Duration(i)*time.Second), mark.Accept)
	}
	if err := db.SaveBatch(ctx, ok, time.Minute); err != nil {
		t.Fatal(err)
	}
}
