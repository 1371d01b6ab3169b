// Package sqlitestore is the embedded SQLite backend of the collector
// markhub (mattn/go-sqlite3): the default for a single machine and demos.
// It has the schema and behaviour of hub/pgstore; hubtest runs one suite
// against both.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/mark"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite store of the collector.
type DB struct{ db *sql.DB }

var _ hub.Store = (*DB)(nil)

// Open opens (creating) the file and applies the numbered migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	// A new file holds every terminal's records: owner only, whatever the
	// umask (SQLite gives its -wal and -shm the same mode).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		err = f.Chmod(0o600)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, db, path); err != nil {
		db.Close()
		if errors.Is(err, hub.ErrSchemaNewer) {
			return nil, err
		}
		return nil, mark.WithHint(fmt.Errorf("open hub store %s: %w: %w", path, mark.ErrUnavailable, err),
			"check that the folder exists and is writable")
	}
	return &DB{db: db}, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.db.Close() }

// uriPath is path as the path of an SQLite "file:" URI (the counter
// store's uriPath): '%', '?' and '#' escaped, which SQLite's URI syntax
// reads otherwise (a folder "регион #2" was cut there), and a path that
// begins with "//" (a valid POSIX path; a UNC path written with slashes)
// given an empty authority before it: "file://srv/hub.db" reads "srv" as
// a host, and every open failed with "invalid uri authority".
func uriPath(path string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	if strings.HasPrefix(path, "//") {
		path = "//" + path
	}
	return path
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Ingest implements hub.Store.
func (d *DB) Ingest(ctx context.Context, terminal string, q *hub.UploadRequest, now time.Time) (hub.UploadResponse, error) {
	var resp hub.UploadResponse
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return resp, hub.Unavailable("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	ins, err := tx.PrepareContext(ctx, `INSERT INTO records(id, terminal, at, office, counter, operator, source, raw_text,
		verdict, reasons, serial, mark_fields, measured_weight_g, first_accepted, keyring_version, tariffs_version,
		revocations_version, review_state, message, received_at, verification, why, digest, tracking, contract, disputed,
		questioned) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(terminal, id) DO NOTHING`)
	if err != nil {
		return resp, hub.Unavailable("prepare", err)
	}
	defer ins.Close()
	nowS := ts(now)
	var tally hub.RejectTally
	for i := range q.Records {
		r := &q.Records[i]
		reasons, serial, fields, first := hub.EncodeJSONColumns(r)
		tracking, contract := hub.MarkColumns(r)
		hub.Seal(r)
		res, err := ins.ExecContext(ctx, r.ID, terminal, ts(r.At), r.Office, r.Counter, r.Operator, r.Source, r.Text,
			string(r.Verdict), reasons, serial, fields, r.MeasuredWeightG, first, r.Versions.Keyring,
			r.Versions.Tariffs, r.Versions.Revocations, string(r.Review), r.Message, nowS,
			string(r.Verification), r.Why, r.Digest, tracking, contract, hub.DisputedColumn(r), hub.QuestionedColumn(r))
		if err != nil {
			return resp, hub.Unavailable("insert record", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var stored string
			if err := tx.QueryRowContext(ctx, `SELECT digest FROM records WHERE terminal = ? AND id = ?`, terminal, r.ID).
				Scan(&stored); err != nil {
				return resp, hub.Unavailable("read record", err)
			}
			if stored != "" && stored != r.Digest {
				return resp, hub.SameRecordError(i, r.ID)
			}
			resp.Duplicates++
			continue
		}
		resp.Stored++
		tally.Add(r)
		if r.Verification == hub.Unverified {
			resp.Unverified++
		}
		resp.NoteDisputed(r)
		if len(r.Questioned) > 0 {
			if err := noteQuestioned(ctx, tx, terminal, r.ID); err != nil {
				return resp, err
			}
		}
		if r.Counts() {
			if err := registerUse(ctx, tx, use{r.Mark.Serial, r.ID, terminal, r.Office, r.Counter, r.At}, nowS); err != nil {
				return resp, err
			}
		}
	}
	for i, e := range q.Events {
		res, err := tx.ExecContext(ctx, `INSERT INTO events(terminal, id, record_id, action, actor, at, note, received_at)
			VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(terminal, id) DO NOTHING`,
			terminal, e.ID, e.RecordID, e.Action, e.Actor, ts(e.At), e.Note, nowS)
		if err != nil {
			return resp, hub.Unavailable("insert event", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var rid, action, actor, note string
			if err := tx.QueryRowContext(ctx, `SELECT record_id, action, actor, note FROM events WHERE terminal = ? AND id = ?`,
				terminal, e.ID).Scan(&rid, &action, &actor, &note); err != nil {
				return resp, hub.Unavailable("read event", err)
			}
			if !hub.SameEvent(&q.Events[i], rid, action, actor, note) {
				return resp, hub.SameEventError(i, e.ID)
			}
			continue
		}
		resp.Events++
		var at, counter, verification, verdict string
		var office uint32
		var serial sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT at, office, counter, serial, verification, verdict FROM records WHERE terminal = ? AND id = ?`,
			terminal, e.RecordID).Scan(&at, &office, &counter, &serial, &verification, &verdict)
		if err != nil {
			return resp, sqlrow.One(err, "read record", hub.ForeignRecordError(i, e.RecordID))
		}
		state := e.ReviewState()
		res, err = tx.ExecContext(ctx, `UPDATE records SET review_state = ? WHERE terminal = ? AND id = ? AND review_state <> 'overridden'`,
			string(state), terminal, e.RecordID)
		if err != nil {
			return resp, hub.Unavailable("update review", err)
		}
		if n, _ := res.RowsAffected(); n == 1 && state == mark.ReviewOverridden && mark.Verdict(verdict) == mark.Reject {
			t, _ := time.Parse(time.RFC3339Nano, at)
			tally.Override(office, t)
		}
		if state == mark.ReviewOverridden && mark.Verdict(verdict) == mark.Reject && serial.Valid && hub.Verification(verification).Claims() {
			t, _ := time.Parse(time.RFC3339Nano, at)
			if err := registerUse(ctx, tx, use{uint64(serial.Int64), e.RecordID, terminal, office, counter, t}, nowS); err != nil {
				return resp, err
			}
		}
	}
	if err := addTally(ctx, tx, &tally); err != nil {
		return resp, err
	}
	for _, id := range q.AckAlerts {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET acked_at = ? WHERE id = ? AND terminal = ? AND acked_at IS NULL`,
			nowS, id, terminal); err != nil {
			return resp, hub.Unavailable("ack alert", err)
		}
	}
	if err := insertBatches(ctx, tx, terminal, q.Batches, nowS, &resp); err != nil {
		return resp, err
	}
	if q.Waiting != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE terminals SET waiting_records = ?, waiting_at = ? WHERE name = ?`,
			*q.Waiting, nowS, terminal); err != nil {
			return resp, hub.Unavailable("note records waiting", err)
		}
	}
	if resp.Alerts, err = pendingAlerts(ctx, tx, terminal); err != nil {
		return resp, err
	}
	if err := tx.Commit(); err != nil {
		return resp, hub.Unavailable("commit", err)
	}
	return resp, nil
}

