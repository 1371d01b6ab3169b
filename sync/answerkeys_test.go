package sync

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/mark"
)

// TestAnswersCaseKeys: over real HTTP from a real markhub, an answer with
// a key in another letter case than markhub writes it ("Stored",
// "Items", items[0]."Record_ID") is not markhub's answer: encoding/json
// read it as the field, now it is an outage naming the endpoint and the
// key, as an answer that does not decode; an upload so answered stays in
// the outbox. A key the counter does not know at all (a newer markhub's)
// is still taken.
func TestAnswersCaseKeys(t *testing.T) {
	ctx := context.Background()
	c, db, scan := uploadedCollector(t)
	var from, to string // the front replaces from by to in every answer
	cl := rewritingFront(t, c, func(body []byte) []byte {
		if from != "" {
			body = bytes.Replace(body, []byte(from), []byte(to), 1)
		}
		return body
	})
	ask := askPages(ctx, cl)
	ask["POST /v1/upload"] = func() error {
		_, err := cl.Upload(ctx, []byte(`{"records":[],"events":[]}`), -1)
		return err
	}
	for _, tc := range []struct {
		endpoint, from, to string
		want               string // in the error; "" = taken
	}{
		{"POST /v1/upload", `"stored":`, `"Stored":`, `key "Stored" at the top is "stored" in another letter case`},
		{"POST /v1/upload", `"alerts":`, `"ALERTS":`, `key "ALERTS" at the top is "alerts"`},
		{"POST /v1/upload", `{`, `{"from_a_newer_markhub":{"Stored":1},`, ""},
		{"GET /v1/serials", `"serials":`, `"Serials":`, `key "Serials" at the top is "serials"`},
		{"GET /v1/serials", `"serial":`, `"Serial":`, `key "Serial" in serials[0] is "serial"`},
		{"GET /v1/serials", `{`, `{"from_a_newer_markhub":true,`, ""},
		{"GET /v1/questioned", `"items":`, `"Items":`, `key "Items" at the top is "items"`},
		{"GET /v1/questioned", `"record_id":`, `"Record_ID":`, `key "Record_ID" in items[0] is "record_id"`},
		{"GET /v1/questioned", `"reasons":`, `"reasons":[],"Reasons":`, `key "Reasons" in items[0] is "reasons"`},
		{"GET /v1/questioned", `{`, `{"from_a_newer_markhub":[1],`, ""},
	} {
		t.Run(tc.endpoint+" "+tc.to, func(t *testing.T) {
			from, to = tc.from, tc.to
			defer func() { from, to = "", "" }()
			err := ask[tc.endpoint]()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("a key the counter does not know: %v, want taken", err)
				}
				return
			}
			if !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(err.Error(), tc.endpoint) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v: want an outage naming %s and %s", err, tc.endpoint, tc.want)
			}
		})
	}

	// The upload so answered is not taken as done: the record stays.
	addScan(t, db, "1", hubtest.Offices["office-a"], mark.Accept, 1602, scan.Add(time.Minute))
	up := NewUploader(db, cl, UploaderOptions{}, quiet, nil)
	from, to = `"stored":`, `"Stored":`
	if _, _, err := up.Once(ctx, true); !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(err.Error(), `"Stored"`) {
		t.Fatalf("upload answered with Stored: %v, want an outage naming the key", err)
	}
	if p, err := db.PendingUploads(ctx, 10); err != nil || len(p) != 1 {
		t.Fatalf("pending after the refused answer: %d %v, want the record still there", len(p), err)
	}
	from, to = "", ""
	if _, _, err := up.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	if p, err := db.PendingUploads(ctx, 10); err != nil || len(p) != 0 {
		t.Fatalf("pending after the real answer: %d %v, want none", len(p), err)
	}
}
