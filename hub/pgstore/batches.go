package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

// insertBatches stores the ended batches of an upload once per (terminal, id).
func insertBatches(ctx context.Context, tx pgx.Tx, terminal string, bs []hub.Batch, now time.Time, resp *hub.UploadResponse) error {
	for _, b := range bs {
		tag, err := tx.Exec(ctx, `INSERT INTO batches(terminal, id, office, counter, operator, contract, state,
			opened_at, closed_at, accepted, rejected, paid_kop, received_at, handed_back, presented_again, refused_again)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
			ON CONFLICT (terminal, id) DO NOTHING`,
			terminal, b.ID, int64(b.Office), b.Counter, b.Operator, int64(b.Contract), string(b.State), b.Opened.UTC(), b.Closed.UTC(),
			b.Accepted, b.Rejected, b.PaidKop, now, b.HandedBack, b.PresentedAgain, b.RefusedAgain)
		if err != nil {
			return hub.Unavailable("insert batch", err)
		}
		if tag.RowsAffected() == 1 {
			resp.Batches++
		}
	}
	return nil
}

// ContractDays implements hub.Store.
func (d *DB) ContractDays(ctx context.Context, contract uint32, from, to time.Time) ([]hub.ContractDay, error) {
	rows, err := d.pool.Query(ctx, `SELECT to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, office, count(*),
		sum(accepted), sum(paid_kop), `+hub.ContractDaySums+` FROM batches
		WHERE contract = $1 AND state = 'closed' AND closed_at >= $2 AND closed_at < $3
		GROUP BY day, office ORDER BY day, office`, int64(contract), from.UTC(), to.UTC())
	if err != nil {
		return nil, hub.Unavailable("contract days", err)
	}
	defer rows.Close()
	return sqlrow.Append([]hub.ContractDay{}, rows, "contract days", sqlrow.ContractDay)
}
