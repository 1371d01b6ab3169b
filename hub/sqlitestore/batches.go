package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

// insertBatches stores the ended batches of an upload once per (terminal, id).
func insertBatches(ctx context.Context, tx *sql.Tx, terminal string, bs []hub.Batch, now string, resp *hub.UploadResponse) error {
	for _, b := range bs {
		res, err := tx.ExecContext(ctx, `INSERT INTO batches(terminal, id, office, counter, operator, contract, state,
			opened_at, closed_at, accepted, rejected, paid_kop, received_at, handed_back, presented_again, refused_again)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT(terminal, id) DO NOTHING`,
			terminal, b.ID, b.Office, b.Counter, b.Operator, b.Contract, string(b.State), ts(b.Opened), ts(b.Closed),
			b.Accepted, b.Rejected, b.PaidKop, now, b.HandedBack, b.PresentedAgain, b.RefusedAgain)
		if err != nil {
			return hub.Unavailable("insert batch", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			resp.Batches++
		}
	}
	return nil
}

// ContractDays implements hub.Store.
func (d *DB) ContractDays(ctx context.Context, contract uint32, from, to time.Time) ([]hub.ContractDay, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT substr(closed_at, 1, 10) AS day, office, count(*), sum(accepted), sum(paid_kop),
		`+hub.ContractDaySums+` FROM batches WHERE contract = ? AND state = 'closed' AND closed_at >= ? AND closed_at < ?
		GROUP BY day, office ORDER BY day, office`, contract, ts(from), ts(to))
	if err != nil {
		return nil, hub.Unavailable("contract days", err)
	}
	defer rows.Close()
	return sqlrow.Append([]hub.ContractDay{}, rows, "contract days", sqlrow.ContractDay)
}
