// Command syncgen fills a counter store with a backlog of pending records
// for bench/sync.sh: n accepted scans with distinct serials, as the
// pipeline stores them, in one transaction. The marks are signed by a
// fresh issuer key whose keyring it writes to -keyring, for the collector
// to publish: markhub checks every uploaded mark, so the bench measures
// that too.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"

	"markd/issuer"
	"markd/mark"
	"markd/store"
)

func main() {
	path := flag.String("db", "markd.db", "counter store file")
	n := flag.Int("n", 1000000, "records")
	base := flag.Uint64("serial", 1, "first serial")
	keyring := flag.String("keyring", "keyring.yaml", "keyring file to write (the issuer key's public half)")
	flag.Parse()
	ctx := context.Background()
	key, err := issuer.Generate(issuer.AlgEd25519, 1, 9000, 12000)
	if err != nil {
		log.Fatal(err)
	}
	ring, err := issuer.MarshalKeyring([]issuer.Key{key})
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*keyring, ring, 0o600); err != nil {
		log.Fatal(err)
	}
	db, err := store.Open(ctx, *path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	marks := make([]mark.Mark, *n)
	texts := make([]string, *n)
	for i := range marks {
		marks[i] = mark.Mark{Version: 1, Alg: mark.AlgEd25519, KeyID: 1, Serial: *base + uint64(i), Contract: 100 + uint32(i%50),
			MailClass: 2, WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9900, Tracking: 42600000000015}
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(marks); i += workers {
				var err error
				if texts[i], err = key.Sign(marks[i]); err != nil {
					log.Fatal(err)
				}
			}
		})
	}
	wg.Wait()
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
	for i, m := range marks {
		f, _ := json.Marshal(m.Fields())
		if _, err := ins.Exec(uuid.Must(uuid.NewV7()).String(), at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano),
			426000, "1", "ivan", "serial:front", texts[i], "ACCEPT", int64(m.Serial), string(f), string(vs)); err != nil {
			log.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("syncgen: %d pending records in %s (%.1fs)\n", *n, *path, time.Since(start).Seconds())
}
