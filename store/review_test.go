package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/mark"
)

func init() { PasswordCost = bcrypt.MinCost }

// rvOpen opens a fresh store in t.TempDir with a fixed clock.
func rvOpen(t *testing.T) *DB {
	t.Helper()
	db, _ := openTest(t, Options{Now: func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }})
	return db
}

// rvInsert records a scan through Save, the pipeline's write path.
func rvInsert(t *testing.T, db *DB, r mark.Record) {
	t.Helper()
	if err := db.Save(context.Background(), &r, 10*time.Minute); err != nil {
		t.Fatalf("save %s: %v", r.ID, err)
	}
}

func rvMark(serial uint64, contract uint32) *mark.Mark {
	return &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: serial, Contract: contract, MailClass: 2,
		WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9820, ValidUntil: 9910, Tracking: 42600000000015}
}

func rvFixture(t *testing.T, db *DB) {
	base := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	recs := []mark.Record{
		{ID: "r1", At: base, Office: 426000, Counter: "A", Operator: "ivan", Text: "EPM1:A", Verdict: mark.Accept, Mark: rvMark(1, 100)},
		{ID: "r2", At: base.Add(time.Hour), Office: 426000, Counter: "B", Operator: "olga", Text: "EPM1:A", Verdict: mark.Reject,
			Reasons: []mark.Reason{mark.ReasonReused}, Mark: rvMark(1, 100),
			FirstAccepted: &mark.Acceptance{RecordID: "r1", At: base, Office: 426000, Counter: "A"}},
		{ID: "r3", At: base.Add(2 * time.Hour), Office: 426000, Counter: "A", Operator: "ivan", Text: "EPM1:B", Verdict: mark.Reject,
			Reasons: []mark.Reason{mark.ReasonUnderpaid, mark.ReasonExpired}, Mark: rvMark(2, 200)},
		{ID: "r4", At: base.Add(26 * time.Hour), Office: 426000, Counter: "A", Operator: "ivan", Text: "EPM1:C", Verdict: mark.Reject,
			Reasons: []mark.Reason{mark.ReasonBadSignature}},
		{ID: "r5", At: base.Add(27 * time.Hour), Office: 426000, Counter: "B", Operator: "olga", Text: "EPM1:D", Verdict: mark.Reject,
			Reasons: []mark.Reason{mark.ReasonKeyRevoked}, Mark: rvMark(3, 100)},
		{ID: "r6", At: base.Add(28 * time.Hour), Office: 426000, Counter: "B", Text: "hello", Verdict: mark.NotAMark},
	}
	for _, r := range recs {
		rvInsert(t, db, r)
	}
}

