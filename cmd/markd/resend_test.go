package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
)

// TestSyncResendRefused: the fleet engineer lists what the collector
// refused (markd sync --refused), then puts one of them (by its number)
// and then all of them back in the outbox (markd sync --resend-refused);
// the audit names the command and the user; no collector is needed to put
// them back (markd run uploads them).
func TestSyncResendRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	initStore(t, path)
	ctx := context.Background()
	db, err := store.OpenExisting(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 2 {
		rec := &mark.Record{At: time.Date(2026, 11, 24, 9, i, 0, 0, time.UTC), Office: 426000, Counter: "1", Source: "t",
			Text: "not a mark", Verdict: mark.NotAMark, Reasons: []mark.Reason{mark.ReasonMalformed}}
		if err := db.Save(ctx, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.RefuseUpload(ctx, rec.ID, store.Refusal{Status: 400, Field: "records[0].text", Reason: "text too long"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	list, err := db.ListSetAside(ctx, 0, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("set aside %+v %v", list, err)
	}
	db.Close()
	t.Setenv("USER", "engineer")

	code, out, errs := vtRun(t, "", "sync", "--refused", "--db", path)
	if code != 0 || !strings.Contains(out, ids[0]) || !strings.Contains(out, ids[1]) || !strings.Contains(out, "text too long") ||
		!strings.Contains(out, "records[0].text") {
		t.Fatalf("markd sync --refused: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = vtRun(t, "", "sync", "--resend-refused="+itoa(list[1].Seq), "--db", path)
	if code != 0 || !strings.Contains(out, "1 put back") {
		t.Fatalf("markd sync --resend-refused=%d: exit %d\n%s\n%s", list[1].Seq, code, out, errs)
	}
	if code, _, errs = vtRun(t, "", "sync", "--resend-refused="+itoa(list[1].Seq), "--db", path); code != 1 ||
		!strings.Contains(errs, "not set aside") {
		t.Fatalf("the same number again: exit %d, want 1 saying it is not set aside: %s", code, errs)
	}
	if code, _, errs = vtRun(t, "", "sync", "--resend-refused=x", "--db", path); code != 2 || !strings.Contains(errs, "--resend-refused") {
		t.Fatalf("--resend-refused=x: exit %d, want 2 naming the flag: %s", code, errs)
	}
	code, out, errs = vtRun(t, "", "sync", "--resend-refused", "--db", path)
	if code != 0 || !strings.Contains(out, "1 put back") {
		t.Fatalf("markd sync --resend-refused: exit %d\n%s\n%s", code, out, errs)
	}
	db, err = store.OpenExisting(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if recs, err := db.PendingUploads(ctx, 10); err != nil || len(recs) != 2 {
		t.Fatalf("outbox after the resends: %d records %v, want both", len(recs), err)
	}
	for _, id := range ids {
		audit, err := db.AuditFor(ctx, id)
		if err != nil || len(audit) != 1 || audit[0].Action != store.ActionResendRefused || audit[0].Actor != "cli:engineer" {
			t.Fatalf("audit of %s: %+v %v", id, audit, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
