package pgstore

import (
	"context"

	"markd/hub"
)

// OfficeSerials implements hub.Store.
func (d *DB) OfficeSerials(ctx context.Context, office uint32, after uint64, limit int) ([]hub.UsedSerial, error) {
	rows, err := d.pool.Query(ctx, `SELECT serial, record_id, terminal, counter, at FROM used_serials
		WHERE office = $1 AND serial > $2 ORDER BY serial LIMIT $3`, int64(office), int64(after), limit)
	if err != nil {
		return nil, hub.Unavailable("read used serials", err)
	}
	defer rows.Close()
	var out []hub.UsedSerial
	for rows.Next() {
		var u hub.UsedSerial
		var serial int64
		if err := rows.Scan(&serial, &u.RecordID, &u.Terminal, &u.Counter, &u.At); err != nil {
			return nil, hub.Unavailable("read used serials", err)
		}
		u.Serial, u.At = uint64(serial), u.At.UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("read used serials", err)
	}
	return out, nil
}
