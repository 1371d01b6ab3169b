package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"markd/store"
)

// layout is one way to key the scans table; every layout also has
// used_serials (serial INTEGER PRIMARY KEY, record_id REFERENCES scans(id))
// and takes one random serial per commit, as an ACCEPT does.
type layout struct {
	name string
	ddl  []string
	ins  string // (id, at, verdict, p)
}

var layouts = []layout{
	{"rowid+id index+scans_at (the store today)", []string{
		`CREATE TABLE scans (id TEXT PRIMARY KEY, at TEXT NOT NULL, verdict TEXT NOT NULL, p TEXT)`,
		`CREATE INDEX scans_at ON scans(at, id)`,
	}, `INSERT INTO scans(id, at, verdict, p) VALUES (?,?,?,?)`},
	{"WITHOUT ROWID key (at, id) + UNIQUE(id)", []string{
		`CREATE TABLE scans (at TEXT NOT NULL, id TEXT NOT NULL UNIQUE, verdict TEXT NOT NULL, p TEXT,
			PRIMARY KEY (at, id)) WITHOUT ROWID`,
	}, `INSERT INTO scans(id, at, verdict, p) VALUES (?,?,?,?)`},
	{"WITHOUT ROWID key id + scans_at", []string{
		`CREATE TABLE scans (id TEXT PRIMARY KEY, at TEXT NOT NULL, verdict TEXT NOT NULL, p TEXT) WITHOUT ROWID`,
		`CREATE INDEX scans_at ON scans(at, id)`,
	}, `INSERT INTO scans(id, at, verdict, p) VALUES (?,?,?,?)`},
	{"rowid in time order + UNIQUE(id)", []string{
		`CREATE TABLE scans (k INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, at TEXT NOT NULL, verdict TEXT NOT NULL, p TEXT)`,
	}, `INSERT INTO scans(id, at, verdict, p) VALUES (?,?,?,?)`},
}

type layoutDB struct {
	sq         *sql.DB
	conn       *sql.Conn
	ins, claim *sql.Stmt
	n          int
	frames     []int
	rng        *rand.Rand
	seqSerials bool  // claim serials in increasing order (P1's feed) instead of at random
	serial     int64 // the last serial claimed (seqSerials)
	at         time.Time
}

func openLayout(dir string, i int, prefill, rowBytes int, seqSerials bool) (*layoutDB, error) {
	ctx := context.Background()
	sq, conn, err := openFresh(ctx, filepath.Join(dir, fmt.Sprintf("layout-%d-%d.db", i, prefill)), "&_foreign_keys=on", store.WALVFS())
	if err != nil {
		return nil, err
	}
	ddl := append(slices.Clone(layouts[i].ddl),
		`CREATE TABLE used_serials (serial INTEGER PRIMARY KEY, record_id TEXT NOT NULL REFERENCES scans(id))`)
	for _, q := range ddl {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	d := &layoutDB{sq: sq, conn: conn, rng: rand.New(rand.NewPCG(uint64(i), 1)),
		at: time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC), seqSerials: seqSerials}
	if d.ins, err = conn.PrepareContext(ctx, layouts[i].ins); err != nil {
		return nil, err
	}
	if d.claim, err = conn.PrepareContext(ctx, `INSERT INTO used_serials(serial, record_id) VALUES (?,?)`); err != nil {
		return nil, err
	}
	p := strings.Repeat("p", rowBytes-100)
	for lo := 0; lo < prefill; lo += 20000 {
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			return nil, err
		}
		for j := lo; j < min(lo+20000, prefill); j++ {
			if err := d.row(ctx, p); err != nil {
				return nil, err
			}
		}
		if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
			return nil, err
		}
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		return nil, err
	}
	// warm: two WAL cycles at the store's cadence, as perfbench warms
	for range 2*store.CheckpointEvery + 100 {
		if err := d.commit(p); err != nil {
			return nil, err
		}
		if err := d.settle(); err != nil {
			return nil, err
		}
	}
	d.frames = nil
	return d, nil
}

