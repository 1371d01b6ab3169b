package hubtest

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
