package batch

import (
	"bytes"
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"markd/mark"
)

// TestReceiptWhileStoreCannotWrite: a batch closed while its receipt could
// not be stored (the disk filled between the close's commit and the
// receipt's save, or markd was killed there and the disk is full after the
// restart) still gives the customer their receipt: it is made from the
// stored scans, the same bytes it will be once stored, and stored when the
// store writes again. It was a 503 for as long as the store could not
// write, with the customer waiting at the counter for a document markd
// could make.
func TestReceiptWhileStoreCannotWrite(t *testing.T) {
	ctx := context.Background()
	s, db := openServiceAt(t, func() time.Time { return time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC) }, time.UTC)
	b, err := s.Open(ctx, 1004417, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 3)
	if _, err := db.EndBatch(ctx, b.ID, mark.BatchClosed, "Иванова"); err != nil { // Close's commit, then the disk is full
		t.Fatal(err)
	}
	db.FailWrite = func() error { return syscall.ENOSPC }
	if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil { // the desk's retry
		t.Fatalf("close again while the store cannot write: %v", err)
	}
	while, err := s.Receipt(ctx, b.ID)
	if err != nil || !bytes.HasPrefix(while, []byte("%PDF-")) {
		t.Fatalf("receipt while the store cannot write: %d bytes, %v; want the PDF", len(while), err)
	}
	if _, err := db.Receipt(ctx, b.ID); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("stored receipt while the store cannot write: %v, want none", err)
	}
	db.FailWrite = nil
	after, err := s.Receipt(ctx, b.ID)
	if err != nil || !bytes.Equal(after, while) {
		t.Fatalf("receipt once the store writes: %d bytes, %v; want the same %d bytes", len(after), err, len(while))
	}
	if stored, err := db.Receipt(ctx, b.ID); err != nil || !bytes.Equal(stored, while) {
		t.Errorf("stored receipt: %d bytes, %v; want the %d given", len(stored), err, len(while))
	}
}
