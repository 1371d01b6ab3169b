// Package pgstore is the PostgreSQL backend of the collector markhub
// (jackc/pgx/v5), for production. It has the schema and behaviour of
// hub/sqlitestore; hubtest runs one suite against both. One upload is one
// transaction of a few round trips: the records go in with one binary COPY
// (copy.go), their keys and serial uses as arrays (unnest), so throughput
// does not depend on the batch size.
package pgstore

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/mark"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the PostgreSQL store of the collector.
type DB struct {
	pool   *pgxpool.Pool
	months sync.Map // "YYYY-MM" → true: the partition exists (a cache of the catalog)
}

var _ hub.Store = (*DB)(nil)

// Options bound the connection pool.
type Options struct {
	MaxConns       int32         // connections at most; default 16
	ConnectTimeout time.Duration // one connection attempt; default 5s
}

// Open connects to dsn (a libpq URL or key=value string) with the default
// Options and applies the numbered migrations.
func Open(ctx context.Context, dsn string) (*DB, error) { return OpenOptions(ctx, dsn, Options{}) }

// OpenOptions is Open with bounds on the pool. pool_max_conns and
// connect_timeout in the dsn win over o. Every query of the store takes
// its caller's deadline (the hub API gives each request one); a query
// whose deadline passes closes its connection, so a frozen server costs
// connections, not goroutines.
func OpenOptions(ctx context.Context, dsn string, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres dsn: %w: %v", mark.ErrInvalid, err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = cmp.Or(o.MaxConns, 16)
	}
	if !strings.Contains(dsn, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = cmp.Or(o.ConnectTimeout, 5*time.Second)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 15 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres pool: %w: %v", mark.ErrInvalid, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		if errors.Is(err, hub.ErrSchemaNewer) {
			return nil, err
		}
		return nil, mark.WithHint(fmt.Errorf("postgres: apply schema: %w: %w", mark.ErrUnavailable, err),
			"check that PostgreSQL runs and the dsn names a database the user may create tables in")
	}
	return &DB{pool: pool}, nil
}

// Pool is the connection pool, for tools that measure the store
// (bench/bigpg) and the tests.
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// Close closes the pool.
func (d *DB) Close() error { d.pool.Close(); return nil }

// Ingest implements hub.Store. A deadlock or serialization failure between
// two uploads touching the same serials is retried, and so is a record for
// a month whose partition another instance dropped.
func (d *DB) Ingest(ctx context.Context, terminal string, q *hub.UploadRequest, now time.Time) (hub.UploadResponse, error) {
	for attempt := 0; ; attempt++ {
		resp, err := d.ingest(ctx, terminal, q, now)
		var pe *pgconn.PgError
		if attempt < 5 && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
			continue
		}
		if attempt < 5 && errors.As(err, &pe) && pe.Code == "23514" {
			d.months.Clear() // another instance dropped a month (retention): make it again
			continue
		}
		return resp, err
	}
}

type use struct {
	serial   int64
	recordID string
	terminal string
	office   int64
	counter  string
	at       time.Time
}

