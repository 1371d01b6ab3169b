// Command syncgen fills a counter store with a backlog of pending records
// for bench/sync.sh: n accepted scans with distinct serials, as the
// pipeline stores them, in one transaction.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/google/uuid"

	"markd/mark"
	"markd/store"
)

func main() {
	path := flag.String("db", "markd.db", "counter store file")
	n := flag.Int("n", 1000000, "records")
	base := flag.Uint64("serial", 1, "first serial")
	flag.Parse()
	ctx := context.Background()
	db, err := store.Open(ctx, *path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO scans(id, at, office, counter, operator, source, raw_text, verdict, serial,
		mark_fields, versions) VALUES (?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		log.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	vs, _ := json.Marshal(mark.Versions{Keyring: "0e40db3c650e", Tariffs: "d9b98c0a670b", Revocations: "none"})
	text := "EPM1:" + string(make([]byte, 0))
	for i := range *n {
		m := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: *base + uint64(i), Contract: 100 + uint32(i%50), MailClass: 2,
			WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9900, Tracking: 42600000000015}
		f, _ := json.Marshal(m.Fields())
		raw := fmt.Sprintf("%s%0167d", text, i) // the length of a real mark text
		if _, err := ins.Exec(uuid.Must(uuid.NewV7()).String(), at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano),
			426000, "1", "ivan", "serial:front", raw, "ACCEPT", int64(m.Serial), string(f), string(vs)); err != nil {
			log.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("syncgen: %d pending records in %s (%.1fs)\n", *n, *path, time.Since(start).Seconds())
}
