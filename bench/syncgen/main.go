// Command syncgen fills a counter store with a backlog of pending records
// for bench/sync.sh, as the pipeline stores them, in one transaction: the
// mix of bench/bigpg — 92 % ACCEPT, 6 % REJECT (UNDERPAID, a signed mark
// whose serial is not claimed), 2 % NOT_A_MARK (a barcode, no mark) —
// with distinct serials and tracking numbers. The marks are signed by a
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
			MailClass: 2, WeightG: 20, TariffKop: 10500, Office: 426000, Issued: 9800, ValidUntil: 9900,
			Tracking: issuer.Tracking(426000, uint64(i))}
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
	ins, err := tx.Prepare(`INSERT INTO scans(id, at, office, counter, operator, source, raw_text, verdict, reasons, serial,
		mark_fields, versions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		log.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	vs, _ := json.Marshal(mark.Versions{Keyring: "0e40db3c650e", Tariffs: "d9b98c0a670b", Revocations: "none"})
	minID := ""
	for i, m := range marks {
		f, _ := json.Marshal(m.Fields())
		verdict, reasons, text, serial, fields := "ACCEPT", "[]", texts[i], any(int64(m.Serial)), any(string(f))
		switch {
		case i%50 >= 49:
			verdict, text, serial, fields = "NOT_A_MARK", fmt.Sprintf("46%011d", i), nil, nil
		case i%50 >= 46:
			verdict, reasons = "REJECT", `["UNDERPAID"]`
		}
		id := uuid.Must(uuid.NewV7()).String()
		if minID == "" || id < minID {
			minID = id
		}
		if _, err := ins.Exec(id, at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano),
			426000, "1", "ivan", "serial:front", text, verdict, reasons, serial, fields, string(vs)); err != nil {
			log.Fatal(err)
		}
	}
	// what the store's writer does for the scans it inserts (migration
	// 061): the upload floor goes down to the smallest new id
	if _, err := tx.Exec(`UPDATE sync_state SET value = ?1 WHERE key = 'upload_floor' AND value > ?1`, minID); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("syncgen: %d pending records in %s (%.1fs)\n", *n, *path, time.Since(start).Seconds())
}
