package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// presetID starts the ids bulkScenario gives its scans.
const presetID = "0190a000-0000-7000-8000-"

// bulkScenario is a run of scans that exercises every rule of the write
// path: reuse within the run and against the store (DUPLICATE_SCAN in and
// out of the window, REUSED at another counter or with another text, a
// REJECT of a used serial), serials restored from the collector, batches
// (the contract from the first verified mark, OTHER_CONTRACT), scans that
// are no mark, preset and generated ids and times, times in another zone.
func bulkScenario(seed uint64, n int) []mark.Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	zone := time.FixedZone("MSK", 3*3600)
	recs := make([]mark.Record, 0, n+16)
	add := func(r *mark.Record) { recs = append(recs, *r) }
	// Fixed cases first, then a random mix over a small pool of serials.
	add(scRec(1, "A", t0, mark.Accept))
	add(scRec(1, "A", t0.Add(3*time.Minute), mark.Accept))  // duplicate in the window
	add(scRec(1, "A", t0.Add(30*time.Minute), mark.Accept)) // out of the window: reused
	add(scRec(1, "B", t0.Add(4*time.Minute), mark.Accept))  // other counter: reused
	other := scRec(1, "A", t0.Add(time.Minute), mark.Accept)
	other.Text = "EPM1:OTHERTEXT" // same serial, other text
	add(other)
	add(scRec(2, "A", t0, mark.Reject, mark.ReasonExpired)) // a REJECT claims nothing
	add(scRec(2, "A", t0.In(zone).Add(time.Minute), mark.Accept))
	add(scRec(2, "A", t0.Add(2*time.Minute), mark.Accept)) // duplicate of a scan stored in another zone
	add(scRec(1, "A", t0, mark.Reject, mark.ReasonUnderpaid))
	add(scRec(900, "A", t0, mark.Accept))          // accepted in the store before the run
	add(scRec(901, "C", t0, mark.Accept))          // restored from the collector
	add(scRec(901, "C", t0, mark.Reject))          // restored, REJECT
	add(contractRec(3, 777, "D", t0, mark.Accept)) // counter D's batch takes 777
	add(contractRec(4, 1004417, "D", t0, mark.Accept))
	add(contractRec(5, 1004417, "D", t0, mark.Reject, mark.ReasonExpired))
	add(&mark.Record{At: t0, Counter: "D", Source: "t", Text: "hello", Verdict: mark.NotAMark})
	add(&mark.Record{Counter: "A", Source: "t", Text: "no time", Verdict: mark.NotAMark})
	add(&mark.Record{At: t0, Counter: "A", Source: "t", Text: "", Verdict: mark.Error, Message: "x"})
	for i := range bulkRows + 20 { // plain ACCEPTs: rows that share most columns
		add(scRec(uint64(100000+i), "A", t0, mark.Accept))
	}
	for i := 0; i < n; i++ {
		serial := uint64(10 + rng.IntN(n/3+1))
		counter := string(rune('A' + rng.IntN(4)))
		at := t0.Add(time.Duration(rng.IntN(40*60)) * time.Second)
		if rng.IntN(5) == 0 {
			at = at.In(zone)
		}
		var r *mark.Record
		switch k := rng.IntN(20); {
		case k < 13:
			r = contractRec(serial, []uint32{1004417, 777}[rng.IntN(2)], counter, at, mark.Accept)
		case k < 16:
			r = scRec(serial, counter, at, mark.Reject, mark.ReasonExpired)
		case k < 17:
			r = scRec(serial, counter, at, mark.Accept)
			r.Text += "-other"
		case k < 18:
			r = scRec(serial, counter, at, mark.Accept, mark.ReasonReused) // a reason already there
		default:
			r = &mark.Record{At: at, Counter: counter, Source: "t", Text: fmt.Sprint("junk", i), Verdict: mark.NotAMark}
		}
		if rng.IntN(3) > 0 {
			r.ID = fmt.Sprintf("%s%012d", presetID, len(recs))
		}
		add(r)
	}
	return recs
}

// bulkStore is a store ready for bulkScenario: serial 900 accepted, 901
// restored, a batch without a contract open at counter D.
func bulkStore(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	now := t0.Add(time.Hour)
	db, _ := openTest(t, Options{Now: func() time.Time { return now }})
	if err := db.Save(ctx, scRec(900, "A", t0.Add(-time.Minute), mark.Accept), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := db.RestoreSerials(ctx, []RestoredSerial{{Serial: 901, RecordID: "hub-1", At: t0.Add(-time.Hour), Office: 426000, Counter: "C"}}, 901); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "D"}); err != nil {
		t.Fatal(err)
	}
	return db
}

