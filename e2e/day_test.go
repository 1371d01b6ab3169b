package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub/hubtest"
	"markd/internal/testdata"
	"markd/mark"
)

// TestCounterDay walks one post-office day with the real binaries, as the
// people do it, on one clock (testdata.Now, --clock):
//
//   - the engineer starts markhub on PostgreSQL (distribution key,
//     terminals of two offices, a bundle of the lists, a regional account)
//     and sets up counter A from docs/operations.md: markd init, accounts,
//     a token for the cash-desk program, a serial scanner (a socat pty) and
//     the collector;
//   - the operator logs in and scans single marks: accepted, underpaid,
//     for another office, scanned again, not a mark;
//   - the cash-desk program opens a batch through the local API, sends the
//     customer's list (testdata/batches/list-utf8.csv, its marks signed
//     here for the test day), the operator scans the envelopes (a copy, a
//     rejected one, one not listed, one of another contract, one missing)
//     while the program follows on /events, closes it and takes the
//     receipt;
//   - the supervisor reviews the rejections (override with a note, confirm),
//     and exports the CSV;
//   - the counter uploads; counter B of another office, a cash desk only
//     (no scanner source, run as a service would be), accepts a mark A
//     accepted, and both counters and the regional page see the reuse;
//   - the day ends with a backup while running, a stop and a start: the
//     batch, the review and the reuse are there, and the first mark
//     scanned again is REUSED.
//
// A keyboard-wedge source needs /dev/uinput to type into; the operator
// screen's own wedge is TestWedgeOnOperatorScreen's.
func TestCounterDay(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, markhub and two counters")
	}
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL test skipped: " + why)
	}
	td := testdata.Dir(t)
	began := time.Now()
	step := func(what string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), what) }
	markhub := markhubBinary(t)
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	now := testdata.Now()
	day := testdata.Today(msk)
	sign := testdata.Signer(t)
	ctx := context.Background()

	// --- The collector, on its own PostgreSQL.
	step("The collector, on its own PostgreSQL.")
	dsn := hubtest.SharedDatabase(t)
	hubDir := t.TempDir()
	pg := []string{"--db-driver", "postgres", "--db", dsn}
	hubCLI := func(stdin string, args ...string) string {
		t.Helper()
		if args[0] != "keys" {
			args = append(args, pg...)
		}
		cmd := exec.Command(markhub, args...)
		cmd.Stdin = strings.NewReader(stdin)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("markhub %s: %v\n%s%s", strings.Join(args, " "), err, out, errb.Bytes())
		}
		return strings.TrimSpace(string(out))
	}
	distKey := filepath.Join(hubDir, "distribution.key")
	pub := hubCLI("", "keys", "new", "--out", distKey)
	tokA := hubCLI("", "terminal", "add", "office-a", "--office", "426000")
	tokB := hubCLI("", "terminal", "add", "office-b", "--office", "101000")
	hubCLI("", "bundle", "publish", "--key", distKey,
		"--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml"))
	hubCLI("regional-pw-1\n", "user", "add", "region")
	hubURL := startHub(t, markhub, pg)

	// --- Counter A: a serial scanner and the collector.
	step("Counter A: a serial scanner and the collector.")
	dev, peer := scannerPty(t)
	dirA := t.TempDir()
	cfgA := counterConfig(t, dirA, 426000, hubURL, tokA, pub, fmt.Sprintf(`sources:
  - kind: serial
    name: front
    port: %q
`, dev))
	runCLI(t, "", "init", "--config", cfgA)
	runCLI(t, "operator-pw-1\n", "user", "add", "ivanova", "--role", "operator", "--config", cfgA)
	runCLI(t, "supervisor-pw-1\n", "user", "add", "boss", "--role", "supervisor", "--config", cfgA)
	kassa := tokenAdd(t, cfgA, "kassa")
	a := runDaemon(t, cfgA, now, false)
	kassa.url = a.URL
	waitHistory(t, a.URL)

	op := newBrowser(t, a.URL)
	if code := op.login("ivanova", "operator-pw-1"); code != http.StatusSeeOther {
		t.Fatalf("operator login: %d", code)
	}
	scanner := &serialScanner{d: a, peer: peer}
	valid := func(serial uint64, contract uint32) mark.Mark {
		m := testdata.ValidMark(serial, day)
		m.Contract = contract
		return m
	}

	// --- Single marks at the counter.
	step("Single marks at the counter.")
	first := scanner.scan(t, sign(valid(9001, 77)))
	underpaid := valid(9002, 77)
	underpaid.TariffKop = 100
	under := scanner.scan(t, sign(underpaid))
	elsewhere := valid(9003, 77)
	elsewhere.Office = 101000
	wrongOffice := scanner.scan(t, sign(elsewhere))
	again := scanner.scan(t, sign(valid(9001, 77)))
	notMark := scanner.scan(t, "https://example.org/track")
	for _, c := range []struct {
		got     verdictLine
		verdict mark.Verdict
		reason  mark.Reason
	}{{first, mark.Accept, ""}, {under, mark.Reject, mark.ReasonUnderpaid}, {wrongOffice, mark.Reject, mark.ReasonWrongOffice},
		{again, mark.DuplicateScan, ""}, {notMark, mark.NotAMark, ""}} {
		if c.got.Verdict != c.verdict || (c.reason != "" && (len(c.got.Reasons) != 1 || c.got.Reasons[0] != c.reason)) {
			t.Errorf("single scan %s: %s %v, want %s %s", c.got.ID, c.got.Verdict, c.got.Reasons, c.verdict, c.reason)
		}
	}
	if again.FirstAccepted == nil || again.FirstAccepted.RecordID != first.ID {
		t.Errorf("scanned again: first_accepted %+v, want record %s", again.FirstAccepted, first.ID)
	}
	var rec struct {
		Operator string `json:"operator"`
		Source   string `json:"source"`
	}
	kassa.json(t, "GET", "/api/scans/"+first.ID, nil, "", http.StatusOK, &rec)
	if rec.Operator != "ivanova" || rec.Source != "front" {
		t.Errorf("first scan: operator %q source %q, want ivanova at front", rec.Operator, rec.Source)
	}

	// --- A batch: the cash-desk program opens it and follows the scans.
	step("A batch: the cash-desk program opens it and follows the scans.")
	events := kassa.events(t)
	var b batchView
	kassa.json(t, "POST", "/api/batches", []byte(`{"contract": 1004417}`), "application/json", http.StatusCreated, &b)
	if b.Operator != "ivanova" {
		t.Errorf("batch opened by the cash desk while ivanova is at the counter: operator %q", b.Operator)
	}
	list, err := os.ReadFile(filepath.Join(td, "batches", "list-utf8.csv"))
	if err != nil {
		t.Fatal(err)
	}
	kassa.json(t, "POST", "/api/batches/"+b.ID+"/expect", list, "text/csv", http.StatusOK, &b)
	if b.ListItems != 12 || !b.HasList {
		t.Fatalf("list imported: %d items, has_list %v", b.ListItems, b.HasList)
	}
	items := listMarks(t, list, day)
	var batchScans []verdictLine
	for _, it := range items {
		if it.n == 10 {
			continue // the envelope the customer forgot
		}
		batchScans = append(batchScans, scanner.scan(t, sign(it.m)))
		if it.n == 3 {
			batchScans = append(batchScans, scanner.scan(t, sign(it.m))) // a copy of the mark
		}
	}
	short := valid(7100000012, 1004417)
	short.TariffKop = 10499
	batchScans = append(batchScans, scanner.scan(t, sign(short)))
	batchScans = append(batchScans, scanner.scan(t, sign(valid(7100000099, 1004417)))) // not on the list
	other := scanner.scan(t, sign(valid(9005, 77)))
	batchScans = append(batchScans, other)
	if other.Verdict != mark.Reject || len(other.Reasons) != 1 || other.Reasons[0] != mark.ReasonOtherContract {
		t.Errorf("mark of another contract in the batch: %s %v", other.Verdict, other.Reasons)
	}
	kassa.json(t, "GET", "/api/batches/"+b.ID, nil, "", http.StatusOK, &b)
	// item 8 is paid at the 2025 tariff: rejected, but scanned, so not
	// MISSING like item 10 (BATCH-LIST.md: "on the list, not scanned in the
	// batch"), and its mark is what the list says: no difference
	wantTotals := batchTotals{Scans: 15, Accepted: 11, Rejected: 3, Duplicates: 1}
	if got := b.Totals; got.Scans != wantTotals.Scans || got.Accepted != wantTotals.Accepted ||
		got.Rejected != wantTotals.Rejected || got.Duplicates != wantTotals.Duplicates {
		t.Errorf("batch totals %+v, want %+v", got, wantTotals)
	}
	var diffs []string
	for _, d := range b.Differences {
		diffs = append(diffs, fmt.Sprintf("%s %d", d.Kind, d.Serial))
	}
	if got, want := strings.Join(diffs, "; "), "MISSING 7100000010; EXTRA 7100000099"; got != want {
		t.Errorf("differences:\n got %s\nwant %s", got, want)
	}
	var closed batchView
	kassa.json(t, "POST", "/api/batches/"+b.ID+"/close", nil, "", http.StatusOK, &closed)
	if closed.State != "closed" {
		t.Errorf("closed batch: state %q", closed.State)
	}
	pdf := kassa.do(t, "GET", "/api/batches/"+b.ID+"/receipt.pdf", nil, "", http.StatusOK)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("receipt is not a PDF: %.20q", pdf)
	}
	if text, ok := pdfText(t, pdf); ok && (!strings.Contains(text, "ivanova") || strings.Contains(text, "api:kassa")) {
		t.Errorf("receipt names the operator as:\n%s", text)
	}
	inBatch := events.waitBatch(t, b.ID, len(batchScans))
	for i, s := range batchScans {
		if inBatch[i] != s.ID {
			t.Errorf("event %d of the batch: record %s, the scanner's line %s", i, inBatch[i], s.ID)
		}
	}

	// --- The supervisor reviews the rejections.
	step("The supervisor reviews the rejections.")
	sup := newBrowser(t, a.URL)
	if code := sup.login("boss", "supervisor-pw-1"); code != http.StatusSeeOther {
		t.Fatalf("supervisor login: %d", code)
	}
	if _, page := sup.get("/review", "text/html"); !strings.Contains(page, under.ID) || !strings.Contains(page, wrongOffice.ID) {
		t.Errorf("review list lacks the rejections %s, %s", under.ID, wrongOffice.ID)
	}
	const note = "customer paid the difference at the desk"
	if code := sup.post("/review/"+under.ID, "/review/"+under.ID+"/override", url.Values{"note": {note}}); code >= 400 {
		t.Errorf("override: %d", code)
	}
	if code := sup.post("/review/"+wrongOffice.ID, "/review/"+wrongOffice.ID+"/confirm", url.Values{"note": {"handed back"}}); code >= 400 {
		t.Errorf("confirm: %d", code)
	}
	if _, page := sup.get("/review/"+under.ID, "text/html"); !strings.Contains(page, note) {
		t.Errorf("the record's page lacks the note in its audit")
	}
	code, export := sup.get("/review/export.csv", "text/csv")
	if code != http.StatusOK {
		t.Fatalf("export: %d", code)
	}
	states := csvColumn(t, export, "id", "review_state")
	if states[under.ID] != "overridden" || states[wrongOffice.ID] != "confirmed" || states[other.ID] != "pending" {
		t.Errorf("CSV review states: %v", states)
	}

	// --- Upload: records, decisions and the batch reach the collector.
	step("Upload: records, decisions and the batch reach the collector.")
	testdata.Wait(t, 30*time.Second, "counter A's outbox empty", func() bool {
		h := health(t, a.URL)
		return h.Sync != nil && h.Sync.BacklogRecords == 0 && h.Sync.BacklogEvents == 0 && h.Sync.LastSuccess != ""
	})
	hubDB, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer hubDB.Close(ctx)
	var nRecords, nEvents int
	var batchOperator string
	if err := hubDB.QueryRow(ctx, `SELECT (SELECT count(*) FROM records WHERE terminal = 'office-a'),
		(SELECT count(*) FROM events WHERE terminal = 'office-a'),
		(SELECT operator FROM batches WHERE terminal = 'office-a' AND id = $1)`, b.ID).Scan(&nRecords, &nEvents, &batchOperator); err != nil {
		t.Fatalf("collector: %v", err)
	}
	if nRecords != 5+len(batchScans) || nEvents != 2 || batchOperator != "ivanova" {
		t.Errorf("collector holds %d records, %d review events, the batch's operator %q; want %d, 2, ivanova",
			nRecords, nEvents, batchOperator, 5+len(batchScans))
	}
	if out := hubCLI("", "contract", "1004417", "--from", now.UTC().Format(time.DateOnly), "--to", now.UTC().Format(time.DateOnly)); !strings.Contains(out, "426000") || !strings.Contains(out, " 11 ") {
		t.Errorf("markhub contract 1004417:\n%s", out)
	}

	// --- Counter B, another office: a cash desk only, run as a service.
	step("Counter B, another office: a cash desk only, run as a service.")
	dirB := t.TempDir()
	cfgB := counterConfig(t, dirB, 101000, hubURL, tokB, pub, "")
	runCLI(t, "", "init", "--config", cfgB)
	runCLI(t, "supervisor-pw-2\n", "user", "add", "chief", "--role", "supervisor", "--config", cfgB)
	desk := tokenAdd(t, cfgB, "desk")
	bd := runDaemon(t, cfgB, now.Add(time.Minute), false)
	desk.url = bd.URL
	waitHistory(t, bd.URL)
	if h := health(t, bd.URL); len(h.Sources) != 0 {
		t.Errorf("counter B without a scanner source shows sources %+v", h.Sources)
	}
	anyOffice := items[2] // n=3 is valid at any office
	var atB struct {
		ID      string       `json:"id"`
		Verdict mark.Verdict `json:"verdict"`
	}
	desk.json(t, "POST", "/api/scans", fmt.Appendf(nil, `{"text": %q}`, sign(anyOffice.m)), "application/json", http.StatusOK, &atB)
	if atB.Verdict != mark.Accept {
		t.Fatalf("counter B: %s (it cannot know A accepted it)", atB.Verdict)
	}
	supB := newBrowser(t, bd.URL)
	if code := supB.login("chief", "supervisor-pw-2"); code != http.StatusSeeOther {
		t.Fatalf("counter B supervisor login: %d", code)
	}
	serial := strconv.FormatUint(anyOffice.m.Serial, 10)
	testdata.Wait(t, 30*time.Second, "the reuse alert on both counters' review pages", func() bool {
		_, pa := sup.get("/review", "text/html")
		_, pb := supB.get("/review", "text/html")
		return strings.Contains(pa, serial) && strings.Contains(pa, "office-b") &&
			strings.Contains(pb, serial) && strings.Contains(pb, "office-a")
	})
	region := newBrowser(t, hubURL)
	if code := region.login("region", "regional-pw-1"); code != http.StatusSeeOther {
		t.Fatalf("regional login: %d", code)
	}
	if _, page := region.get("/alerts", "text/html"); !strings.Contains(page, serial) || !strings.Contains(page, "office-a") ||
		!strings.Contains(page, "office-b") {
		t.Errorf("regional alerts page lacks the reuse of %s", serial)
	}

	// --- The day ends: a backup while running, a stop and a start.
	step("The day ends: a backup while running, a stop and a start.")
	backup := filepath.Join(t.TempDir(), "markd-day.db")
	runCLI(t, "", "backup", backup, "--config", cfgA)
	if code := a.stop(t); code != 0 {
		t.Errorf("markd run stopped with exit %d, want 0", code)
	}
	runCLI(t, "", "doctor", "--deep", "--db", backup)
	a = runDaemon(t, cfgA, now.Add(time.Hour), false)
	scanner.d = a
	testdata.Wait(t, 30*time.Second, "the scanner back after the restart", func() bool {
		for _, s := range health(t, a.URL).Sources {
			if s.Name == "front" && s.Up {
				return true
			}
		}
		return false
	})
	var after batchView
	kassa.url = a.URL
	kassa.json(t, "GET", "/api/batches/"+b.ID, nil, "", http.StatusOK, &after)
	if after.State != "closed" || after.Upload != "uploaded" || after.Totals.Accepted != wantTotals.Accepted {
		t.Errorf("batch after the restart: %s, upload %s, %d accepted", after.State, after.Upload, after.Totals.Accepted)
	}
	reused := scanner.scan(t, sign(valid(9001, 77)))
	if reused.Verdict != mark.Reject || len(reused.Reasons) != 1 || reused.Reasons[0] != mark.ReasonReused ||
		reused.FirstAccepted == nil || reused.FirstAccepted.RecordID != first.ID {
		t.Errorf("the first mark an hour later: %s %v first %+v, want REUSED naming %s", reused.Verdict, reused.Reasons, reused.FirstAccepted, first.ID)
	}
	sup = newBrowser(t, a.URL)
	if code := sup.login("boss", "supervisor-pw-1"); code != http.StatusSeeOther {
		t.Fatalf("supervisor login after the restart: %d", code)
	}
	if _, page := sup.get("/review", "text/html"); !strings.Contains(page, serial) || !strings.Contains(page, reused.ID) {
		t.Errorf("after the restart the review lacks the reuse alert of %s or the REUSED scan", serial)
	}
}
