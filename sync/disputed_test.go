package sync

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub/hubtest"
	"markd/internal/syncbuf"
	"markd/mark"
	"markd/store/storetest"
)

// TestDisputedAnswerLoggedAndCounted: a counter configured to accept
// marks of another office (its store holds ACCEPTs of marks issued for
// office 101000 at office 426000) uploads them to a real markhub, which
// stores them disputed (WRONG_OFFICE) and says so in its answer. The
// counter logs one warning for the answer naming how many and which
// records, counts them in markd_sync_disputed_records_total, its
// progress and /healthz's sync status (the last such answer kept
// through later answers that dispute nothing), and marks every record
// uploaded all the same. Before, the answer's "disputed" was read and
// dropped: nothing at the counter said the collector disputed anything.
func TestDisputedAnswerLoggedAndCounted(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	save := func(serial uint64, markOffice uint32) string {
		m := hubtest.TestMark(serial, markOffice)
		r := &mark.Record{At: day0, Office: 426000, Counter: "1", Source: "stdin", Text: hubtest.Sign(m), Mark: &m,
			Verdict: mark.Accept, Reasons: []mark.Reason{}, Versions: mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "r1"}}
		storetest.Save(t, db, 0, r)
		return r.ID
	}
	save(700, 426000) // held: not disputed
	other1, other2 := save(701, 101000), save(702, 101000)

	var logged syncbuf.Buffer
	reg := prometheus.NewRegistry()
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 100, Now: col.hubNow},
		slog.New(slog.NewTextHandler(&logged, nil)), reg)
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, db); n != 0 {
		t.Fatalf("%d records still pending: a disputed record is stored by the collector and uploaded", n)
	}
	if st := stats(t, col.store); st.Records != 3 || st.DisputedOpen != 2 {
		t.Fatalf("collector holds %d records, %d disputed; want 3, 2", st.Records, st.DisputedOpen)
	}
	check := func(when string, uploaded int) {
		t.Helper()
		lines := strings.Count(logged.String(), "the collector disputes acceptances")
		if lines != 1 {
			t.Fatalf("%s: warned %d times, want once:\n%s", when, lines, logged.String())
		}
		for _, want := range []string{"level=WARN", "records=2", "ids=" + other1 + "," + other2} {
			if !strings.Contains(logged.String(), want) {
				t.Errorf("%s: the warning lacks %q:\n%s", when, want, logged.String())
			}
		}
		if v := gauge(t, reg, "markd_sync_disputed_records_total"); v != 2 {
			t.Errorf("%s: markd_sync_disputed_records_total %v, want 2", when, v)
		}
		if p := u.Progress(); p.Disputed != 2 || p.Uploaded != uploaded {
			t.Errorf("%s: progress %+v", when, p)
		}
		st := u.Status(ctx)
		if st.DisputedRecords != 2 || st.LastDisputed == nil || st.LastDisputed.Records != 2 ||
			strings.Join(st.LastDisputed.IDs, ",") != other1+","+other2 || !st.LastDisputed.At.Equal(col.hubNow()) {
			t.Errorf("%s: /healthz sync %+v %+v", when, st, st.LastDisputed)
		}
	}
	check("after the upload", 3)
	// The next answers dispute nothing: no warning, the last count kept.
	save(703, 426000)
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	check("after answers that dispute nothing", 4)
	if n := pending(t, db); n != 0 {
		t.Fatalf("%d pending", n)
	}
}
