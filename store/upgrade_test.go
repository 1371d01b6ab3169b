package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/mark"

	"golang.org/x/crypto/bcrypt"
)

// oldStore makes a store as a markd with only the migrations up to and
// including version last wrote it (no binary of that markd is kept: its
// migrations are the embedded files), applied and recorded as migrate
// does, in WAL mode as every markd opened it.
func oldStore(t *testing.T, path string, last int) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?_journal_mode=WAL&_foreign_keys=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, err := migrationNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		version, base, err := migrationVersion(name)
		if err != nil {
			t.Fatal(err)
		}
		if version > last {
			break
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("migration %s: %v", base, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, ?, '2026-01-10T08:00:00Z')`, version, base); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// TestUpgradeOldestStore: a store with rows in every table, written as the
// markd before migration 040 wrote it (migrations 001 to 030: marks and
// list versions as JSON, wide used_serials, batch items keyed by line), is
// opened by this markd: every migration since applies at open and every
// row is kept and reads back as it was written.
func TestUpgradeOldestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	raw := oldStore(t, path, 39)
	m := &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 7001, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9820, ValidUntil: 9910}
	fields, err := json.Marshal(m.Fields())
	if err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("old password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	const (
		accepted = "01937a10-0000-7000-8000-000000000001"
		rejected = "01937a10-0000-7000-8000-000000000002"
		inBatch  = "01937a10-0000-7000-8000-000000000003"
		batch    = "01937a10-0000-7000-8000-0000000000b1"
	)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO batches(id, office, counter, operator, contract, state, opened_at, closed_at, has_list, upload_state)
			VALUES (?, 426000, '1', 'ivanova', 1004417, 'closed', '2026-01-10T09:00:00Z', '2026-01-10T09:30:00Z', 1, 'uploaded')`, []any{batch}},
		{`INSERT INTO scans(id, at, office, counter, operator, source, raw_text, verdict, reasons, serial, mark_fields,
			measured_weight_g, versions, upload_state)
			VALUES (?, '2026-01-10T08:10:00.123Z', 426000, '1', 'ivanova', 'front', 'EPM1:OLD7001', 'ACCEPT', '[]', 7001, ?,
			18, '{"keyring":"k-2026-01","tariffs":"t-7","revocations":"r-3"}', 'uploaded')`, []any{accepted, string(fields)}},
		{`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, message, upload_state)
			VALUES (?, '2026-01-10T08:11:00Z', 426000, '1', 'front', 'EPM1:BROKEN', 'REJECT', '["BAD_SIGNATURE"]', 'подпись неверна', 'pending')`,
			[]any{rejected}},
		{`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, batch_id, frame)
			VALUES (?, '2026-01-10T09:05:00Z', 426000, '1', 'cam', 'not a mark', 'NOT_A_MARK', '["NOT_A_MARK"]', ?, x'ffd8ffd9')`,
			[]any{inBatch, batch}},
		{`INSERT INTO used_serials(serial, record_id, at, office, counter, raw_text)
			VALUES (7001, ?, '2026-01-10T08:10:00.123Z', 426000, '1', 'EPM1:OLD7001')`, []any{accepted}},
		{`INSERT INTO users(name, role, pass_hash, created_at, updated_at)
			VALUES ('petrova', 'supervisor', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, []any{string(hash)}},
		{`INSERT INTO audit(at, actor, action, record_id, note) VALUES ('2026-01-10T08:20:00Z', 'petrova', 'confirm', ?, 'seen')`,
			[]any{rejected}},
		{`INSERT INTO sync_state(key, value) VALUES ('events_cursor', '41')`, nil},
		{`INSERT INTO alerts(hub_id, record_id, serial, other_record_id, other_terminal, other_office, other_counter,
			other_at, detected_at, received_at) VALUES (5, ?, 7001, 'x-1', 't-2', 426001, '3',
			'2026-01-10T08:15:00Z', '2026-01-10T08:16:00Z', '2026-01-10T08:17:00Z')`, []any{accepted}},
		{`INSERT INTO batch_items(batch_id, line, n, tracking, mail_class, weight_g, tariff_kop, notice, serial)
			VALUES (?, 2, 1, '80080012345678', 2, 20, 10500, NULL, 7001), (?, 4, 2, '', 2, 40, 12000, 1, NULL)`, []any{batch, batch}},
		{`INSERT INTO batch_receipts(batch_id, made_at, pdf) VALUES (?, '2026-01-10T09:30:00Z', x'255044462d')`, []any{batch}},
		{`INSERT INTO api_tokens(name, hash, created_at) VALUES ('kassa', 'abc123', '2026-01-02T00:00:00Z')`, nil},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	tables := []string{"scans", "used_serials", "users", "audit", "sync_state", "alerts",
		"batches", "batch_items", "batch_receipts", "api_tokens"}
	count := func(db *sql.DB, table string) int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		return n
	}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = count(raw, tb)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := openAgain(t, path)
	ctx := context.Background()
	var top int
	db.SQL().QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&top)
	names, _ := migrationNames()
	if want, _, _ := migrationVersion(names[len(names)-1]); top != want {
		t.Fatalf("schema %d after open, want %d", top, want)
	}
	for _, tb := range tables {
		got := count(db.SQL(), tb)
		if tb == "sync_state" {
			got-- // 043 adds upload_floor
		}
		if got != before[tb] {
			t.Errorf("%s: %d rows before the upgrade, %d after", tb, before[tb], got)
		}
	}

	r, err := db.Get(ctx, accepted)
	if err != nil {
		t.Fatalf("accepted scan: %v", err)
	}
	wantAt := time.Date(2026, 1, 10, 8, 10, 0, 123e6, time.UTC)
	if !r.At.Equal(wantAt) || r.Verdict != mark.Accept || r.Text != "EPM1:OLD7001" || r.Operator != "ivanova" ||
		r.Mark == nil || *r.Mark != *m || r.MeasuredWeightG != 18 || r.Upload != mark.UploadDone ||
		r.Versions != (mark.Versions{Keyring: "k-2026-01", Tariffs: "t-7", Revocations: "r-3"}) {
		t.Errorf("accepted scan after the upgrade: %+v (mark %+v)", r, r.Mark)
	}
	if a, err := db.FirstAcceptance(ctx, 7001); err != nil || a == nil || !a.At.Equal(wantAt) || a.Counter != "1" || a.Office != 426000 {
		t.Errorf("serial 7001 after the upgrade: %+v, %v (want used at counter 1, %s)", a, err, wantAt)
	}
	r, err = db.Get(ctx, rejected)
	if err != nil {
		t.Fatalf("rejected scan: %v", err)
	}
	if r.Verdict != mark.Reject || !slices.Equal(r.Reasons, []mark.Reason{mark.ReasonBadSignature}) ||
		r.Review != mark.ReviewPending || r.Message != "подпись неверна" {
		t.Errorf("rejected scan after the upgrade: %+v", r)
	}
	r, err = db.Get(ctx, inBatch)
	if err != nil {
		t.Fatalf("scan in the batch: %v", err)
	}
	if r.Batch != batch || string(r.Frame) != "\xff\xd8\xff\xd9" {
		t.Errorf("scan in the batch after the upgrade: batch %q, frame %x", r.Batch, r.Frame)
	}
	if u, err := db.Authenticate(ctx, "petrova", "old password"); err != nil || u.Role != "supervisor" {
		t.Errorf("login with the old password after the upgrade: %+v, %v", u, err)
	}
	if es, err := db.AuditFor(ctx, rejected); err != nil || len(es) != 1 || es[0].Action != "confirm" || es[0].Note != "seen" {
		t.Errorf("audit after the upgrade: %+v, %v", es, err)
	}
	if v, ok, err := db.SyncState(ctx, "events_cursor"); err != nil || !ok || v != "41" {
		t.Errorf("sync_state events_cursor after the upgrade: %q %v %v", v, ok, err)
	}
	b, err := db.GetBatch(ctx, batch)
	if err != nil || b.State != mark.BatchClosed || b.Contract != 1004417 {
		t.Errorf("batch after the upgrade: %+v, %v", b, err)
	}
	items, err := db.BatchItems(ctx, batch)
	if err != nil || len(items) != 2 || items[0].Line != 2 || items[1].Line != 4 || items[0].Tracking != "80080012345678" {
		t.Errorf("batch items after the upgrade: %+v, %v", items, err)
	}
	if pdf, err := db.Receipt(ctx, batch); err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("receipt after the upgrade: %q, %v", pdf, err)
	}
	if toks, err := db.ListTokens(ctx); err != nil || len(toks) != 1 || toks[0].Name != "kassa" {
		t.Errorf("API tokens after the upgrade: %+v, %v", toks, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check after the upgrade: %v", err)
	}
}
