package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeZeroLimitsAreOff: in `markhub serve`, auth_failures_per_addr
// 0 and read_rate 0 turn those limits off (the config docs: "0: no
// limit", for a hub behind a proxy), where hub.ServerOptions' 0 would
// take the defaults (60 failures a minute, 5 reads a second); the
// conversion (offIfZero, uploadRate in serve.go) had no test. Against
// the real process over real TCP: with 0, 100 failed authentications
// (distinct made-up tokens: a token already failed is answered from the
// cache without counting) from one address are all 401, never 429, and
// reads of one terminal with read_burst 1 are never 429; with
// auth_failures_per_addr 3 and read_rate 0.01 the 4th failure and the
// 2nd read are 429 with Retry-After.
func TestServeZeroLimitsAreOff(t *testing.T) {
	markhub, _ := buildBinaries(t)
	for _, c := range []struct {
		name, failures, readRate string
		failLimit, readLimit     int // the request answered 429 first (1-based); 0: none
	}{
		{"0 is off", "0", "0", 0, 0},
		{"small limits hold", "3", "0.01", 4, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			hubDB := filepath.Join(t.TempDir(), "hub.db")
			tok := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db", hubDB)
			addr := freePort(t)
			t.Setenv("MARKHUB_AUTH_FAILURES_PER_ADDR", c.failures)
			t.Setenv("MARKHUB_READ_RATE", c.readRate)
			t.Setenv("MARKHUB_READ_BURST", "1")
			start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)

			get := func(token string) (int, string) {
				t.Helper()
				req, err := http.NewRequest("GET", "http://"+addr+"/v1/serials", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode, res.Header.Get("Retry-After")
			}
			first := func(n int, token func(i int) string, other int) int {
				t.Helper()
				for i := 1; i <= n; i++ {
					code, retry := get(token(i))
					if code == http.StatusTooManyRequests {
						if retry == "" {
							t.Errorf("request %d: 429 without Retry-After", i)
						}
						return i
					}
					if code != other {
						t.Fatalf("request %d: %d, want %d or 429", i, code, other)
					}
				}
				return 0
			}
			// Reads first: past its failures an address's token not yet
			// known good is 429 too.
			good := func(int) string { return tok }
			if got := first(10, good, http.StatusOK); got != c.readLimit {
				t.Errorf("read_rate %s, read_burst 1: 10 reads of one terminal, the first 429 is number %d, want %d (0: none)",
					c.readRate, got, c.readLimit)
			}
			bad := func(i int) string { return fmt.Sprintf("mkt_%s%04d", strings.Repeat("x", 39), i) }
			if got := first(100, bad, http.StatusUnauthorized); got != c.failLimit {
				t.Errorf("auth_failures_per_addr %s: 100 failed authentications from one address, the first 429 is number %d, want %d (0: none)",
					c.failures, got, c.failLimit)
			}
		})
	}
}