func rvIDs(p ReviewPage) []string {
	var ids []string
	for _, r := range p.Records {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestListReviewFilters(t *testing.T) {
	db := rvOpen(t)
	rvFixture(t, db)
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	tests := []struct {
		name  string
		f     ReviewFilter
		want  []string
		total int
	}{
		{"all rejected, newest first", ReviewFilter{}, []string{"r5", "r4", "r3", "r2"}, 4},
		{"reason", ReviewFilter{Reason: mark.ReasonUnderpaid}, []string{"r3"}, 1},
		{"reason REVOKED is not KEY_REVOKED", ReviewFilter{Reason: mark.ReasonRevoked}, nil, 0},
		{"counter", ReviewFilter{Counter: "B"}, []string{"r5", "r2"}, 2},
		{"operator", ReviewFilter{Operator: "ivan"}, []string{"r4", "r3"}, 2},
		{"contract", ReviewFilter{Contract: 100}, []string{"r5", "r2"}, 2},
		{"date range", ReviewFilter{From: day("2026-11-24"), To: day("2026-11-25")}, []string{"r3", "r2"}, 2},
		{"paging", ReviewFilter{Limit: 2, Offset: 1}, []string{"r4", "r3"}, 4},
		{"state pending", ReviewFilter{State: mark.ReviewPending}, []string{"r5", "r4", "r3", "r2"}, 4},
		{"state confirmed", ReviewFilter{State: mark.ReviewConfirmed}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := db.ListReview(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			got := rvIDs(p)
			if len(got) != len(tc.want) || p.Total != tc.total {
				t.Fatalf("got %v (total %d), want %v (total %d)", got, p.Total, tc.want, tc.total)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestReviewRecordFields(t *testing.T) {
	db := rvOpen(t)
	rvFixture(t, db)
	r, err := db.ReviewRecord(context.Background(), "r2")
	if err != nil {
		t.Fatal(err)
	}
	if r.Mark == nil || r.Mark.Serial != 1 || r.Mark.Contract != 100 {
		t.Fatalf("mark not decoded: %+v", r.Mark)
	}
	if r.FirstAccepted == nil || r.FirstAccepted.RecordID != "r1" || r.FirstAccepted.Counter != "A" {
		t.Fatalf("first acceptance not decoded: %+v", r.FirstAccepted)
	}
	if r.Review != mark.ReviewPending || len(r.Reasons) != 1 || r.Reasons[0] != mark.ReasonReused {
		t.Fatalf("review %q reasons %v", r.Review, r.Reasons)
	}
	if _, err := db.ReviewRecord(context.Background(), "nope"); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("missing record: %v, want ErrNotFound", err)
	}
}

func TestReviewActions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(db *DB) error
		id      string
		action  func(db *DB, id string) error
		wantErr error
		state   mark.ReviewState
	}{
		{name: "confirm without note", id: "r3",
			action: func(db *DB, id string) error { return db.ConfirmRejection(ctx, id, "sveta", "") },
			state:  mark.ReviewConfirmed},
		{name: "confirm twice", id: "r3",
			prepare: func(db *DB) error { return db.ConfirmRejection(ctx, "r3", "sveta", "") },
			action:  func(db *DB, id string) error { return db.ConfirmRejection(ctx, id, "sveta", "") },
			wantErr: mark.ErrConflict, state: mark.ReviewConfirmed},
		{name: "override with note", id: "r3",
			action: func(db *DB, id string) error { return db.OverrideAccept(ctx, id, "sveta", "paid at the till") },
			state:  mark.ReviewOverridden},
		{name: "override after confirm", id: "r3",
			prepare: func(db *DB) error { return db.ConfirmRejection(ctx, "r3", "sveta", "") },
			action:  func(db *DB, id string) error { return db.OverrideAccept(ctx, id, "sveta", "customer showed receipt") },
			state:   mark.ReviewOverridden},
		{name: "override without note", id: "r3",
			action:  func(db *DB, id string) error { return db.OverrideAccept(ctx, id, "sveta", "  ") },
			wantErr: mark.ErrInvalid, state: mark.ReviewPending},
		{name: "double override", id: "r3",
			prepare: func(db *DB) error { return db.OverrideAccept(ctx, "r3", "sveta", "first") },
			action:  func(db *DB, id string) error { return db.OverrideAccept(ctx, id, "petr", "second") },
			wantErr: mark.ErrConflict, state: mark.ReviewOverridden},
		{name: "override of REUSED: serial held by r1", id: "r2",
			action:  func(db *DB, id string) error { return db.OverrideAccept(ctx, id, "sveta", "looks fine") },
			wantErr: mark.ErrConflict, state: mark.ReviewPending},
		{name: "override of bad signature: no trusted serial", id: "r4",
			action:  func(db *DB, id string) error { return db.OverrideAccept(ctx, id, "sveta", "looks fine") },
			wantErr: mark.ErrConflict, state: mark.ReviewPending},
		{name: "confirm of an accepted record", id: "r1",
			action:  func(db *DB, id string) error { return db.ConfirmRejection(ctx, id, "sveta", "") },
			wantErr: mark.ErrConflict, state: mark.ReviewNone},
		{name: "unknown record", id: "zz",
			action:  func(db *DB, id string) error { return db.OverrideAccept(ctx, id, "sveta", "x") },
			wantErr: mark.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := rvOpen(t)
			rvFixture(t, db)
			if tc.prepare != nil {
				if err := tc.prepare(db); err != nil {
					t.Fatalf("prepare: %v", err)
				}
			}
			before, _ := db.AuditFor(ctx, tc.id)
			err := tc.action(db, tc.id)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			after, _ := db.AuditFor(ctx, tc.id)
			if grew := len(after) - len(before); (err == nil) != (grew == 1) {
				t.Fatalf("audit grew by %d for err %v", grew, err)
			}
			if tc.wantErr == mark.ErrNotFound {
				return
			}
			r, rerr := db.ReviewRecord(ctx, tc.id)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if r.Review != tc.state {
				t.Fatalf("state %q, want %q", r.Review, tc.state)
			}
			var holder string
			qerr := db.SQL().QueryRow(`SELECT record_id FROM used_serials WHERE serial = 2`).Scan(&holder)
			if overridden := tc.id == "r3" && tc.state == mark.ReviewOverridden; overridden != (qerr == nil && holder == "r3") {
				t.Fatalf("used_serials for serial 2: holder %q err %v; overridden %v", holder, qerr, overridden)
			}
		})
	}
}

func TestOverrideRacesAcceptOfSameSerial(t *testing.T) {
	// r3 and a second rejection share serial 2: only one override can win.
	db := rvOpen(t)
	rvFixture(t, db)
	rvInsert(t, db, mark.Record{ID: "r7", At: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), Counter: "C", Text: "EPM1:B",
		Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonExpired}, Mark: rvMark(2, 200)})
	ctx := context.Background()
	errs := make(chan error, 2)
	for _, id := range []string{"r3", "r7"} {
		go func() { errs <- db.OverrideAccept(ctx, id, "sveta", "race") }()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("exactly one override must win: %v / %v", e1, e2)
	}
	for _, e := range []error{e1, e2} {
		if e != nil && !errors.Is(e, mark.ErrConflict) {
			t.Fatalf("loser: %v, want ErrConflict", e)
		}
	}
}

func TestDayStats(t *testing.T) {
	db := rvOpen(t)
	rvFixture(t, db)
	loc := time.FixedZone("MSK", 3*3600)
	got, err := db.DayStats(context.Background(), time.Date(2026, 11, 20, 0, 0, 0, 0, loc), time.Date(2026, 11, 30, 0, 0, 0, 0, loc), loc)
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]int{}
	for _, c := range got {
		sum[c.Day+" "+string(c.Verdict)+" "+string(c.Reason)] += c.N
	}
	want := map[string]int{
		"2026-11-24 ACCEPT ":              1,
		"2026-11-24 REJECT ":              2, // two rejected scans, one with two reasons
		"2026-11-25 REJECT ":              2,
		"2026-11-24 REJECT REUSED":        1,
		"2026-11-24 REJECT UNDERPAID":     1,
		"2026-11-24 REJECT EXPIRED":       1,
		"2026-11-25 REJECT BAD_SIGNATURE": 1,
		"2026-11-25 REJECT KEY_REVOKED":   1,
		"2026-11-25 NOT_A_MARK ":          1,
	}
	if len(sum) != len(want) {
		t.Fatalf("got %v, want %v", sum, want)
	}
	for k, n := range want {
		if sum[k] != n {
			t.Fatalf("%s: got %d, want %d (all: %v)", k, sum[k], n, sum)
		}
	}
}
