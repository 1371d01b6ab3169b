package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/store"
	msync "markd/sync"
)

// TestReportDrainLines: `markd sync --once` names every kind of answer
// the drain got, the collector's disputed acceptances among them.
func TestReportDrainLines(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "markd.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		p    msync.Progress
		want []string
		not  []string
	}{
		{msync.Progress{Uploaded: 3}, []string{"uploaded 3 records"}, []string{"disputed", "unverified", "set aside", "reuse alert"}},
		{msync.Progress{Uploaded: 3, Disputed: 1}, []string{"1 accepted record disputed by the collector"}, nil},
		{msync.Progress{Uploaded: 5, Disputed: 2, Unverified: 1, SetAside: 1, Alerts: 1},
			[]string{"2 accepted records disputed", "1 of them stored unverified", "1 record refused", "1 reuse alert"}, nil},
	} {
		var out bytes.Buffer
		reportDrain(&out, tc.p, time.Second, db)
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%+v: report lacks %q:\n%s", tc.p, w, out.String())
			}
		}
		for _, w := range tc.not {
			if strings.Contains(out.String(), w) {
				t.Errorf("%+v: report says %q:\n%s", tc.p, w, out.String())
			}
		}
	}
}