type use struct {
	serial   uint64
	recordID string
	terminal string
	office   uint32
	counter  string
	at       time.Time
}

// registerUse makes the serial count as used by u; if another record
// already holds it, both sides get an alert, and the one scanned first
// (by at, not by arrival) holds the serial from then on.
func registerUse(ctx context.Context, tx *sql.Tx, u use, now string) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO used_serials(serial, record_id, terminal, office, counter, at)
		VALUES (?,?,?,?,?,?) ON CONFLICT(serial) DO NOTHING`, int64(u.serial), u.recordID, u.terminal, u.office, u.counter, ts(u.at))
	if err != nil {
		return hub.Unavailable("insert used serial", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var h use
	var at string
	if err := tx.QueryRowContext(ctx, `SELECT record_id, terminal, office, counter, at FROM used_serials WHERE serial = ?`,
		int64(u.serial)).Scan(&h.recordID, &h.terminal, &h.office, &h.counter, &at); err != nil {
		return hub.Unavailable("read used serial", err)
	}
	if h.recordID == u.recordID && h.terminal == u.terminal {
		return nil
	}
	h.at, _ = time.Parse(time.RFC3339Nano, at)
	if u.at.Before(h.at) { // scanned first, arrived later: it holds the serial
		if _, err := tx.ExecContext(ctx, `UPDATE used_serials SET record_id = ?, terminal = ?, office = ?, counter = ?, at = ?
			WHERE serial = ?`, u.recordID, u.terminal, u.office, u.counter, ts(u.at), int64(u.serial)); err != nil {
			return hub.Unavailable("update used serial", err)
		}
	}
	for _, pair := range [][2]use{{u, h}, {h, u}} {
		me, other := pair[0], pair[1]
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts(terminal, record_id, serial, other_record_id, other_terminal,
			other_office, other_counter, other_at, detected_at) VALUES (?,?,?,?,?,?,?,?,?)
			ON CONFLICT(terminal, record_id, other_terminal, other_record_id) DO NOTHING`,
			me.terminal, me.recordID, int64(u.serial), other.recordID, other.terminal, other.office, other.counter,
			ts(other.at), now); err != nil {
			return hub.Unavailable("insert alert", err)
		}
	}
	return nil
}

func pendingAlerts(ctx context.Context, tx *sql.Tx, terminal string) ([]mark.ReuseAlert, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, record_id, serial, other_record_id, other_terminal, other_office,
		other_counter, other_at, detected_at FROM alerts WHERE terminal = ? AND acked_at IS NULL ORDER BY id LIMIT ?`,
		terminal, hub.MaxAlertsSent)
	return sqlrow.Read(rows, err, "read alerts", sqlrow.ReuseAlert)
}

// Stats implements hub.Store.
func (d *DB) Stats(ctx context.Context) (hub.Stats, error) {
	s, err := sqlrow.Stats(d.db.QueryRowContext(ctx, sqlrow.StatsQuery))
	if err != nil {
		return s, hub.Unavailable("stats", err)
	}
	return s, nil
}

// Record implements hub.Store.
func (d *DB) Record(ctx context.Context, terminal, id string) (hub.StoredRecord, error) {
	r, err := sqlrow.Record(d.db.QueryRowContext(ctx, `SELECT `+sqlrow.RecordColumns+` FROM records WHERE terminal = ? AND id = ?`,
		terminal, id))
	if err != nil {
		return r, sqlrow.One(err, "read record", fmt.Errorf("record %q: %w", id, mark.ErrNotFound))
	}
	return r, nil
}
