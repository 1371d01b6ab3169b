package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"markd/mark"
	"markd/store"
)

// perDay is how many scans a busy counter records a day: a million scans
// is then about three years.
const perDay = 900

// storeEnd is the day after the last generated scan (UTC midnight); the
// generated stores end the day before.
var storeEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// genVersion changes when the generated content changes, and names the
// cached file (3: the outbox floor set as the uploader leaves it). A store cached before a new migration is migrated when it
// is opened, as a counter's store is on an upgrade.
const genVersion = "3"

// cachedStore returns the path of a store holding n scans, generating it
// under cacheDir on first use (the 1M store takes a minute or two).
func cachedStore(cacheDir string, n int, logf func(string, ...any)) (string, error) {
	path := filepath.Join(cacheDir, fmt.Sprintf("store-%d-v%s.db", n, genVersion))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	logf("generating a store of %d scans in %s (once; cached)", n, path)
	start := time.Now()
	if err := generate(tmp, n); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	logf("generated in %.1f s", time.Since(start).Seconds())
	return path, nil
}

// generate writes n scans as a busy counter makes them over the days before
// storeEnd: about 90 % ACCEPT, 6 % REJECT with realistic reasons (older
// ones reviewed), 2 % DUPLICATE_SCAN, 2 % NOT_A_MARK; every ACCEPT holds its
// serial in used_serials; all uploaded but the last day's.
func generate(path string, n int) error {
	ctx := context.Background()
	db, err := store.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer db.Close()
	sq := db.SQL()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	vs, _ := json.Marshal(mark.Versions{Keyring: "0e40db3c650e", Tariffs: "d9b98c0a670b", Revocations: "none"})
	reasons := []string{`["UNDERPAID"]`, `["EXPIRED"]`, `["REUSED"]`, `["BAD_SIGNATURE"]`, `["WRONG_OFFICE"]`,
		`["UNDERPAID","OVERWEIGHT"]`, `["NOT_YET_VALID"]`, `["KEY_REVOKED"]`}
	step := 24 * time.Hour / perDay
	start := storeEnd.Add(-time.Duration(n) * step)
	const chunk = 20000
	for lo := 0; lo < n; lo += chunk {
		tx, err := sq.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		ins, err := tx.Prepare(`INSERT INTO scans(id, at, office, counter, operator, source, raw_text, verdict, reasons,
			serial, mark_fields, first_accepted, versions, message, review_state, upload_state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		used, err := tx.Prepare(`INSERT INTO used_serials(serial, record_id) VALUES (?,?)`)
		if err != nil {
			return err
		}
		for i := lo; i < min(lo+chunk, n); i++ {
			at := start.Add(time.Duration(i)*step + time.Duration(rng.IntN(int(step/time.Millisecond)))*time.Millisecond)
			id := uuidAt(at, rng)
			serial := uint64(i + 1)
			m := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: serial, Contract: 1004417 + uint32(i%40), MailClass: 2,
				WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9900, Tracking: 42600000000015}
			f, _ := json.Marshal(m.Fields())
			raw := fmt.Sprintf("EPM1:%0168d", i) // the length of a real mark text
			verdict, rs, first, review := "ACCEPT", "[]", any(nil), ""
			fields := any(string(f))
			switch p := rng.IntN(100); {
			case p < 6:
				verdict, rs = "REJECT", reasons[rng.IntN(len(reasons))]
				review = "pending"
				if at.Before(storeEnd.AddDate(0, 0, -30)) {
					review = "confirmed"
					if rng.IntN(20) == 0 {
						review = "overridden"
					}
				}
				if rs == `["REUSED"]` {
					first = fmt.Sprintf(`{"record_id":"x","at":%q,"office":426000,"counter":"1"}`, at.Add(-time.Hour).Format(time.RFC3339))
				}
			case p < 8:
				verdict, first = "DUPLICATE_SCAN", fmt.Sprintf(`{"record_id":"x","at":%q,"office":426000,"counter":"1"}`, at.Add(-time.Second).Format(time.RFC3339))
			case p < 10:
				verdict, fields, raw = "NOT_A_MARK", nil, fmt.Sprintf("4607001%06d", i%1000000)
			}
			upload := "uploaded"
			if !at.Before(storeEnd.AddDate(0, 0, -1)) {
				upload = "pending"
			}
			var serialCol any
			if fields != nil {
				serialCol = int64(serial)
			}
			atText := at.UTC().Format("2006-01-02T15:04:05.000000000Z")
			counter := []string{"1", "2"}[i%2]
			if _, err := ins.Exec(id, atText, 426000, counter, "ivan", "serial:front", raw, verdict, rs, serialCol, fields, first,
				string(vs), "", review, upload); err != nil {
				return fmt.Errorf("generate scan %d: %w", i, err)
			}
			if verdict == "ACCEPT" || review == "overridden" {
				if _, err := used.Exec(int64(serial), id); err != nil {
					return fmt.Errorf("generate used serial %d: %w", i, err)
				}
			}
		}
		ins.Close()
		used.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	// The scans went in as uploaded without the uploader, which raises the
	// outbox floor as it confirms them (store/outbox.go raiseFloor): set it
	// where a counter's would be, at the first record still pending.
	if _, err := sq.Exec(`UPDATE sync_state SET value = coalesce((SELECT min(id) FROM scans WHERE upload_state = 'pending'),
		(SELECT max(id) FROM scans), '') WHERE key = 'upload_floor'`); err != nil {
		return fmt.Errorf("generate: outbox floor: %w", err)
	}
	_, err = sq.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// uuidAt is a UUIDv7 of time at, so id order follows time order as in the
// daemon.
func uuidAt(at time.Time, rng *rand.Rand) string {
	var u uuid.UUID
	ms := uint64(at.UnixMilli())
	binary.BigEndian.PutUint64(u[8:], rng.Uint64())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	r := rng.Uint32()
	u[6], u[7] = 0x70|byte(r&0x0f), byte(r>>8)
	u[8] = 0x80 | u[8]&0x3f
	return u.String()
}

// openRO opens an existing store for the read measures.
func openStore(path string) (*store.DB, error) {
	return store.Open(context.Background(), path, slog.New(slog.DiscardHandler))
}

// dropAppended deletes the scans the P1 and store.Save runs appended to a
// cached store (all after storeEnd), so every measure starts from the
// generated store: the reads see the same backlog and size each time.
func dropAppended(path string) error {
	db, err := openStore(path)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	end := storeEnd.UTC().Format("2006-01-02T15:04:05.000000000Z")
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM scans WHERE at >= ?`, end).Scan(&n); err != nil || n == 0 {
		return err
	}
	// Without the foreign key check: used_serials.record_id has no index
	// (nothing deletes scans in markd), so SQLite would scan used_serials
	// once per deleted scan. The used serials go first, by serial.
	for _, q := range []string{
		`PRAGMA foreign_keys = OFF`,
		`DELETE FROM used_serials WHERE serial IN (SELECT serial FROM scans WHERE at >= ?1 AND serial IS NOT NULL)
			AND record_id IN (SELECT id FROM scans WHERE at >= ?1)`,
		`DELETE FROM scans WHERE at >= ?1`,
		`PRAGMA foreign_keys = ON`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	} {
		var args []any
		if strings.Contains(q, "?1") {
			args = []any{end}
		}
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("drop appended scans: %w", err)
		}
	}
	return nil
}
