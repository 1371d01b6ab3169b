package sync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestExpiredClientCertificate: the collector (real TLS, client CA) refuses
// an expired client certificate in the handshake. The counter does not
// take that for an outage: the error says when the certificate expired
// and to renew it, is mark.ErrUnauthorized (so `markd sync --once` ends),
// the operator light is named after it and /healthz reports it.
func TestExpiredClientCertificate(t *testing.T) {
	col, pki, srv := newMTLSCollector(t, "office-old")
	expiredAt := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	cert, key := pki.IssueUntil(t, "office-old", false, expiredAt)
	c, err := NewClient(ClientOptions{URL: srv.URL, CA: pki.CAFile, ClientCert: cert, ClientKey: key})
	if err != nil {
		t.Fatal(err)
	}
	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 900, day0)
	u := NewUploader(db, c, UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
	_, _, err = u.Once(context.Background(), true)
	var ce *CertExpiredError
	if !errors.As(err, &ce) || !errors.Is(err, mark.ErrUnauthorized) || !ce.NotAfter.Equal(expiredAt) {
		t.Fatalf("err = %v, want a CertExpiredError at %v", err, expiredAt)
	}
	if !strings.Contains(err.Error(), "expired on "+expiredAt.UTC().Format("2006-01-02")) || !strings.Contains(err.Error(), "renew") {
		t.Fatalf("message %q", err)
	}
	// Drain (markd sync --once) gives up at once instead of retrying forever.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := u.Drain(ctx); !errors.As(err, &ce) {
		t.Fatalf("Drain: %v", err)
	}
	if h := u.Health(); h.Up || !strings.HasPrefix(h.Name, "certificate expired on "+expiredAt.UTC().Format(time.DateOnly)) {
		t.Fatalf("operator light %+v", h)
	}
	if st := u.Status(context.Background()); !st.CertExpired || st.OK || st.BacklogRecords != 1 {
		t.Fatalf("status %+v", st)
	}
	if st := stats(t, col.store); st.Records != 0 {
		t.Fatalf("collector took %d records", st.Records)
	}
}

// TestDrainEndsOnRefusal: `markd sync --once` (Drain) ends with the error on
// 401 and 403 instead of retrying forever; a 503 it retries.
func TestDrainEndsOnRefusal(t *testing.T) {
	tests := []struct {
		name string
		code int
		want error
	}{{"401", http.StatusUnauthorized, mark.ErrUnauthorized}, {"403", http.StatusForbidden, mark.ErrForbidden}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(jsonAnswer(tt.code, `{"code":"x","error":"no"}`))
			t.Cleanup(srv.Close)
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 901, day0)
			u := NewUploader(db, newClient(t, srv.URL, "office-a"), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := u.Drain(ctx); !errors.Is(err, tt.want) {
				t.Fatalf("Drain: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestRetryAfter: a 503's Retry-After is the least wait before the next
// attempt (capped at MaxBackoff).
func TestRetryAfter(t *testing.T) {
	var hits []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits = append(hits, time.Now())
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	db := openCounter(t)
	u := NewUploader(db, newClient(t, srv.URL, "office-a"), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Minute}, quiet, nil)
	_, _, err := u.Once(context.Background(), true)
	if retryAfter(err) != time.Second {
		t.Fatalf("retry after %v from %v", retryAfter(err), err)
	}
	if w := u.failedAttempt(context.Background(), err); w < time.Second {
		t.Fatalf("wait %v, want at least the 1s asked for", w)
	}
	u.o.MaxBackoff = 10 * time.Millisecond
	if w := u.failedAttempt(context.Background(), err); w > 10*time.Millisecond {
		t.Fatalf("wait %v beyond max_backoff", w)
	}
}

// TestStampedAheadGoesAtOnce: a record stamped after the uploader's clock
// (a clock set back, or another clock at the scan) is due at once, not at
// the next heartbeat.
func TestStampedAheadGoesAtOnce(t *testing.T) {
	col := newCollector(t, "office-a")
	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 902, day0.Add(time.Hour))
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchAge: 5 * time.Second, Interval: time.Hour,
		Now: func() time.Time { return day0 }}, quiet, nil)
	u.lastBeat = day0 // the heartbeat is not due
	sent, _, err := u.Once(context.Background(), false)
	if err != nil || sent != 1 {
		t.Fatalf("sent %d, %v: a record stamped an hour ahead waited", sent, err)
	}
}
