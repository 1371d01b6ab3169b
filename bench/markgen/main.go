// Command markgen prints signed EPM v1 mark texts for benchmarks and
// load tests: n distinct valid marks (issued yesterday, valid 90 days,
// overpaid so any tariff table accepts them), with a share of repeats of
// earlier lines mixed in, one text a line.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"markd/issuer"
	"markd/mark"
)

func main() {
	keys := flag.String("keys", "../shared/testdata/issuer-keys.yaml", "issuer private key file")
	keyID := flag.Int("key-id", 1, "key id to sign with")
	n := flag.Int("n", 10000, "number of distinct marks")
	repeat := flag.Float64("repeat", 0, "share of extra lines that repeat an earlier mark (0..1)")
	office := flag.Uint("office", 426000, "office of the marks")
	base := flag.Uint64("serial", uint64(time.Now().UnixNano()/1000), "first serial")
	flag.Parse()
	if err := run(*keys, *keyID, *n, *repeat, uint32(*office), *base); err != nil {
		fmt.Fprintln(os.Stderr, "markgen:", err)
		os.Exit(1)
	}
}

func run(path string, keyID, n int, repeat float64, office uint32, base uint64) error {
	ks, err := issuer.LoadKeys(path)
	if err != nil {
		return err
	}
	var key *issuer.Key
	for i := range ks {
		if int(ks[i].ID) == keyID {
			key = &ks[i]
		}
	}
	if key == nil {
		return fmt.Errorf("no key %d in %s", keyID, path)
	}
	today := mark.DayOf(time.Now())
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	texts := make([]string, 0, n)
	for i := 0; i < n; i++ {
		serial := base + uint64(i)
		t, err := key.Sign(mark.Mark{Serial: serial, Contract: 1004417, MailClass: mark.ClassRegisteredLetter,
			WeightG: 20, TariffKop: 1000000, Office: office, Issued: today - 1, ValidUntil: today + 90,
			Tracking: issuer.Tracking(office, serial%10_000_000)})
		if err != nil {
			return err
		}
		texts = append(texts, t)
		fmt.Fprintln(w, t)
		if repeat > 0 && rand.Float64() < repeat {
			fmt.Fprintln(w, texts[rand.IntN(len(texts))])
		}
	}
	return nil
}