func (d *DB) ingest(ctx context.Context, terminal string, q *hub.UploadRequest, now time.Time) (hub.UploadResponse, error) {
	var resp hub.UploadResponse
	if err := d.ensureMonths(ctx, q.Records); err != nil {
		return resp, err
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return resp, hub.Unavailable("begin", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	var tally hub.RejectTally
	var questioned []string // new records stored questioned: noted in the feed last (questionfeed.go)
	if len(q.Records) > 0 {
		if err := insertRecords(ctx, tx, terminal, q.Records, now, &resp, &tally, &questioned); err != nil {
			return resp, err
		}
	}
	for i, e := range q.Events {
		tag, err := tx.Exec(ctx, `INSERT INTO events(terminal, id, record_id, action, actor, at, note, received_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (terminal, id) DO NOTHING`,
			terminal, e.ID, e.RecordID, e.Action, e.Actor, e.At, e.Note, now)
		if err != nil {
			return resp, hub.Unavailable("insert event", err)
		}
		if tag.RowsAffected() == 0 {
			var rid, action, actor, note string
			if err := tx.QueryRow(ctx, `SELECT record_id, action, actor, note FROM events WHERE terminal = $1 AND id = $2`,
				terminal, e.ID).Scan(&rid, &action, &actor, &note); err != nil {
				return resp, hub.Unavailable("read event", err)
			}
			if !hub.SameEvent(&q.Events[i], rid, action, actor, note) {
				return resp, hub.SameEventError(i, e.ID)
			}
			continue
		}
		resp.Events++
		u := use{recordID: e.RecordID, terminal: terminal}
		var serial *int64
		var verification, verdict string
		err = tx.QueryRow(ctx, `SELECT at, office, counter, serial, verification, verdict FROM records WHERE terminal = $1 AND id = $2`,
			terminal, e.RecordID).Scan(&u.at, &u.office, &u.counter, &serial, &verification, &verdict)
		if err != nil {
			return resp, sqlrow.One(err, "read record", hub.ForeignRecordError(i, e.RecordID))
		}
		state := e.ReviewState()
		tag, err = tx.Exec(ctx, `UPDATE records SET review_state = $1 WHERE terminal = $2 AND id = $3 AND review_state <> 'overridden'`,
			string(state), terminal, e.RecordID)
		if err != nil {
			return resp, hub.Unavailable("update review", err)
		}
		if tag.RowsAffected() == 1 && state == mark.ReviewOverridden && mark.Verdict(verdict) == mark.Reject {
			tally.Override(uint32(u.office), u.at)
		}
		if state == mark.ReviewOverridden && mark.Verdict(verdict) == mark.Reject && serial != nil && hub.Verification(verification).Claims() {
			u.serial = *serial
			if err := registerUses(ctx, tx, []use{u}, now); err != nil {
				return resp, err
			}
		}
	}
	if err := addTally(ctx, tx, &tally); err != nil {
		return resp, err
	}
	if len(q.AckAlerts) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE alerts SET acked_at = $1 WHERE terminal = $2 AND id = ANY($3) AND acked_at IS NULL`,
			now, terminal, q.AckAlerts); err != nil {
			return resp, hub.Unavailable("ack alerts", err)
		}
	}
	if err := insertBatches(ctx, tx, terminal, q.Batches, now, &resp); err != nil {
		return resp, err
	}
	if q.Waiting != nil {
		if _, err := tx.Exec(ctx, `UPDATE terminals SET waiting_records = $1, waiting_at = $2 WHERE name = $3`,
			*q.Waiting, now, terminal); err != nil {
			return resp, hub.Unavailable("note records waiting", err)
		}
	}
	if resp.Alerts, err = pendingAlerts(ctx, tx, terminal); err != nil {
		return resp, err
	}
	if err := noteQuestioned(ctx, tx, terminal, questioned); err != nil {
		return resp, err
	}
	if err := tx.Commit(ctx); err != nil {
		return resp, hub.Unavailable("commit", err)
	}
	return resp, nil
}

// insertRecords claims the batch's keys (sorted by id, so two
// transactions with the same ids lock them in the same order), copies
// the new records in (copyRecords) and registers their serial uses.
func insertRecords(ctx context.Context, tx pgx.Tx, terminal string, recs []hub.Record, now time.Time, resp *hub.UploadResponse, tally *hub.RejectTally,
	questioned *[]string) error {
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	// Stable: of one id sent twice in the request, the first copy is stored.
	sort.SliceStable(idx, func(a, b int) bool { return recs[idx[a]].ID < recs[idx[b]].ID })
	n := len(recs)
	ids, ats := make([]string, n), make([]time.Time, n)
	for j, i := range idx {
		r := &recs[i]
		hub.Seal(r)
		ids[j], ats[j] = r.ID, r.At
	}
	fresh, err := claimKeys(ctx, tx, terminal, ids, ats)
	if err != nil {
		return err
	}
	isNew := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isNew[id] = true
	}
	// A fresh id sent more than once in this request is stored once, from
	// its first copy; the other copies are repeats of it (as a later
	// upload's would be): duplicates if equal, a conflict if not.
	keep := make([]bool, n)
	stored := make([]bool, len(recs)) // by request index: this copy is stored
	for j, id := range ids {
		repeat := j > 0 && ids[j-1] == id
		keep[j] = isNew[id] && !repeat
		stored[idx[j]] = keep[j]
		if isNew[id] && repeat && recs[idx[j]].Digest != recs[idx[j-1]].Digest {
			return hub.SameRecordError(idx[j], id)
		}
	}
	if len(fresh) > 0 {
		if err := copyRecords(ctx, tx, terminal, recs, idx, keep, now); err != nil {
			return err
		}
	}
	resp.Stored, resp.Duplicates = len(fresh), n-len(fresh)
	if resp.Duplicates > 0 {
		if err := checkRepeats(ctx, tx, terminal, recs, isNew); err != nil {
			return err
		}
	}
	var uses []use
	for i := range recs {
		r := &recs[i]
		if !stored[i] {
			continue
		}
		tally.Add(r)
		if r.Verification == hub.Unverified {
			resp.Unverified++
		}
		resp.NoteDisputed(r)
		if len(r.Questioned) > 0 {
			*questioned = append(*questioned, r.ID)
		}
		if r.Counts() {
			uses = append(uses, use{int64(r.Mark.Serial), r.ID, terminal, int64(r.Office), r.Counter, r.At})
		}
	}
	return registerUses(ctx, tx, uses, now)
}

// checkRepeats compares the records the terminal had uploaded before with
// their repeat: a different content under the same id is a conflict.
func checkRepeats(ctx context.Context, tx pgx.Tx, terminal string, recs []hub.Record, isNew map[string]bool) error {
	var ids []string
	for i := range recs {
		if !isNew[recs[i].ID] {
			ids = append(ids, recs[i].ID)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, digest FROM records WHERE terminal = $1 AND id = ANY($2)`, terminal, ids)
	if err != nil {
		return hub.Unavailable("read records", err)
	}
	stored := make(map[string]string, len(ids))
	for rows.Next() {
		var id, d string
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return hub.Unavailable("read records", err)
		}
		stored[id] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return hub.Unavailable("read records", err)
	}
	for i := range recs {
		r := &recs[i]
		if d := stored[r.ID]; !isNew[r.ID] && d != "" && d != r.Digest {
			return hub.SameRecordError(i, r.ID)
		}
	}
	return nil
}

