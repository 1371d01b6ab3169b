package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/mark"
)

// TestQuestionFeedMigration: the rejections questioned before migration
// 061 are in the feed once it is applied, in the order they were
// received, so their counters learn of them at their first pull.
func TestQuestionFeedMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddTerminal(ctx, hubtest.Terminal("office-a")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"q-2", "q-1"} {
		r := hubtest.Rec(id, hubtest.Offices["office-a"], "1", mark.Reject, uint64(500+i))
		r.Questioned, r.Why = []mark.Reason{mark.ReasonUnderpaid}, "the collector would have accepted this mark"
		if _, err := db.Ingest(ctx, "office-a", &hub.UploadRequest{Records: []hub.Record{r}}, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// The store as a markhub before 061 left it.
	for _, q := range []string{`DROP TABLE questioned_feed`, `DELETE FROM schema_migrations WHERE version = 61`} {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	items, err := db.QuestionedFeed(ctx, "office-a", 0, 10)
	if err != nil || len(items) != 2 || items[0].RecordID != "q-2" || items[1].RecordID != "q-1" ||
		items[0].State != hub.DisputeOpen || items[0].Seq >= items[1].Seq {
		t.Fatalf("feed after the migration: %+v %v", items, err)
	}
}
