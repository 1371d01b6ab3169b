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
	"markd/internal/sqliteerr"
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
	if err := migrate(ctx, db); err != nil {
		db.Close()
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

// AddTerminal implements hub.Store.
func (d *DB) AddTerminal(ctx context.Context, t hub.Terminal) error {
	var hash any
	if t.TokenHash != "" {
		hash = t.TokenHash
	}
	var office any
	if t.Office != 0 {
		office = t.Office
	}
	_, err := d.db.ExecContext(ctx, `INSERT INTO terminals(name, office, token_hash, created_at) VALUES (?, ?, ?, ?)`,
		t.Name, office, hash, ts(t.Created))
	if sqliteerr.Of(err) == sqliteerr.Constraint {
		return fmt.Errorf("terminal %q already exists: %w", t.Name, mark.ErrConflict)
	}
	if err != nil {
		return hub.Unavailable("add terminal", err)
	}
	return nil
}

// Terminal implements hub.Store.
func (d *DB) Terminal(ctx context.Context, name string) (hub.Terminal, error) {
	return d.terminal(ctx, `name = ?`, name)
}

// TerminalByTokenHash implements hub.Store.
func (d *DB) TerminalByTokenHash(ctx context.Context, hash string) (hub.Terminal, error) {
	return d.terminal(ctx, `token_hash = ?`, hash)
}

func (d *DB) terminal(ctx context.Context, where string, arg string) (hub.Terminal, error) {
	t, err := scanRevoked(d.db.QueryRowContext(ctx, `SELECT name, office, token_hash, created_at, clock_skew_ms, seen_at, waiting_records, waiting_at, zone_note, revoked_at, cert_sha256 FROM terminals WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return hub.Terminal{}, fmt.Errorf("terminal: %w", mark.ErrNotFound)
	}
	if err != nil {
		return hub.Terminal{}, hub.Unavailable("read terminal", err)
	}
	return t, nil
}

// scanRevoked is scanTerminal of a row with revoked_at and cert_sha256
// after the terminal's columns.
func scanRevoked(row interface{ Scan(...any) error }) (hub.Terminal, error) {
	var revoked, cert sql.NullString
	t, err := scanTerminal(scanFunc(func(dst ...any) error { return row.Scan(append(dst, &revoked, &cert)...) }))
	if err == nil && revoked.Valid {
		t.Revoked, _ = time.Parse(time.RFC3339Nano, revoked.String)
	}
	if err == nil && cert.Valid {
		t.CertSHA256 = cert.String
	}
	return t, err
}

func scanTerminal(row interface{ Scan(...any) error }) (hub.Terminal, error) {
	var t hub.Terminal
	var hash sql.NullString
	var office sql.NullInt64
	var created string
	var skew sql.NullInt64
	var seen, waitingAt sql.NullString
	var waiting sql.NullInt64
	var zone sql.NullString
	if err := row.Scan(&t.Name, &office, &hash, &created, &skew, &seen, &waiting, &waitingAt, &zone); err != nil {
		return t, err
	}
	var err error
	if t.Zone, err = hub.DecodeZoneNote(zone.String); err != nil {
		return t, fmt.Errorf("terminal %s: %w", t.Name, err)
	}
	if waiting.Valid && waitingAt.Valid {
		t.Waiting = waiting.Int64
		t.WaitingAt, _ = time.Parse(time.RFC3339Nano, waitingAt.String)
	}
	if skew.Valid && seen.Valid {
		t.ClockSkew = time.Duration(skew.Int64) * time.Millisecond
		t.SeenAt, _ = time.Parse(time.RFC3339Nano, seen.String)
	}
	t.Office, t.TokenHash = uint32(office.Int64), hash.String
	t.Created, _ = time.Parse(time.RFC3339Nano, created)
	return t, nil
}

// NoteClock implements hub.Store.
func (d *DB) NoteClock(ctx context.Context, terminal string, skew time.Duration, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE terminals SET clock_skew_ms = ?, seen_at = ? WHERE name = ?`,
		skew.Milliseconds(), ts(at), terminal); err != nil {
		return hub.Unavailable("note clock", err)
	}
	return nil
}

// NoteZone implements hub.Store.
func (d *DB) NoteZone(ctx context.Context, terminal string, n hub.ZoneNote) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE terminals SET zone_check = ?, zone_note = ? WHERE name = ?`,
		n.Check.String(), hub.ZoneNoteColumn(n), terminal); err != nil {
		return hub.Unavailable("note zone", err)
	}
	return nil
}

// SetToken implements hub.Store.
func (d *DB) SetToken(ctx context.Context, name, tokenHash string) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET token_hash = ?, revoked_at = NULL WHERE name = ?`, tokenHash, name)
	if err != nil {
		return hub.Unavailable("set token", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// ReadmitCert implements hub.Store.
func (d *DB) ReadmitCert(ctx context.Context, name, certSHA256 string) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET cert_sha256 = ?, revoked_at = NULL WHERE name = ?`, certSHA256, name)
	if err != nil {
		return hub.Unavailable("readmit terminal", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// Revoke implements hub.Store.
func (d *DB) Revoke(ctx context.Context, name string, at time.Time) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET revoked_at = ? WHERE name = ?`, ts(at), name)
	if err != nil {
		return hub.Unavailable("revoke terminal", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// SetOffice implements hub.Store.
func (d *DB) SetOffice(ctx context.Context, name string, office uint32) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET office = ? WHERE name = ?`, office, name)
	if err != nil {
		return hub.Unavailable("set office", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// Terminals implements hub.Store.
func (d *DB) Terminals(ctx context.Context) ([]hub.Terminal, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, office, token_hash, created_at, clock_skew_ms, seen_at, waiting_records, waiting_at, zone_note, revoked_at, cert_sha256 FROM terminals ORDER BY name`)
	if err != nil {
		return nil, hub.Unavailable("list terminals", err)
	}
	defer rows.Close()
	var out []hub.Terminal
	for rows.Next() {
		t, err := scanRevoked(rows)
		if err != nil {
			return nil, hub.Unavailable("list terminals", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("list terminals", err)
	}
	return out, nil
}

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
		if errors.Is(err, sql.ErrNoRows) {
			return resp, hub.ForeignRecordError(i, e.RecordID)
		}
		if err != nil {
			return resp, hub.Unavailable("read record", err)
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
	if err != nil {
		return nil, hub.Unavailable("read alerts", err)
	}
	defer rows.Close()
	var out []mark.ReuseAlert
	for rows.Next() {
		var a mark.ReuseAlert
		var serial int64
		var otherAt, detected string
		if err := rows.Scan(&a.ID, &a.RecordID, &serial, &a.Other.RecordID, &a.OtherTerminal, &a.Other.Office,
			&a.Other.Counter, &otherAt, &detected); err != nil {
			return nil, hub.Unavailable("read alerts", err)
		}
		a.Serial = uint64(serial)
		a.Other.At, _ = time.Parse(time.RFC3339Nano, otherAt)
		a.Detected, _ = time.Parse(time.RFC3339Nano, detected)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("read alerts", err)
	}
	return out, nil
}

// PutBundle implements hub.Store.
func (d *DB) PutBundle(ctx context.Context, version uint64, data []byte, created time.Time) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var latest int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM bundles`).Scan(&latest); err != nil {
		return hub.Unavailable("read bundles", err)
	}
	if err := hub.CheckBundleVersion(version, latest); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO bundles(version, created_at, data) VALUES (?,?,?)`, int64(version), ts(created), data); err != nil {
		return hub.Unavailable("insert bundle", err)
	}
	if err := tx.Commit(); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// LatestBundle implements hub.Store.
func (d *DB) LatestBundle(ctx context.Context) (uint64, []byte, error) {
	var v int64
	var data []byte
	err := d.db.QueryRowContext(ctx, `SELECT version, data FROM bundles ORDER BY version DESC LIMIT 1`).Scan(&v, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fmt.Errorf("no bundle published: %w", mark.ErrNotFound)
	}
	if err != nil {
		return 0, nil, hub.Unavailable("read bundle", err)
	}
	return uint64(v), data, nil
}

// checkQuery is the health query (Check); its argument bounds the count.
const checkQuery = `SELECT (SELECT version FROM bundles ORDER BY version DESC LIMIT 1),
	(SELECT created_at FROM bundles ORDER BY version DESC LIMIT 1),
	(SELECT count(*) FROM (SELECT 1 FROM records WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NULL LIMIT ?)),
	(SELECT count(*) FROM (SELECT 1 FROM records INDEXED BY records_questioned_open
		WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NULL LIMIT ?)),
	(SELECT count(*) FROM terminals WHERE zone_check = 'differs'),
	(SELECT count(*) FROM terminals WHERE zone_check = 'data_differ')`

// Check implements hub.Store: one query, the newest bundle and the open
// disputed acceptances (a search of the partial index
// records_disputed_open, stopped past hub.DisputedOpenCap) and the open
// questioned rejections (records_questioned_open, likewise).
func (d *DB) Check(ctx context.Context) (hub.StoreCheck, error) {
	var c hub.StoreCheck
	var v sql.NullInt64
	var created sql.NullString
	err := d.db.QueryRowContext(ctx, checkQuery, hub.DisputedOpenCap+1, hub.QuestionedOpenCap+1).Scan(&v, &created,
		&c.DisputedOpen, &c.QuestionedOpen, &c.ZoneDiffers, &c.ZoneDataDiffer)
	if err != nil {
		return hub.StoreCheck{}, hub.Unavailable("health check", err)
	}
	if v.Valid {
		c.BundleVersion = uint64(v.Int64)
		c.BundleCreated, _ = time.Parse(time.RFC3339Nano, created.String)
	}
	return c, nil
}

// Bundles implements hub.Store.
func (d *DB) Bundles(ctx context.Context, after uint64) ([]hub.StoredBundle, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT version, data FROM bundles WHERE version > ? ORDER BY version`, int64(after))
	if err != nil {
		return nil, hub.Unavailable("read bundles", err)
	}
	defer rows.Close()
	var out []hub.StoredBundle
	for rows.Next() {
		var b hub.StoredBundle
		var v int64
		if err := rows.Scan(&v, &b.Data); err != nil {
			return nil, hub.Unavailable("read bundles", err)
		}
		b.Version = uint64(v)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("read bundles", err)
	}
	return out, nil
}

// Stats implements hub.Store.
func (d *DB) Stats(ctx context.Context) (hub.Stats, error) {
	var s hub.Stats
	err := d.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM events),
		(SELECT count(*) FROM used_serials), (SELECT count(*) FROM alerts),
		(SELECT count(*) FROM records WHERE verification = 'unverified'),
		(SELECT count(*) FROM records WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NULL),
		(SELECT count(*) FROM records WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NOT NULL),
		(SELECT count(*) FROM records WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NULL),
		(SELECT count(*) FROM records WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NOT NULL)`).Scan(&s.Records,
		&s.Events, &s.UsedSerials, &s.Alerts, &s.Unverified, &s.DisputedOpen, &s.DisputedReviewed, &s.QuestionedOpen, &s.QuestionedReviewed)
	if err != nil {
		return s, hub.Unavailable("stats", err)
	}
	return s, nil
}

// Record implements hub.Store.
func (d *DB) Record(ctx context.Context, terminal, id string) (hub.StoredRecord, error) {
	var r hub.StoredRecord
	var at, verdict, reasons, state, received, verification string
	var fields, first, disputed, questioned, reviewed sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT id, terminal, at, office, counter, operator, source, raw_text, verdict, reasons,
		mark_fields, measured_weight_g, first_accepted, keyring_version, tariffs_version, revocations_version,
		review_state, message, received_at, verification, why, digest, disputed, questioned,
		dispute_reviewed_at, dispute_by, dispute_note FROM records WHERE terminal = ? AND id = ?`,
		terminal, id).Scan(&r.ID, &r.Terminal, &at, &r.Office,
		&r.Counter, &r.Operator, &r.Source, &r.Text, &verdict, &reasons, &fields, &r.MeasuredWeightG, &first,
		&r.Versions.Keyring, &r.Versions.Tariffs, &r.Versions.Revocations, &state, &r.Message, &received,
		&verification, &r.Why, &r.Digest, &disputed, &questioned, &reviewed, &r.DisputeReview.By, &r.DisputeReview.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("record %q: %w", id, mark.ErrNotFound)
	}
	if err != nil {
		return r, hub.Unavailable("read record", err)
	}
	r.At, _ = time.Parse(time.RFC3339Nano, at)
	r.ReceivedAt, _ = time.Parse(time.RFC3339Nano, received)
	if reviewed.Valid {
		r.DisputeReview.At, _ = time.Parse(time.RFC3339Nano, reviewed.String)
	}
	r.Verdict, r.Review, r.Verification = mark.Verdict(verdict), mark.ReviewState(state), hub.Verification(verification)
	if err := hub.DecodeJSONColumns(&r.Record, reasons, fields.String, first.String); err != nil {
		return r, err
	}
	if err := hub.DecodeDisputed(&r.Record, disputed.String); err != nil {
		return r, err
	}
	if err := hub.DecodeQuestioned(&r.Record, questioned.String); err != nil {
		return r, err
	}
	return r, nil
}
