// Command framecost measures a single-row commit (WAL, synchronous=FULL,
// checkpointed as markd's one-scan path does, untimed) against the number of
// b-tree pages it dirties (p50, and p99 against the one-page p50): K indexes that each take one appended entry;
// with -vfs, through SQLite's default VFS against the store's (markd-wal);
// with -layouts, scan-like commits (row + used serial) against the ways
// of keying the scans table.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"markd/store"
)

type db struct {
	sq   *sql.DB
	conn *sql.Conn
	ins  *sql.Stmt
	n    int
}

// openFresh removes path and its WAL files, opens it with the store's
// WAL discipline (WAL, synchronous=FULL, immediate transactions, extra
// DSN parameters, the VFS if not "") and returns one connection of it.
func openFresh(ctx context.Context, path, extra, vfs string) (*sql.DB, *sql.Conn, error) {
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(path + s)
	}
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_txlock=immediate" + extra
	if vfs != "" {
		dsn += "&vfs=" + vfs
	}
	sq, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, nil, err
	}
	conn, err := sq.Conn(ctx)
	if err != nil {
		sq.Close()
		return nil, nil, err
	}
	return sq, conn, nil
}

func open(dir string, k, pageSize int, rowBytes int, vfs string) (*db, error) {
	ctx := context.Background()
	sq, conn, err := openFresh(ctx, filepath.Join(dir, fmt.Sprintf("fc-%d-%d-%d-%s.db", k, pageSize, rowBytes, vfs)), "", vfs)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size=%d", pageSize)); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `VACUUM`); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA journal_mode=WAL`); err != nil {
		return nil, err
	}
	cols := []string{"id INTEGER PRIMARY KEY", "v TEXT"}
	for i := 0; i < 4; i++ {
		cols = append(cols, fmt.Sprintf("c%d TEXT", i))
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (`+strings.Join(cols, ",")+`)`); err != nil {
		return nil, err
	}
	for i := 0; i < k; i++ {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE INDEX t%d ON t(c%d)`, i, i)); err != nil {
			return nil, err
		}
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		return nil, err
	}
	ins, err := conn.PrepareContext(ctx, `INSERT INTO t(v, c0, c1, c2, c3) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	d := &db{sq: sq, conn: conn, ins: ins}
	// pre-fill so the trees have depth
	v := strings.Repeat("x", rowBytes)
	for i := 0; i < 20000; i++ {
		if err := d.commit(v); err != nil {
			return nil, err
		}
		if err := d.settle(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *db) commit(v string) error {
	d.n++
	key := fmt.Sprintf("%020d-%036d", d.n, d.n)
	_, err := d.ins.Exec(v, key, key, key, key)
	return err
}

// settle runs the checkpoint due after this commit, untimed, as the
// store's one-scan path does (one that copies every frame on the
// writer's connection every store.CheckpointEvery commits, so the next
// commit restarts the WAL).
func (d *db) settle() error {
	if d.n%store.CheckpointEvery != 0 {
		return nil
	}
	_, err := d.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(RESTART)`)
	return err
}

func main() {
	dir := flag.String("dir", "bench/.cache", "")
	n := flag.Int("n", 2000, "")
	rounds := flag.Int("rounds", 3, "")
	withVFS := flag.Bool("vfs", false, "compare the default VFS with the store's (markd-wal: one write per commit)")
	withLayouts := flag.Bool("layouts", false, "compare keyings of the scans table (scan-like commits: row + used serial)")
	prefill := flag.Int("prefill", 200000, "rows in each layout's table before timing (-layouts)")
	rowBytes := flag.Int("row", 600, "bytes of a scans row (-layouts)")
	seqSerials := flag.Bool("seq-serials", false, "claim serials in increasing order, as perfbench's P1 feed does (-layouts; default: at random)")
	ks := flag.String("indexes", "", "comma-separated index counts to compare, each through the store's VFS (e.g. 0,1,2,3: one to four pages a commit)")
	flag.Parse()
	if *withLayouts {
		if err := runLayouts(*dir, *prefill, *n, *rounds, *rowBytes, *seqSerials); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		return
	}
	type cfg struct {
		k, ps, row int
		vfs        string
	}
	cfgs := []cfg{{0, 4096, 175, ""}, {1, 4096, 175, ""}, {3, 4096, 175, ""}, {3, 4096, 600, ""}, {3, 2048, 300, ""},
		{3, 1024, 175, ""}}
	if v := store.WALVFS(); v != "" && *withVFS {
		cfgs = []cfg{{0, 4096, 175, ""}, {3, 4096, 175, ""}, {3, 4096, 175, v}, {0, 4096, 175, v}}
	}
	if *ks != "" {
		cfgs = nil
		for _, f := range strings.Split(*ks, ",") {
			var k int
			if _, err := fmt.Sscan(f, &k); err != nil {
				fmt.Printf("-indexes %q: %v\n", f, err)
				os.Exit(2)
			}
			cfgs = append(cfgs, cfg{k, 4096, 175, store.WALVFS()})
		}
	}
	dbs := map[cfg]*db{}
	for _, c := range cfgs {
		d, err := open(*dir, c.k, c.ps, c.row, c.vfs)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		dbs[c] = d
	}
	res, res99 := map[cfg][]float64{}, map[cfg][]float64{}
	for r := 0; r < *rounds; r++ {
		ts := map[cfg][]time.Duration{}
		for i := 0; i < *n; i++ {
			for _, c := range cfgs {
				v := strings.Repeat("y", c.row)
				t := time.Now()
				if err := dbs[c].commit(v); err != nil {
					fmt.Println(err)
					os.Exit(1)
				}
				ts[c] = append(ts[c], time.Since(t))
				if err := dbs[c].settle(); err != nil {
					fmt.Println(err)
					os.Exit(1)
				}
			}
		}
		for _, c := range cfgs {
			s := ts[c]
			slices.Sort(s)
			res[c] = append(res[c], float64(s[len(s)/2].Microseconds()))
			res99[c] = append(res99[c], float64(s[len(s)*99/100].Microseconds()))
		}
	}
	base := res[cfgs[0]]
	for _, c := range cfgs {
		var rat, rat99 []float64
		for i := range res[c] {
			rat = append(rat, res[c][i]/base[i])
			rat99 = append(rat99, res99[c][i]/base[i])
		}
		fmt.Printf("indexes=%d page=%d row=%d vfs=%q: p50 µs %v ratio %.2f; p99 µs %v ÷ the first's p50 %.2f\n",
			c.k, c.ps, c.row, c.vfs, res[c], rat, res99[c], rat99)
	}
}
