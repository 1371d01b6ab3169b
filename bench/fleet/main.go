// Command fleet drives markhub with N simulated counters on loopback: each
// a goroutine with its own terminal token and office, scanning along a
// day curve (an opening-hour peak) in bursts of 1–3 scans/s, uploading
// its pending records every sync interval like `markd sync`, and now and
// then offline for a spell, after which it sends its backlog in batches.
// The collector is -instances in-process markhub servers (each its own
// connection pool, as separate processes would have) over one throwaway
// PostgreSQL cluster with fsync on. The run is bounded by -duration; at
// the end every record sent must be stored exactly once.
//
// Usage: go run ./bench/fleet [-counters 38000] [-instances 2] [-duration 60s]
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/bundle"
	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/pgstore"
	"markd/issuer"
	"markd/mark"
)

type config struct {
	counters, instances int
	duration, interval  time.Duration
	perDay              float64 // records a counter takes in a day
	peakShare           float64 // share of the day's records in the peak hour
	speed               float64 // multiplies the scan rate (stress)
	offline             float64 // chance per interval to go offline
	batch               int
}

func main() {
	var c config
	flag.IntVar(&c.counters, "counters", 38000, "simulated counters (one terminal and office each)")
	flag.IntVar(&c.instances, "instances", 2, "markhub instances over the one PostgreSQL")
	flag.DurationVar(&c.duration, "duration", 60*time.Second, "how long the counters run")
	flag.DurationVar(&c.interval, "interval", 30*time.Second, "each counter's sync interval")
	flag.Float64Var(&c.perDay, "per-day", 400, "records per counter per day")
	flag.Float64Var(&c.peakShare, "peak-share", 0.15, "share of the day's records in the opening-hour peak (the run is that hour)")
	flag.Float64Var(&c.speed, "speed", 1, "scan rate multiplier, to find the limit")
	flag.Float64Var(&c.offline, "offline", 0.02, "chance per interval that a counter goes offline for 1-10 intervals")
	flag.IntVar(&c.batch, "batch", 2000, "records per upload at most (markd's batch_size)")
	flag.Parse()
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

func run(c config) error {
	ctx := context.Background()
	cl, err := hubtest.StartCluster(false)
	if err != nil {
		return err
	}
	defer cl.Stop() //nolint:errcheck // throwaway cluster
	dsn := cl.DSN("postgres")
	setup, err := pgstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	if err := publish(ctx, setup); err != nil {
		return err
	}
	start := time.Now()
	var add sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 { // registration is setup, not measured: in parallel
		add.Add(1)
		go func() {
			defer add.Done()
			for i := w; i < c.counters; i += 8 {
				t := hub.Terminal{Name: fmt.Sprintf("c%05d", i), Office: uint32(100000 + i), TokenHash: hub.HashToken(token(i)),
					Created: start.Add(-time.Hour)}
				if err := setup.AddTerminal(ctx, t); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	add.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("setup: %d terminals in %s\n", c.counters, time.Since(start).Round(time.Millisecond))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var urls []string
	for range c.instances {
		st, err := pgstore.OpenOptions(ctx, dsn, pgstore.Options{MaxConns: 16})
		if err != nil {
			return err
		}
		defer st.Close()
		srv := hub.NewServer(st, hub.ServerOptions{Log: quiet})
		if _, err := srv.LoadKeyrings(ctx); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: srv.Handler()}
		go hs.Serve(ln) //nolint:errcheck // closed at exit
		defer hs.Close()
		urls = append(urls, "http://"+ln.Addr().String())
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}}
	var (
		sent, stored, dups, uploads, failures atomic.Int64
		mu                                    sync.Mutex
		lat                                   []time.Duration
	)
	ratePerSec := c.perDay * c.peakShare / 3600 * c.speed // records/s of one counter in the peak hour
	deadline := time.Now().Add(c.duration)
	var wg sync.WaitGroup
	for i := range c.counters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var pending []hub.Record
			var seq uint64
			offlineFor := 0
			// Counters do not sync in step: each starts at its own moment.
			time.Sleep(time.Duration(rng.Int64N(int64(c.interval))))
			for time.Now().Before(deadline) {
				now := time.Now()
				pending = append(pending, scans(rng, i, &seq, now, ratePerSec, c.interval)...)
				if offlineFor > 0 {
					offlineFor--
				} else if rng.Float64() < c.offline {
					offlineFor = 1 + rng.IntN(10)
				} else {
					for len(pending) > 0 && time.Now().Before(deadline.Add(c.interval)) {
						n := min(len(pending), c.batch)
						t0 := time.Now()
						r, err := upload(client, urls[rng.IntN(len(urls))], token(i), pending[:n])
						if err != nil {
							if failures.Add(1) <= 3 {
								fmt.Println("upload failed (retried next interval):", err)
							}
							break // retried at the next interval, like markd sync
						}
						d := time.Since(t0)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
						uploads.Add(1)
						sent.Add(int64(n))
						stored.Add(int64(r.Stored))
						dups.Add(int64(r.Duplicates))
						pending = pending[n:]
					}
				}
				time.Sleep(time.Until(now.Add(c.interval)))
			}
		}()
	}
	var ms runtime.MemStats
	wg.Wait()
	elapsed := time.Since(deadline.Add(-c.duration))
	runtime.ReadMemStats(&ms)
	st, err := setup.Stats(ctx)
	if err != nil {
		return err
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)]
	}
	fmt.Printf("counters %d, instances %d, ran %s, interval %s, peak rate %.3f records/s/counter (%.0f/s fleet)\n",
		c.counters, c.instances, elapsed.Round(time.Second), c.interval, ratePerSec, ratePerSec*float64(c.counters))
	fmt.Printf("uploads %d (%.0f/s), failed %d; records sent %d (%.0f/s), stored %d, duplicates %d\n",
		uploads.Load(), float64(uploads.Load())/elapsed.Seconds(), failures.Load(), sent.Load(),
		float64(sent.Load())/elapsed.Seconds(), stored.Load(), dups.Load())
	fmt.Printf("upload latency p50 %s p99 %s max %s\n", pct(.5).Round(time.Millisecond), pct(.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	fmt.Printf("database: %d records, %d used serials, %d alerts\n", st.Records, st.UsedSerials, st.Alerts)
	if size, err := storageBytes(ctx, dsn); err == nil && st.Records > 0 {
		fmt.Printf("storage: %d bytes for records, keys and serial uses with indexes = %.0f bytes/record\n", size, float64(size)/float64(st.Records))
	}
	if st.Records != sent.Load() || st.UsedSerials != sent.Load() || stored.Load() != sent.Load() {
		fmt.Println("FAIL: records lost or stored twice")
		os.Exit(1)
	}
	fmt.Println("ok: every record sent is stored exactly once")
	return nil
}

func token(i int) string { return fmt.Sprintf("fleet-token-%05d", i) }

// scans makes the records of one interval: Poisson-ish count around
// rate×interval, taken in bursts of 1–3 scans/s.
func scans(rng *rand.Rand, counter int, seq *uint64, now time.Time, rate float64, interval time.Duration) []hub.Record {
	mean := rate * interval.Seconds()
	n := int(mean)
	if rng.Float64() < mean-float64(n) {
		n++
	}
	out := make([]hub.Record, 0, n)
	at := now.Add(-interval)
	for len(out) < n {
		burst := 1 + rng.IntN(3)
		for b := 0; b < burst && len(out) < n; b++ {
			*seq++
			serial := uint64(counter)<<24 | *seq
			office := uint32(100000 + counter)
			m := hubtest.TestMark(serial, office)
			f := m.Fields()
			out = append(out, hub.Record{ID: fmt.Sprintf("c%05d-%08d", counter, *seq), At: at, Office: office, Counter: "1",
				Source: "scanner", Text: hubtest.Sign(m), Verdict: mark.Accept, Reasons: []mark.Reason{}, Mark: &f,
				Versions: mark.Versions{Keyring: "k", Tariffs: "t", Revocations: "r"}})
			at = at.Add(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		}
		at = at.Add(time.Duration(rng.IntN(int(interval/time.Millisecond)/max(1, n))+1) * time.Millisecond)
	}
	return out
}

func upload(c *http.Client, url, tok string, recs []hub.Record) (hub.UploadResponse, error) {
	var out hub.UploadResponse
	body, err := json.Marshal(hub.UploadRequest{Records: recs})
	if err != nil {
		return out, err
	}
	req, err := http.NewRequest(http.MethodPost, url+"/v1/upload", bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return out, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// publish stores bundle 1 with the test issuer's keyring, so markhub
// verifies the simulated marks.
func publish(ctx context.Context, s hub.Store) error {
	ring, err := issuer.MarshalKeyring([]issuer.Key{hubtest.IssuerKey()})
	if err != nil {
		return err
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	data, err := bundle.Sign(bundle.Contents{Version: 1, Created: now,
		Keyring: bundle.File{Name: "keyring.yaml", Data: ring},
		Tariffs: bundle.File{Name: "tariffs.yaml", Data: []byte(hubtest.Tariffs)}}, priv)
	if err != nil {
		return err
	}
	return s.PutBundle(ctx, 1, data, now)
}

// storageBytes is the on-disk size of what grows with records: the
// partitions of records, record_keys and used_serials, indexes included.
func storageBytes(ctx context.Context, dsn string) (int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
		WHERE c.relkind = 'r' AND (c.relname LIKE 'records_y%' OR c.relname IN ('record_keys', 'used_serials'))`).Scan(&n)
	return n, err
}
