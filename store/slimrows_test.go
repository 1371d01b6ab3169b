package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// signedRec is scRec with the text the issuer's key 1 signs for its mark,
// and the mark as that text decodes: a scan as the verifier stores it.
func signedRec(t *testing.T, serial uint64, counter string, at time.Time, v mark.Verdict) *mark.Record {
	t.Helper()
	r := scRec(serial, counter, at, v)
	text, err := testdata.Keys(t)[1].Sign(*r.Mark)
	if err != nil {
		t.Fatal(err)
	}
	m, err := textMark(text)
	if err != nil {
		t.Fatal(err)
	}
	r.Text, r.Mark = text, &m
	r.Versions = mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "none"}
	return r
}

// slimRow is what migration 060 changed in a stored row.
type slimRow struct {
	fields, versions        sql.NullString
	versionsID              sql.NullInt64
	contract, class, tariff sql.NullInt64
}

func readSlimRow(t *testing.T, db *DB, id string) slimRow {
	t.Helper()
	var s slimRow
	if err := db.SQL().QueryRow(`SELECT mark_fields, versions, versions_id, contract, mail_class, tariff_kop
		FROM scans WHERE id = ?`, id).Scan(&s.fields, &s.versions, &s.versionsID, &s.contract, &s.class, &s.tariff); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSlimRows: a verified scan's row holds neither its fields' JSON nor
// its versions' (migration 060) on the one-scan and the bulk path, reads
// back as the record saved, and so does a row in the older form; the
// contract filter and the batch totals count both forms.
func TestSlimRows(t *testing.T) {
	ctx := context.Background()
	db, _ := scOpen(t)
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var recs []*mark.Record
	one := signedRec(t, 1, "A", at, mark.Accept)
	if err := db.Save(ctx, one, time.Minute); err != nil {
		t.Fatal(err)
	}
	recs = append(recs, one)
	var bulk []*mark.Record
	for i := range 2 * bulkMin {
		bulk = append(bulk, signedRec(t, uint64(100+i), "A", at.Add(time.Duration(i+1)*time.Second), mark.Accept))
	}
	// a mark whose text is not its own (a record made elsewhere) and a
	// scan without a mark, in the same batch
	odd := scRec(7, "A", at.Add(time.Hour), mark.Reject, mark.ReasonWrongOffice)
	noMark := &mark.Record{At: at.Add(2 * time.Hour), Office: 426000, Counter: "A", Source: "test",
		Text: "hello", Verdict: mark.NotAMark, Reasons: []mark.Reason{}}
	odd.Versions, noMark.Versions = one.Versions, one.Versions
	bulk = append(bulk, odd, noMark)
	if err := db.SaveBatch(ctx, bulk, time.Minute); err != nil {
		t.Fatal(err)
	}
	recs = append(recs, bulk...)

	for _, r := range recs {
		s := readSlimRow(t, db, r.ID)
		switch {
		case r == noMark:
			if s.fields.Valid || s.contract.Valid || s.class.Valid || s.tariff.Valid {
				t.Errorf("scan without a mark: %+v, want NULL mark columns", s)
			}
		case r == odd:
			if want := string(odd.Mark.Fields().AppendJSON(nil)); s.fields.String != want {
				t.Errorf("mark not its text's: mark_fields %q, want its JSON %q", s.fields.String, want)
			}
		default:
			if !s.fields.Valid || s.fields.String != "" {
				t.Errorf("%s: mark_fields %v, want '' (decoded from raw_text)", r.ID, s.fields)
			}
		}
		if r.Mark != nil && (s.contract.Int64 != int64(r.Mark.Contract) || s.class.Int64 != int64(r.Mark.MailClass) ||
			s.tariff.Int64 != int64(r.Mark.TariffKop)) {
			t.Errorf("%s: contract, class, tariff %+v, want the mark's", r.ID, s)
		}
		if s.versions.String != "" || !s.versionsID.Valid {
			t.Errorf("%s: versions %v, versions_id %v, want '' and a list_versions row", r.ID, s.versions, s.versionsID)
		}
		got, err := db.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Mark, r.Mark) || got.Versions != r.Versions || got.Text != r.Text {
			t.Errorf("%s read back: mark %+v versions %+v, want %+v %+v", r.ID, got.Mark, got.Versions, r.Mark, r.Versions)
		}
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM list_versions`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("list_versions rows %d (%v), want 1 for one set of versions", n, err)
	}

	// The first bulk row as a row written before migration 060 is.
	old := bulk[0]
	fields := old.Mark.Fields().AppendJSON(nil)
	versions, _ := json.Marshal(old.Versions)
	if _, err := db.SQL().Exec(`UPDATE scans SET mark_fields = ?, versions = ?, versions_id = NULL, contract = NULL,
		mail_class = NULL, tariff_kop = NULL WHERE id = ?`, string(fields), string(versions), old.ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.Get(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Mark, old.Mark) || got.Versions != old.Versions {
		t.Errorf("older row read back: mark %+v versions %+v, want %+v %+v", got.Mark, got.Versions, old.Mark, old.Versions)
	}
	list, _, err := db.List(ctx, Filter{Contract: old.Mark.Contract, Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(recs) - 1; len(list) != want { // every mark but noMark's has the contract
		t.Errorf("contract filter: %d scans, want %d", len(list), want)
	}
	if list, _, err = db.List(ctx, Filter{Contract: old.Mark.Contract + 1}); err != nil || len(list) != 0 {
		t.Errorf("other contract: %d scans (%v), want none", len(list), err)
	}
}

// TestSlimRowsBatchTotals adds up the tariffs of a batch whose scans are
// in both row forms.
func TestSlimRowsBatchTotals(t *testing.T) {
	ctx := context.Background()
	db, _ := scOpen(t)
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A", Opened: at})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*mark.Record
	for i := range 3 {
		r := signedRec(t, uint64(10+i), "A", at.Add(time.Duration(i)*time.Second), mark.Accept)
		if err := db.Save(ctx, r, time.Minute); err != nil {
			t.Fatal(err)
		}
		if r.Batch != b.ID {
			t.Fatalf("scan in batch %q, want %q", r.Batch, b.ID)
		}
		recs = append(recs, r)
	}
	if _, err := db.SQL().Exec(`UPDATE scans SET mark_fields = ?, contract = NULL, mail_class = NULL, tariff_kop = NULL
		WHERE id = ?`, string(recs[0].Mark.Fields().AppendJSON(nil)), recs[0].ID); err != nil {
		t.Fatal(err)
	}
	tot, err := db.BatchTotals(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := recs[0].Mark
	if tot.Accepted != 3 || tot.PaidKop != 3*int64(m.TariffKop) || tot.PerClass[m.MailClass] != 3 {
		t.Fatalf("totals %+v, want 3 accepted, %d kop, 3 of class %d", tot, 3*m.TariffKop, m.MailClass)
	}
}

// TestRollbackForgetsVersions: a transaction that added a list_versions
// row and was rolled back took the row with it, so the writer must not
// name it again; the next scan's row names one that exists.
func TestRollbackForgetsVersions(t *testing.T) {
	ctx := context.Background()
	db, _ := scOpen(t)
	w := &db.writer
	w.mu.Lock()
	if err := w.open(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := w.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	v := mark.Versions{Keyring: "k9", Tariffs: "t9", Revocations: "none"}
	if _, err := w.versionsID(ctx, v); err != nil {
		t.Fatal(err)
	}
	w.abort()
	w.mu.Unlock()
	r := signedRec(t, 1, "A", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), mark.Accept)
	r.Versions = v
	if err := db.Save(ctx, r, time.Minute); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM scans s JOIN list_versions lv ON lv.id = s.versions_id
		WHERE s.id = ?`, r.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the scan's versions_id names %d list_versions rows (%v), want 1", n, err)
	}
	if got, err := db.Get(ctx, r.ID); err != nil || got.Versions != v {
		t.Fatalf("versions read back %+v (%v), want %+v", got.Versions, err, v)
	}
}