// registerUses makes each serial count as used by its record; where
// another record holds it already, both sides get an alert, and the one
// scanned first (by at, not by arrival) holds the serial from then on.
func registerUses(ctx context.Context, tx pgx.Tx, uses []use, now time.Time) error {
	if len(uses) == 0 {
		return nil
	}
	sort.Slice(uses, func(a, b int) bool {
		if uses[a].serial != uses[b].serial {
			return uses[a].serial < uses[b].serial
		}
		return uses[a].at.Before(uses[b].at)
	})
	n := len(uses)
	if n >= copyMin { // serials of a batch are new but for reuse
		if ok, err := copyUses(ctx, tx, uses); ok || err != nil {
			return err
		}
	}
	serials, rids, terms, offices, counters, ats := make([]int64, n), make([]string, n), make([]string, n), make([]int64, n), make([]string, n), make([]time.Time, n)
	for i, u := range uses {
		serials[i], rids[i], terms[i], offices[i], counters[i], ats[i] = u.serial, u.recordID, u.terminal, u.office, u.counter, u.at
	}
	rows, err := tx.Query(ctx, `INSERT INTO used_serials(serial, record_id, terminal, office, counter, at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[])
			AS u(serial, record_id, terminal, office, counter, at) ORDER BY u.serial
		ON CONFLICT (serial) DO NOTHING RETURNING record_id`, serials, rids, terms, offices, counters, ats)
	if err != nil {
		return hub.Unavailable("insert used serials", err)
	}
	won, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return hub.Unavailable("insert used serials", err)
	}
	if len(won) == n {
		return nil
	}
	holds := make(map[string]bool, len(won))
	for _, id := range won {
		holds[id] = true
	}
	for _, u := range uses {
		if holds[u.recordID] {
			continue
		}
		h := use{serial: u.serial}
		if err := tx.QueryRow(ctx, `SELECT record_id, terminal, office, counter, at FROM used_serials WHERE serial = $1`, u.serial).
			Scan(&h.recordID, &h.terminal, &h.office, &h.counter, &h.at); err != nil {
			return hub.Unavailable("read used serial", err)
		}
		if h.recordID == u.recordID && h.terminal == u.terminal {
			continue
		}
		if u.at.Before(h.at) { // scanned first, arrived later: it holds the serial
			if _, err := tx.Exec(ctx, `UPDATE used_serials SET record_id = $2, terminal = $3, office = $4, counter = $5, at = $6
				WHERE serial = $1`, u.serial, u.recordID, u.terminal, u.office, u.counter, u.at); err != nil {
				return hub.Unavailable("update used serial", err)
			}
		}
		for _, pair := range [][2]use{{u, h}, {h, u}} {
			me, other := pair[0], pair[1]
			if _, err := tx.Exec(ctx, `INSERT INTO alerts(terminal, record_id, serial, other_record_id, other_terminal,
				other_office, other_counter, other_at, detected_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
				ON CONFLICT (terminal, record_id, other_terminal, other_record_id) DO NOTHING`,
				me.terminal, me.recordID, u.serial, other.recordID, other.terminal, other.office, other.counter, other.at, now); err != nil {
				return hub.Unavailable("insert alert", err)
			}
		}
	}
	return nil
}

func pendingAlerts(ctx context.Context, tx pgx.Tx, terminal string) ([]mark.ReuseAlert, error) {
	rows, err := tx.Query(ctx, `SELECT id, record_id, serial, other_record_id, other_terminal, other_office,
		other_counter, other_at, detected_at FROM alerts WHERE terminal = $1 AND acked_at IS NULL ORDER BY id LIMIT $2`,
		terminal, hub.MaxAlertsSent)
	return sqlrow.Read(rows, err, "read alerts", sqlrow.ReuseAlert)
}

// Stats implements hub.Store.
func (d *DB) Stats(ctx context.Context) (hub.Stats, error) {
	s, err := sqlrow.Stats(d.pool.QueryRow(ctx, sqlrow.StatsQuery))
	if err != nil {
		return s, hub.Unavailable("stats", err)
	}
	return s, nil
}

// Record implements hub.Store.
func (d *DB) Record(ctx context.Context, terminal, id string) (hub.StoredRecord, error) {
	r, err := sqlrow.Record(d.pool.QueryRow(ctx, `SELECT `+sqlrow.RecordColumns+` FROM records WHERE terminal = $1 AND id = $2`,
		terminal, id))
	if err != nil {
		return r, sqlrow.One(err, "read record", fmt.Errorf("record %q: %w", id, mark.ErrNotFound))
	}
	return r, nil
}
