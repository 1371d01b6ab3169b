package web

import (
	"context"
	"testing"

	"markd/store"
)

// TestLocalAPIBatchOperatorIsPersonAtCounter: the cash-desk program opens
// the batch with its token while an operator is logged in at the counter.
// The batch's operator (the receipt's signature line, the batches page,
// the collector's batches) is that person, as the scans' operator is; the
// audit names the program that opened it. With nobody logged in the
// program's name stands in.
func TestLocalAPIBatchOperatorIsPersonAtCounter(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	type batchAnswer struct {
		ID       string `json:"id"`
		Operator string `json:"operator"`
	}
	open := func() batchAnswer {
		t.Helper()
		a := e.call(t, "POST", "/api/batches", `{"contract": 77}`, nil)
		var b batchAnswer
		a.json(t, &b)
		if a.code != 201 {
			t.Fatalf("open: %d %s", a.code, a.body)
		}
		return b
	}
	end := func(id string) {
		t.Helper()
		if a := e.call(t, "POST", "/api/batches/"+id+"/cancel", "", nil); a.code != 200 {
			t.Fatalf("cancel: %d %s", a.code, a.body)
		}
	}

	alone := open()
	if alone.Operator != "api:kassa" {
		t.Errorf("batch opened with nobody at the counter: operator %q, want the program api:kassa", alone.Operator)
	}
	end(alone.ID)

	c := e.client()
	c.login(opName, opPass)
	b := open()
	if b.Operator != opName {
		t.Errorf("batch opened by the cash desk while %s is at the counter: operator %q, want %q", opName, b.Operator, opName)
	}
	if a := e.call(t, "GET", "/api/batches/"+b.ID, "", nil); a.code == 200 {
		var got batchAnswer
		a.json(t, &got)
		if got.Operator != opName {
			t.Errorf("GET the batch: operator %q, want %q", got.Operator, opName)
		}
	}
	audit, err := e.db.RecentAudit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	for _, a := range audit {
		if a.Action == store.ActionBatchOpen {
			opened++
			if a.Actor != "api:kassa" {
				t.Errorf("audit of the batch opened: actor %q, want the program api:kassa (%+v)", a.Actor, a)
			}
		}
	}
	if opened != 2 {
		t.Errorf("audit has %d batch_open lines, want 2: %+v", opened, audit)
	}
}