// storedRows is every scan row and claimed serial in insertion order, ids
// and batch ids replaced by their first position so that two stores with
// generated ids compare.
func storedRows(t *testing.T, db *DB) []string {
	t.Helper()
	names := map[string]string{}
	name := func(s string) string {
		if s == "" {
			return ""
		}
		if _, ok := names[s]; !ok {
			names[s] = fmt.Sprint("#", len(names))
		}
		return names[s]
	}
	var out []string
	rows, err := db.SQL().Query(`SELECT id, at, office, counter, operator, source, raw_text, verdict, reasons,
		coalesce(serial, -1), coalesce(mark_fields, ''), measured_weight_g, coalesce(first_accepted, ''),
		coalesce((SELECT lv.versions FROM list_versions lv WHERE lv.id = versions_id), versions),
		message, review_state, upload_state, coalesce(batch_id, ''),
		coalesce(contract, -1), coalesce(mail_class, -1), coalesce(tariff_kop, -1) FROM scans ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		v := make([]string, 21)
		p := make([]any, len(v))
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			t.Fatal(err)
		}
		v[0], v[17] = name(v[0]), name(v[17])
		for id, n := range names { // the first acceptance names a record id
			v[12] = strings.ReplaceAll(v[12], id, n)
		}
		out = append(out, strings.Join(v, "|"))
	}
	claims, err := db.SQL().Query(`SELECT serial, record_id FROM used_serials ORDER BY serial`)
	if err != nil {
		t.Fatal(err)
	}
	defer claims.Close()
	for claims.Next() {
		var serial int64
		var id string
		if err := claims.Scan(&serial, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint("used ", serial, " ", name(id)))
	}
	var contract uint32
	if err := db.SQL().QueryRow(`SELECT contract FROM batches WHERE counter = 'D'`).Scan(&contract); err != nil {
		t.Fatal(err)
	}
	return append(out, fmt.Sprint("batch contract ", contract))
}

// TestSaveBulkSameAsOneByOne holds the bulk write path (SaveBatch of
// bulkMin scans or more) to the one-scan path: the same scans saved one
// Save at a time, all in one SaveBatch, and in SaveBatch chunks that cut
// reuse pairs apart give the same records and the same rows.
func TestSaveBulkSameAsOneByOne(t *testing.T) {
	ctx := context.Background()
	for _, seed := range []uint64{1, 2} {
		scen := bulkScenario(seed, 300)
		var want []mark.Record
		var wantRows []string
		for _, chunk := range []int{1, len(scen), bulkMin, 37, bulkRows + 1} {
			t.Run(fmt.Sprintf("seed %d chunk %d", seed, chunk), func(t *testing.T) {
				db := bulkStore(t)
				got := make([]mark.Record, len(scen))
				copy(got, scen)
				for lo := 0; lo < len(got); lo += chunk {
					var ptrs []*mark.Record
					for i := lo; i < min(lo+chunk, len(got)); i++ {
						ptrs = append(ptrs, &got[i])
					}
					if err := db.SaveBatch(ctx, ptrs, 10*time.Minute); err != nil {
						t.Fatalf("scans %d…: %v", lo, err)
					}
				}
				rows := storedRows(t, db)
				if chunk == 1 {
					want, wantRows = got, rows
					return
				}
				for i := range got {
					g, w := got[i], want[i]
					if scen[i].ID == "" { // generated: differs between stores
						g.ID, w.ID = "", ""
					}
					if g.Batch != "" && w.Batch != "" { // each store opened its own
						g.Batch, w.Batch = "open", "open"
					}
					if g.FirstAccepted != nil && w.FirstAccepted != nil && !strings.HasPrefix(w.FirstAccepted.RecordID, presetID) {
						ga, wa := *g.FirstAccepted, *w.FirstAccepted
						ga.RecordID, wa.RecordID = "", "" // generated (storedRows compares them by position)
						g.FirstAccepted, w.FirstAccepted = &ga, &wa
					}
					if !reflect.DeepEqual(g, w) {
						t.Fatalf("scan %d:\n got  %+v %+v\n want %+v %+v", i, g, g.FirstAccepted, w, w.FirstAccepted)
					}
				}
				if !reflect.DeepEqual(rows, wantRows) {
					for i := range min(len(rows), len(wantRows)) {
						if rows[i] != wantRows[i] {
							t.Fatalf("row %d:\n got  %s\n want %s", i, rows[i], wantRows[i])
						}
					}
					t.Fatalf("%d rows, want %d", len(rows), len(wantRows))
				}
			})
		}
		if seed == 1 { // the scenario reaches every verdict of the store's rules
			seen := map[mark.Verdict]int{}
			for _, r := range want {
				seen[r.Verdict]++
			}
			for _, v := range []mark.Verdict{mark.Accept, mark.Reject, mark.DuplicateScan, mark.NotAMark} {
				if seen[v] == 0 {
					t.Errorf("no %s in the scenario: %v", v, seen)
				}
			}
		}
	}
}

// TestUsedSerialsQueryPlan: the first-use query of a bulk save seeks each
// serial of its array in used_serials and restored_serials (no scan, no
// temporary index of the array) and finds the same rows either way round.
func TestUsedSerialsQueryPlan(t *testing.T) {
	db := bulkStore(t)
	plan := strings.Join(queryPlan(t, db, usedSerialsQuery, "[5,7]"), "\n")
	for _, want := range []string{"SEARCH u USING INTEGER PRIMARY KEY", "SEARCH r USING INTEGER PRIMARY KEY"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan has no %q:\n%s", want, plan)
		}
	}
	for _, bad := range []string{"SCAN u", "SCAN r", "AUTOMATIC", "TEMP B-TREE", "LIST SUBQUERY"} {
		if strings.Contains(plan, bad) {
			t.Errorf("plan has %q:\n%s", bad, plan)
		}
	}
}

// TestBulkColsSameAsScanArgs: the bulk path's unboxed columns are the
// values scanArgs gives the one-scan path, column by column, for every
// kind of scan of bulkScenario (with and without pre-encoded parts, a
// frame, an empty frame, a batch, reuse columns), and the statement's
// arguments keep sharedInsert's order.
func TestBulkColsSameAsScanArgs(t *testing.T) {
	db := bulkStore(t)
	w := &db.writer
	scen := bulkScenario(4, 200)
	scen[0].Frame, scen[1].Frame = []byte{0xff, 0xd8, 1}, []byte{}
	scen[3].Operator, scen[4].Message = "ivanova", "note"
	scen[5].FirstAccepted = &mark.Acceptance{RecordID: "x", At: t0, Office: 1, Counter: "C"}
	for i := range scen {
		if scen[i].ID == "" {
			scen[i].ID = fmt.Sprintf("%s%012d", presetID, 900000+i)
		}
	}
	parts := make([]RowParts, len(scen))
	EncodeRows(scen, parts)
	for _, pre := range []bool{false, true} {
		var cols []bulkCol
		for i := range scen {
			r1, r2 := scen[i], scen[i]
			var p *RowParts
			if pre {
				p = &parts[i]
			}
			want, err := w.scanArgs(context.Background(), nil, &r1, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.bulkRowCols(context.Background(), nil, &r2, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(got) != scanCols {
				t.Fatalf("scan %d: %d columns, scanArgs %d, insertScan %d", i, len(got), len(want), scanCols)
			}
			for c := range got {
				switch x := want[c].(type) { // what the driver binds
				case []byte:
					if x == nil {
						want[c] = nil
					}
				case int:
					want[c] = int64(x)
				case uint32:
					want[c] = int64(x)
				}
				if v := got[c].value(); !reflect.DeepEqual(v, want[c]) {
					t.Errorf("scan %d column %d: %#v, scanArgs %#v", i, c, v, want[c])
				}
			}
			if !reflect.DeepEqual(r1, r2) {
				t.Errorf("scan %d: record set to %+v, scanArgs %+v", i, r2, r1)
			}
			cols = append(cols, got...)
		}
		// A statement of 3 rows through database/sql (the path without
		// the C API): the shared columns once, then the rest.
		three := cols[:3*scanCols]
		key := sharedKey{rows: 3}
		for c := range scanCols {
			if three[c].same(&three[scanCols+c]) && three[c].same(&three[2*scanCols+c]) {
				key.shared |= 1 << c
			}
		}
		if _, err := db.db.Exec(sharedInsert(key, scanCols), sharedArgs(three, key)...); err != nil {
			t.Fatalf("statement of 3 rows (shared %b): %v", key.shared, err)
		}
		if _, err := db.db.Exec(`DELETE FROM scans WHERE id IN (?,?,?)`, three[0].s, three[scanCols].s, three[2*scanCols].s); err != nil {
			t.Fatal(err)
		}
	}
}
