package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"markd/mark"
)

// IdempotencyHeader names one scan a program may send more than once (a
// retry after a timeout): the second and later are answered with the
// record of the first (docs/local-api.md "Retries").
const IdempotencyHeader = "Idempotency-Key"

// maxKeyLen bounds an Idempotency-Key (a UUID is 36 characters).
const maxKeyLen = 200

// requestKey reads the Idempotency-Key of r: "" when there is none; a key
// that is not 1 to maxKeyLen visible ASCII characters, or more than one
// key, is mark.ErrInvalid.
func requestKey(r *http.Request) (string, error) {
	ks := r.Header.Values(IdempotencyHeader)
	if len(ks) > 1 {
		return "", mark.WithHint(fmt.Errorf("%s sent %d times: %w", IdempotencyHeader, len(ks), mark.ErrInvalid),
			"send one key per request")
	}
	k := r.Header.Get(IdempotencyHeader)
	if k == "" {
		return "", nil
	}
	ok := len(k) <= maxKeyLen
	for i := 0; ok && i < len(k); i++ {
		ok = k[i] > ' ' && k[i] < 0x7f
	}
	if !ok {
		return "", mark.WithHint(fmt.Errorf("%s %.40q: %w", IdempotencyHeader, k, mark.ErrInvalid),
			fmt.Sprintf("a key is 1 to %d visible ASCII characters, no spaces: a UUID, or the desk and a number", maxKeyLen))
	}
	return k, nil
}

// scanFingerprint tells the scans sent under one key apart.
func scanFingerprint(req ScanRequest) string {
	h := sha256.New()
	for _, f := range []string{req.Text, strconv.Itoa(req.WeightG), req.Batch, req.Source, strconv.Itoa(req.Length)} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keyLocks holds one lock per key in use, so tries of one scan in flight
// at once are answered one after the other: the first judges, the others
// find its record.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int
}

// lock takes the lock of key and returns its release.
func (k *keyLocks) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// replayScan answers a scan sent again under key with the record of the
// first; false when the key is new (the caller judges the scan).
// sc is the scan as it would be judged: a refusal names its text,
// counter, office and source.
func (s *Server) replayScan(w http.ResponseWriter, r *http.Request, actor, key string, req ScanRequest, sc mark.Scan) bool {
	prev, err := s.opt.Store.LookupRequest(r.Context(), actor, key)
	if errors.Is(err, mark.ErrNotFound) {
		return false
	}
	if err == nil && prev.Fingerprint != scanFingerprint(req) {
		err = mark.WithHint(fmt.Errorf("%s %q was sent with another scan (record %s): %w", IdempotencyHeader, key, prev.RecordID, mark.ErrConflict),
			"a key names one scan: send a new key for a new scan")
	}
	var rec mark.Record
	if err == nil {
		rec, err = s.opt.Store.Get(r.Context(), prev.RecordID)
	}
	if err != nil {
		refused := mark.Record{Office: s.opt.Office, Counter: sc.Counter, Source: sc.Source, Text: sc.Text,
			MeasuredWeightG: sc.MeasuredWeightG, Batch: sc.Batch}
		if s.opt.Versions != nil {
			refused.Versions = s.opt.Versions()
		}
		s.scanFailed(w, r, refused, err)
		return true
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeJSON(w, http.StatusOK, scanResult(rec))
	return true
}
