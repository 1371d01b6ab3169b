package pgstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/mark"
)

// partitionName is the partition of records holding the month of t (UTC).
func partitionName(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("records_y%04dm%02d", t.Year(), int(t.Month()))
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ensureMonths makes the monthly partitions the records need, each in its
// own short transaction under the migration lock, so two instances making
// the same month take turns; what exists is remembered per process.
func (d *DB) ensureMonths(ctx context.Context, recs []hub.Record) error {
	var need []time.Time
	seen := map[string]bool{}
	for i := range recs {
		name := partitionName(recs[i].At)
		if _, ok := d.months.Load(name); ok || seen[name] {
			continue
		}
		seen[name] = true
		need = append(need, monthStart(recs[i].At))
	}
	for _, m := range need {
		if err := d.EnsureMonth(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// EnsureMonth makes the partition of records for the month of t.
func (d *DB) EnsureMonth(ctx context.Context, t time.Time) error {
	m := monthStart(t)
	name := partitionName(m)
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF records FOR VALUES FROM ('%s') TO ('%s')`,
			pgx.Identifier{name}.Sanitize(), m.Format(time.RFC3339), m.AddDate(0, 1, 0).Format(time.RFC3339)))
		return err
	})
	if err != nil {
		return hub.Unavailable("create partition "+name, err)
	}
	d.months.Store(name, true)
	return nil
}

// Months lists the monthly partitions of records, oldest first.
func (d *DB) Months(ctx context.Context) ([]string, error) {
	rows, err := d.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'records'::regclass`)
	if err != nil {
		return nil, hub.Unavailable("list partitions", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, hub.Unavailable("list partitions", err)
	}
	sort.Strings(names)
	return names, nil
}

// DropBefore implements hub.Retainer: it detaches and drops the monthly
// partitions that end at or before cutoff (whole months only: catalog
// changes and freeing files, no DELETE) and then prunes their record keys,
// and returns how many months went. Serial uses and alerts stay: a serial once
// used stays used.
func (d *DB) DropBefore(ctx context.Context, cutoff time.Time) (int, error) {
	if err := d.dropLeftovers(ctx); err != nil {
		return 0, err
	}
	names, err := d.Months(ctx)
	if err != nil {
		return 0, err
	}
	limit := partitionName(monthStart(cutoff)) // the month holding cutoff stays
	n := 0
	for _, name := range names {
		if name >= limit {
			break
		}
		if _, err := fmt.Sscanf(name, "records_y%04dm%02d", new(int), new(int)); err != nil {
			continue // not one of ours
		}
		if err := d.DropMonth(ctx, name); err != nil {
			return n, err
		}
		n++
	}
	if _, err := d.PruneKeys(ctx, monthStart(cutoff)); err != nil {
		return n, err
	}
	return n, nil
}

// DropMonth takes one monthly partition of records away: DetachMonth,
// then DropDetached.
func (d *DB) DropMonth(ctx context.Context, name string) error {
	old, err := d.DetachMonth(ctx, name)
	if err != nil {
		return err
	}
	return d.DropDetached(ctx, old)
}

// detachedSuffix marks a month detached from records and not yet dropped.
const detachedSuffix = "_detached"

// DetachMonth detaches one monthly partition from records and renames it
// (so a late record of that month gets a new partition of the old name):
// one short transaction of catalog changes, the only step that locks
// records (measured by bench/bigpg). It returns the new name.
func (d *DB) DetachMonth(ctx context.Context, name string) (string, error) {
	old := name + detachedSuffix
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `ALTER TABLE records DETACH PARTITION `+pgx.Identifier{name}.Sanitize()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `ALTER TABLE `+pgx.Identifier{name}.Sanitize()+` RENAME TO `+pgx.Identifier{old}.Sanitize())
		return err
	})
	if err != nil {
		return "", hub.Unavailable("detach partition "+name, err)
	}
	d.months.Delete(name)
	return old, nil
}

// DropDetached drops a month DetachMonth detached: no longer part of
// records, so the time it takes to free the files holds nothing up.
func (d *DB) DropDetached(ctx context.Context, old string) error {
	if !strings.HasSuffix(old, detachedSuffix) {
		return fmt.Errorf("drop %q: not a detached month: %w", old, mark.ErrInvalid)
	}
	if _, err := d.pool.Exec(ctx, `DROP TABLE IF EXISTS `+pgx.Identifier{old}.Sanitize()); err != nil {
		return hub.Unavailable("drop detached month "+old, err)
	}
	return nil
}

// dropLeftovers drops months detached by a retention run that stopped
// before dropping them.
func (d *DB) dropLeftovers(ctx context.Context) error {
	rows, err := d.pool.Query(ctx, `SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition
		AND relname LIKE 'records\_y%'||$1`, detachedSuffix)
	if err != nil {
		return hub.Unavailable("list detached months", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return hub.Unavailable("list detached months", err)
	}
	for _, n := range names {
		if err := d.DropDetached(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// keyPruneBatch is how many record keys one transaction of PruneKeys
// deletes: short transactions, so uploads are not held up.
const keyPruneBatch = 20000

// PruneKeys deletes the record keys of scans before cutoff (those of
// dropped months) in short batches, from the index record_keys_at, and
// returns how many went. Until it ends a late record of a dropped month
// is taken for a repeat; after, it is stored again.
func (d *DB) PruneKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		tag, err := d.pool.Exec(ctx, `DELETE FROM record_keys WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM record_keys WHERE at < $1 LIMIT $2))`, cutoff, keyPruneBatch)
		if err != nil {
			return total, hub.Unavailable("prune record keys", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < keyPruneBatch {
			return total, nil
		}
	}
}

// claimKeys inserts the (terminal, id) keys of a batch in the order of
// ids (sorted by the caller, so concurrent uploads lock them in one order;
// the ordinality keeps it without a collated text sort) and returns the
// ids that were new: only those go into records.
func claimKeys(ctx context.Context, tx pgx.Tx, terminal string, ids []string, ats []time.Time) ([]string, error) {
	if len(ids) >= copyMin { // a batch is new but after a lost answer
		if ok, err := copyKeys(ctx, tx, terminal, ids, ats); ok || err != nil {
			return ids, err
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO record_keys(terminal, id, at)
		SELECT $1, u.id, u.at FROM unnest($2::text[], $3::timestamptz[]) WITH ORDINALITY AS u(id, at, i) ORDER BY u.i
		ON CONFLICT (terminal, id) DO NOTHING RETURNING id`, terminal, ids, ats)
	if err != nil {
		return nil, hub.Unavailable("insert record keys", err)
	}
	fresh, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, hub.Unavailable("insert record keys", err)
	}
	return fresh, nil
}