// row inserts one scan (a time-ordered UUIDv7, its time ~96 s after the
// previous one) and claims a serial for it (random, or the next one).
func (d *layoutDB) row(ctx context.Context, p string) error {
	d.at = d.at.Add(96*time.Second + time.Duration(d.rng.IntN(1000))*time.Millisecond)
	var u uuid.UUID
	ms := uint64(d.at.UnixMilli())
	binary.BigEndian.PutUint64(u[8:], d.rng.Uint64())
	binary.BigEndian.PutUint64(u[:8], ms<<16|0x7000|uint64(d.rng.IntN(4096)))
	u[8] = 0x80 | u[8]&0x3f
	id := u.String()
	if _, err := d.ins.ExecContext(ctx, id, d.at.Format("2006-01-02T15:04:05.000000000Z"), "ACCEPT", p); err != nil {
		return err
	}
	serial := int64(d.rng.Uint64() >> 1)
	if d.seqSerials {
		d.serial++
		serial = d.serial
	}
	_, err := d.claim.ExecContext(ctx, serial, id)
	return err
}

func (d *layoutDB) commit(p string) error {
	ctx := context.Background()
	if _, err := d.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	if err := d.row(ctx, p); err != nil {
		return err
	}
	if _, err := d.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return err
	}
	d.n++
	return nil
}

// settle runs the checkpoint due after this commit, untimed, as the
// store's one-scan path does (every store.CheckpointEvery commits, on the
// writer's connection, copying every frame), and counts the WAL's frames.
func (d *layoutDB) settle() error {
	if d.n%store.CheckpointEvery != 0 {
		return nil
	}
	var busy, log, moved int
	if err := d.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &log, &moved); err != nil {
		return err
	}
	d.frames = append(d.frames, log)
	return nil
}

// runLayouts times one scan-like commit (row + used serial) of every
// layout against the bare one-row commit, interleaved commit by commit.
func runLayouts(dir string, prefill, n, rounds, rowBytes int, seqSerials bool) error {
	base, err := open(dir, 0, 4096, 175, "")
	if err != nil {
		return err
	}
	var dbs []*layoutDB
	for i := range layouts {
		start := time.Now()
		d, err := openLayout(dir, i, prefill, rowBytes, seqSerials)
		if err != nil {
			return fmt.Errorf("layout %q: %w", layouts[i].name, err)
		}
		fmt.Printf("%s: filled %d rows in %.1f s\n", layouts[i].name, prefill, time.Since(start).Seconds())
		dbs = append(dbs, d)
	}
	p := strings.Repeat("q", rowBytes-100)
	res, res99 := make([][]float64, len(layouts)), make([][]float64, len(layouts))
	var baseRes []float64
	for r := 0; r < rounds; r++ {
		ts := make([][]time.Duration, len(layouts))
		var bt []time.Duration
		for i := 0; i < n; i++ {
			t := time.Now()
			if err := base.commit("y"); err != nil {
				return err
			}
			bt = append(bt, time.Since(t))
			if err := base.settle(); err != nil {
				return err
			}
			for j, d := range dbs {
				t := time.Now()
				if err := d.commit(p); err != nil {
					return err
				}
				ts[j] = append(ts[j], time.Since(t))
				if err := d.settle(); err != nil {
					return err
				}
			}
		}
		slices.Sort(bt)
		baseRes = append(baseRes, float64(bt[len(bt)/2].Microseconds()))
		for j := range dbs {
			slices.Sort(ts[j])
			res[j] = append(res[j], float64(ts[j][len(ts[j])/2].Microseconds()))
			res99[j] = append(res99[j], float64(ts[j][len(ts[j])*99/100].Microseconds()))
		}
	}
	fmt.Printf("bare one-row commit: p50 µs %v\n", baseRes)
	for j, d := range dbs {
		var rat, rat99 []string
		for i := range res[j] {
			rat = append(rat, fmt.Sprintf("%.2f", res[j][i]/baseRes[i]))
			rat99 = append(rat99, fmt.Sprintf("%.2f", res99[j][i]/baseRes[i]))
		}
		tot := 0
		for _, f := range d.frames {
			tot += f
		}
		fmt.Printf("%s: p50 µs %v ratio %s; p99 ÷ bare p50 %s; WAL frames a commit %.2f\n", layouts[j].name, res[j],
			strings.Join(rat, " "), strings.Join(rat99, " "), float64(tot)/float64(store.CheckpointEvery*max(1, len(d.frames))))
	}
	return nil
}
