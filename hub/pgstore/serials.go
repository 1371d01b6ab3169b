package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

// OfficeSerials implements hub.Store: the serials the office holds (first
// use anywhere) and those it used after another office (the other side's
// alert row names this office's record), one row per serial, the
// office's earliest use. Each arm is cut to limit distinct serials first,
// so a page reads about limit rows of each, not the office's whole history.
func (d *DB) OfficeSerials(ctx context.Context, office uint32, after uint64, limit int) ([]hub.UsedSerial, error) {
	return hub.InSerialOrder(after, limit, func(out []hub.UsedSerial, r [2]int64, limit int) ([]hub.UsedSerial, error) {
		return d.officeSerials(ctx, out, office, r, limit)
	})
}

// officeSerials appends the office's serials in r (the stored, signed
// values; hub.SerialRanges), at most limit.
func (d *DB) officeSerials(ctx context.Context, out []hub.UsedSerial, office uint32, r [2]int64, limit int) ([]hub.UsedSerial, error) {
	rows, err := d.pool.Query(ctx, `SELECT DISTINCT ON (serial) serial, record_id, terminal, counter, at FROM (
			(SELECT serial, record_id, terminal, counter, at FROM used_serials
				WHERE office = $1 AND serial BETWEEN $2 AND $4 ORDER BY serial LIMIT $3)
			UNION ALL
			(SELECT DISTINCT ON (serial) serial, other_record_id, other_terminal, other_counter, other_at FROM alerts
				WHERE other_office = $1 AND serial BETWEEN $2 AND $4 ORDER BY serial, other_at LIMIT $3)) u
		ORDER BY serial, at LIMIT $3`, int64(office), r[0], limit, r[1])
	if err != nil {
		return nil, hub.Unavailable("read used serials", err)
	}
	defer rows.Close()
	return sqlrow.Append(out, rows, "read used serials", sqlrow.UsedSerial)
}

// LastEventID implements hub.Store.
func (d *DB) LastEventID(ctx context.Context, terminal string) (int64, error) {
	var id int64
	if err := d.pool.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events WHERE terminal = $1`, terminal).Scan(&id); err != nil {
		return 0, hub.Unavailable("read the last event id", err)
	}
	return id, nil
}

// LastRecord implements hub.Store: the newest record by the (terminal,
// at) index of each month.
func (d *DB) LastRecord(ctx context.Context, terminal string) (string, time.Time, error) {
	var id string
	var at time.Time
	err := d.pool.QueryRow(ctx, `SELECT id, at FROM records WHERE terminal = $1 ORDER BY at DESC LIMIT 1`, terminal).Scan(&id, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, hub.Unavailable("read the last record", err)
	}
	return id, at.UTC(), nil
}
