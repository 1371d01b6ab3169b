package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
)

// TestProcessesSyncOnceReport: `markd sync --once` says what became of the
// backlog, not how many records were pending when it started. Of five
// records of terminal A one is another office's (refused, set aside), one
// carries a made-up mark (stored unverified) and one a serial office B
// uploaded before (a reuse alert); the report counts 4 uploaded, 1 of them
// unverified, 1 set aside and 1 alert. A run that ends on an error (a
// record stamped ahead of the collector's clock) still reports what went.
func TestProcessesSyncOnceReport(t *testing.T) {
	markhub, markd := buildBinaries(t)
	addr, _, tokA, tokB := twoOfficeHub(t, markhub)

	dbB, _ := writeScans(t, t.TempDir(), []scanRow{{office: 101000, serial: 900}})
	run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), dbB, "http://"+addr, tokB, 100))
	dbA, _ := writeScans(t, t.TempDir(), []scanRow{
		{office: 426000, serial: 900}, // B accepted it first: a reuse alert
		{office: 426000, serial: 901},
		{office: 101000, serial: 902},                    // another office's: refused, set aside
		{office: 426000, serial: 903, text: "EPM1:FAKE"}, // made up: stored unverified
		{office: 426000, serial: 904},
	})
	out := run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), dbA, "http://"+addr, tokA, 100))
	for _, want := range []string{"uploaded 4 records in ", "1 of them stored unverified", "1 record refused by the collector and set aside",
		"1 reuse alert"} {
		if !strings.Contains(out, want) {
			t.Errorf("markd sync --once said:\n%s\nwant it to say %q", out, want)
		}
	}
	if strings.Contains(out, "pending") {
		t.Errorf("markd sync --once said:\n%s\nbut nothing is left pending", out)
	}

	// Two records, the second stamped a day ahead: the first goes, the run
	// ends (exit 1) and still says so.
	dbC, _ := writeScans(t, t.TempDir(), []scanRow{{office: 426000, serial: 910}})
	aheadRecord(t, dbC, 24*time.Hour)
	cmd := exec.Command(markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), dbC, "http://"+addr, tokA, 100))
	stdout, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("markd sync --once with a record a day ahead: %v, want exit 1", err)
	}
	for _, want := range []string{"uploaded 1 records in ", "1 record still pending"} {
		if !strings.Contains(string(stdout), want) {
			t.Errorf("markd sync --once said:\n%s\nwant it to say %q", stdout, want)
		}
	}
	if !strings.Contains(string(ee.Stderr), "ahead of the collector's clock") {
		t.Errorf("stderr %s, want the record ahead named", ee.Stderr)
	}
}

// aheadRecord stores a NOT_A_MARK scan stamped d past what markhub serve
// takes from the machine's clock (its clock plus collectorAhead), through
// the store's write path.
func aheadRecord(t *testing.T, path string, d time.Duration) {
	t.Helper()
	db, err := store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := &mark.Record{At: time.Now().Add(collectorAhead() + d), Office: 426000, Counter: "1", Source: "stdin", Text: "0460", Verdict: mark.NotAMark,
		Reasons: []mark.Reason{}, Versions: mark.Versions{Keyring: "k", Tariffs: "t", Revocations: "r"}}
	if err := db.SaveBatch(context.Background(), []*mark.Record{r}, 0); err != nil {
		t.Fatal(err)
	}
}
