package batch

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
)

// TestCloseUnderWay: a close sent while the first close of the batch is
// still running (a list of 100 000 items makes its receipt for seconds:
// another tab, the cash desk's retry) is no second close: it waits for
// the first and answers with the batch it closed, the receipt stored by
// then; a receipt asked for meanwhile is that one too; the audit has one
// close. The store's write lock, held by the test, keeps the first close
// under way until the others are sent; a list of 3 000 items makes its
// receipt take long enough to tell. Until 2026-12-04 the second close
// answered as soon as the batch was closed, before the receipt was made
// (and a receipt asked for then was made a second time).
func TestCloseUnderWay(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	s.opt.Now = func() time.Time { return time.Date(2026, 11, 25, 11, 30, 5, 0, time.UTC) }
	b, err := s.Open(ctx, 1004417, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 3)
	var list strings.Builder
	list.WriteString("n;mail_class;weight_g;tariff_kop;serial\n")
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&list, "%d;1;20;5000;%d\n", i, 8_000_000_000+i)
	}
	if _, err := s.Expect(ctx, b.ID, []byte(list.String()), "ivanova"); err != nil {
		t.Fatal(err)
	}
	held, release, locked := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		locked <- db.Write(ctx, func(*sql.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	type answer struct {
		b      mark.Batch
		err    error
		stored bool // the receipt was stored when the close answered
	}
	closeOnce := func(actor string, out chan<- answer) {
		got, err := s.Close(ctx, b.ID, actor)
		_, rerr := db.Receipt(ctx, b.ID)
		out <- answer{got, err, rerr == nil}
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	go closeOnce("ivanova", first)
	for i := 0; len(s.Closings()) == 0; i++ {
		if i > 5000 {
			t.Fatal("the first close never began")
		}
		time.Sleep(time.Millisecond)
	}
	if c := s.Closings(); len(c) != 1 || c[0].Batch != b.ID || !c[0].Since.Equal(s.opt.Now()) || c[0].Step != StepEnd {
		t.Errorf("closes under way: %+v", c)
	}
	go closeOnce("kassa", second)
	receipt := make(chan []byte, 1)
	go func() { pdf, _ := s.Receipt(ctx, b.ID); receipt <- pdf }()
	close(release)
	if err := <-locked; err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan answer{"first": first, "second": second} {
		a := <-ch
		if a.err != nil || a.b.State != mark.BatchClosed || !a.stored {
			t.Errorf("%s close: %v %s, receipt stored when it answered: %v; want closed with its receipt", name, a.err, a.b.State, a.stored)
		}
	}
	if pdf := <-receipt; !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("receipt asked for during the close: %.10q", pdf)
	}
	if c := s.Closings(); len(c) != 0 {
		t.Errorf("closes under way after the close: %+v", c)
	}
	audit, err := db.RecentAudit(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == store.ActionBatchClose {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d closes in the audit, want 1", n)
	}
}
