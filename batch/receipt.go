package batch

import (
	"context"
	"fmt"
	"io"

	"markd/mark"
)

// makeReceipt makes the receipt PDF of a closed batch and stores it.
func (s *Service) makeReceipt(ctx context.Context, b mark.Batch) ([]byte, error) {
	return nil, mark.WithHint(fmt.Errorf("receipt of batch %s: %w", b.ID, mark.ErrUnavailable), "receipts are not built into this markd yet")
}

// ReceiptHTML writes the printable receipt page of a closed batch.
func (s *Service) ReceiptHTML(ctx context.Context, w io.Writer, id string) error {
	return mark.WithHint(fmt.Errorf("receipt of batch %s: %w", id, mark.ErrUnavailable), "receipts are not built into this markd yet")
}
