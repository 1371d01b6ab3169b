package hubtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// testSameIDInRequest: a record id sent twice in one request is stored
// once (the other copy is a duplicate) when both copies are equal, and
// refused as a conflict naming the later copy when they differ, whatever
// the size of the request; never a store failure.
func testSameIDInRequest(t *testing.T, s hub.Store) {
	other := func(r hub.Record) hub.Record { r.Message = "another record"; return r }
	tests := []struct {
		name     string
		size     int // records besides the two copies
		differ   bool
		wantErr  error
		wantResp hub.UploadResponse
	}{
		{name: "equal copies", wantResp: hub.UploadResponse{Stored: 1, Duplicates: 1}},
		{name: "equal copies in a large request", size: 100, wantResp: hub.UploadResponse{Stored: 101, Duplicates: 1}},
		{name: "different copies", differ: true, wantErr: mark.ErrConflict},
		{name: "different copies in a large request", size: 100, differ: true, wantErr: mark.ErrConflict},
	}
	for k, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			before := stats(t, s)
			serial := uint64(5000 + 1000*k)
			var q hub.UploadRequest
			for i := range tt.size {
				q.Records = append(q.Records, Rec(fmt.Sprintf("r%d-%03d", k, i), 426000, "1", mark.Accept, serial+1+uint64(i)))
			}
			first := Rec(fmt.Sprintf("r%d-twice", k), 426000, "1", mark.Accept, serial)
			second := first
			if tt.differ {
				second = other(first)
			}
			q.Records = append([]hub.Record{first}, q.Records...)
			q.Records = append(q.Records, second)
			last := len(q.Records) - 1
			if err := q.Validate(); err != nil {
				t.Fatal(err)
			}
			resp, err := s.Ingest(ctx, "office-a", &q, t0)
			after := stats(t, s)
			if tt.wantErr != nil {
				var fe *hub.FieldError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &fe) || fe.Field != fmt.Sprintf("records[%d].id", last) {
					t.Fatalf("err = %v, want %v on records[%d].id", err, tt.wantErr, last)
				}
				if after != before {
					t.Fatalf("a refused request stored something: %+v, before %+v", after, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("ingest: %v", err)
			}
			if resp.Stored != tt.wantResp.Stored || resp.Duplicates != tt.wantResp.Duplicates || len(resp.Alerts) != 0 {
				t.Fatalf("resp = %+v, want stored %d, duplicates %d, no alert", resp, tt.wantResp.Stored, tt.wantResp.Duplicates)
			}
			if d := after.Records - before.Records; d != int64(tt.wantResp.Stored) {
				t.Fatalf("%d records stored, want %d", d, tt.wantResp.Stored)
			}
			if d := after.UsedSerials - before.UsedSerials; d != int64(tt.wantResp.Stored) {
				t.Fatalf("%d serials used, want %d", d, tt.wantResp.Stored)
			}
		})
	}
}

// testEventIDReused: a counter whose audit ids start again (restored from
// a backup, or a new store) sends a new decision under an event id the
// collector has: it is refused as a conflict naming the event, not
// dropped as a repeat; the same event sent again is still a repeat.
func testEventIDReused(t *testing.T, s hub.Store) {
	ctx := context.Background()
	ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{
		Rec("a-1", 426000, "1", mark.Reject, 61), Rec("a-2", 426000, "1", mark.Reject, 62)}})
	confirm := hub.Event{ID: 5, RecordID: "a-1", Action: hub.ActionConfirm, Actor: "boss", At: t0, Note: "underpaid"}
	if r := ingest(t, s, "office-a", hub.UploadRequest{Events: []hub.Event{confirm}}); r.Events != 1 {
		t.Fatalf("first event: %+v", r)
	}
	tests := []struct {
		name    string
		event   hub.Event
		wantErr error
	}{
		{"the same event again", confirm, nil},
		{"the same event, time at another precision", func() hub.Event { e := confirm; e.At = t0.Add(time.Nanosecond); return e }(), nil},
		{"another record", hub.Event{ID: 5, RecordID: "a-2", Action: hub.ActionOverride, Actor: "boss", At: t0.Add(time.Hour), Note: "paid"}, mark.ErrConflict},
		{"another action", func() hub.Event { e := confirm; e.Action = hub.ActionOverride; return e }(), mark.ErrConflict},
		{"another actor", func() hub.Event { e := confirm; e.Actor = "olga"; return e }(), mark.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stats(t, s)
			q := hub.UploadRequest{Events: []hub.Event{tt.event}}
			resp, err := s.Ingest(ctx, "office-a", &q, t0.Add(2*time.Hour))
			var fe *hub.FieldError
			switch {
			case tt.wantErr == nil && (err != nil || resp.Events != 0):
				t.Fatalf("repeat: resp %+v, err %v; want a repeat (0 events, no error)", resp, err)
			case tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.As(err, &fe) || fe.Field != "events[0].id"):
				t.Fatalf("err = %v, want %v on events[0].id", err, tt.wantErr)
			}
			if after := stats(t, s); after != before {
				t.Fatalf("stats %+v, before %+v", after, before)
			}
			for id, want := range map[string]mark.ReviewState{"a-1": mark.ReviewConfirmed, "a-2": mark.ReviewPending} {
				if got, err := s.Record(ctx, "office-a", id); err != nil || got.Review != want {
					t.Fatalf("%s: review %q, %v; want %q", id, got.Review, err, want)
				}
			}
		})
	}
}

// testOnlyRejectionsOverride: only a rejection overridden to accept counts
// as a use (MARK-FORMAT §7); a DUPLICATE_SCAN or ERROR record marked
// overridden, on upload or by a later event, claims no serial, so it
// raises no reuse alert against the counter's own acceptance or another
// office's.
func testOnlyRejectionsOverride(t *testing.T, s hub.Store) {
	overridden := func(id string, v mark.Verdict, serial uint64) hub.Record {
		r := Rec(id, 426000, "1", v, serial)
		r.Review = mark.ReviewOverridden
		return r
	}
	ingest(t, s, "office-a", hub.UploadRequest{
		Records: []hub.Record{
			Rec("a-1", 426000, "1", mark.Accept, 81),
			overridden("a-2", mark.DuplicateScan, 81),
			overridden("a-3", mark.Error, 82),
			Rec("a-4", 426000, "1", mark.DuplicateScan, 81),
			Rec("a-5", 426000, "1", mark.Error, 83),
		},
	})
	r := ingest(t, s, "office-a", hub.UploadRequest{Events: []hub.Event{
		{ID: 1, RecordID: "a-4", Action: hub.ActionOverride, Actor: "boss", At: t0, Note: "x"},
		{ID: 2, RecordID: "a-5", Action: hub.ActionOverride, Actor: "boss", At: t0, Note: "x"},
	}})
	if len(r.Alerts) != 0 {
		t.Fatalf("office a alerted about its own acceptance: %+v", r.Alerts)
	}
	r = ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{
		Rec("b-1", 101000, "1", mark.Accept, 82), Rec("b-2", 101000, "1", mark.Accept, 83)}})
	if len(r.Alerts) != 0 {
		t.Fatalf("office b alerted about serials office a never accepted: %+v", r.Alerts)
	}
	if st := stats(t, s); st.UsedSerials != 3 || st.Alerts != 0 {
		t.Fatalf("stats = %+v, want 3 used serials, no alert", st)
	}
}
