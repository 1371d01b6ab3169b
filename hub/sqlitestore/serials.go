package sqlitestore

import (
	"context"
	"time"

	"markd/hub"
)

// OfficeSerials implements hub.Store.
func (d *DB) OfficeSerials(ctx context.Context, office uint32, after uint64, limit int) ([]hub.UsedSerial, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT serial, record_id, terminal, counter, at FROM used_serials
		WHERE office = ? AND serial > ? ORDER BY serial LIMIT ?`, office, int64(after), limit)
	if err != nil {
		return nil, hub.Unavailable("read used serials", err)
	}
	defer rows.Close()
	var out []hub.UsedSerial
	for rows.Next() {
		var u hub.UsedSerial
		var serial int64
		var at string
		if err := rows.Scan(&serial, &u.RecordID, &u.Terminal, &u.Counter, &at); err != nil {
			return nil, hub.Unavailable("read used serials", err)
		}
		u.Serial = uint64(serial)
		u.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("read used serials", err)
	}
	return out, nil
}
