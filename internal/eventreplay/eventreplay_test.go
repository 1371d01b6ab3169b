package eventreplay

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

func save(t *testing.T, db *store.DB, ids ...string) []mark.Record {
	t.Helper()
	var out []mark.Record
	for _, id := range ids {
		r := mark.Record{ID: id, At: testdata.Now(), Office: 426000, Counter: "A", Source: "t", Text: "x " + id,
			Verdict: mark.NotAMark, Reasons: []mark.Reason{}}
		storetest.Save(t, db, time.Minute, &r)
		out = append(out, r)
	}
	return out
}

func ids(evs []Event) string {
	var b []string
	for _, ev := range evs {
		b = append(b, ev.Record.ID+"/"+ev.ID)
	}
	return strings.Join(b, " ")
}

// TestStart: where a stream starts for each Last-Event-ID, and what it
// replays (a real store; ids not in time order, to show the order is the
// commit order).
func TestStart(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	save(t, db, "c", "a", "d", "b")
	for _, tc := range []struct {
		last, replay string
		reset        bool
		warn         bool
	}{
		{last: "", replay: ""},
		{last: "c", replay: "a/a d/d b/b"},
		{last: "d", replay: "b/b"},
		{last: "b", replay: ""},
		{last: "a", reset: true}, // 2 missed, max 1
		{last: "nope", reset: true, warn: true},
		{last: "bad\nline", reset: true, warn: true},
	} {
		t.Run(fmt.Sprintf("%q", tc.last), func(t *testing.T) {
			var log bytes.Buffer
			max := 3
			if tc.last == "a" {
				max = 1
			}
			c, replay, reset, err := Start(context.Background(), db, tc.last, max, slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if ids(replay) != tc.replay || reset != tc.reset {
				t.Fatalf("replay %q reset %v, want %q %v", ids(replay), reset, tc.replay, tc.reset)
			}
			if got := strings.Contains(log.String(), "level=WARN"); got != tc.warn {
				t.Fatalf("warned %v, want %v: %s", got, tc.warn, log.String())
			}
			// Live from here: only what is committed next.
			next, err := c.Next(context.Background())
			if err != nil || len(next) != 0 {
				t.Fatalf("next %q %v, want nothing", ids(next), err)
			}
		})
	}
}

// TestLive: a published record is sent once, with what was committed
// before it; one the store does not have goes out as it is, without an
// event id.
func TestLive(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	c, _, _, err := Start(context.Background(), db, "", 2, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	recs := save(t, db, "p", "q", "r")
	ctx := context.Background()
	for i, tc := range []struct {
		rec  mark.Record
		want string
	}{
		{recs[1], "p/p q/q r/r"}, // published late: everything committed before, in order
		{recs[0], ""},            // sent already
		{recs[2], ""},
		{mark.Record{Verdict: mark.Error, Message: "not stored"}, "/"},
		{mark.Record{ID: "elsewhere", Verdict: mark.Accept}, "elsewhere/"},
	} {
		got, err := c.Live(ctx, tc.rec)
		if err != nil || ids(got) != tc.want {
			t.Fatalf("%d: live %q %v, want %q", i, ids(got), err, tc.want)
		}
	}
}
