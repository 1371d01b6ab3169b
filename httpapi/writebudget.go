package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"markd/internal/httperr"
	"markd/mark"
)

// writeBudget is the token bucket of each holder's batch writes (open,
// list, close, cancel: POST /api/batches…): WriteBurst at once, then
// WriteLimit a minute. A holder is an API token ("api:NAME") or a
// logged-in user (Actor). Scans (POST /api/scans) take none of it: they
// are the counter's work, judged and recorded one by one as a scanner's
// are (which have no limit either), each bounded to 16 KiB; a limit a
// cash desk sending a customer's hundreds of letters, or its backlog
// after an outage, could reach would hold customers at the counter.
// A batch write may store a list of 100 000 items that a cancel keeps.
type writeBudget struct {
	perSec float64 // 0: no limit
	burst  float64
	now    func() time.Time // elapsed time, not the office's business clock

	mu      sync.Mutex
	buckets map[string]*writeBucket
}

type writeBucket struct {
	tokens  float64
	at      time.Time
	logged  time.Time // when a refusal of this holder was last logged
	refused int       // refusals since
}

// maxIdleBuckets: past this many holders, full buckets (holders idle
// long enough to have their whole burst back) are dropped.
const maxIdleBuckets = 1024

// take spends one write of holder; when its bucket is empty it returns
// how long until the next write is taken and how many refusals to log
// now (the first, then at most a line a minute; 0: none).
func (b *writeBudget) take(holder string) (ok bool, wait time.Duration, log int) {
	if b == nil || b.perSec <= 0 {
		return true, 0, 0
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buckets == nil {
		b.buckets = map[string]*writeBucket{}
	}
	k := b.buckets[holder]
	if k == nil {
		if len(b.buckets) >= maxIdleBuckets {
			b.dropFull(now)
		}
		k = &writeBucket{tokens: b.burst, at: now}
		b.buckets[holder] = k
	}
	if d := now.Sub(k.at); d > 0 {
		k.tokens = math.Min(b.burst, k.tokens+d.Seconds()*b.perSec)
	}
	k.at = now
	if k.tokens >= 1 {
		k.tokens--
		return true, 0, 0
	}
	if k.refused++; now.Sub(k.logged) >= time.Minute {
		log, k.refused, k.logged = k.refused, 0, now
	}
	return false, time.Duration((1 - k.tokens) / b.perSec * float64(time.Second)), log
}

func (b *writeBudget) dropFull(now time.Time) {
	for h, k := range b.buckets {
		if k.tokens+now.Sub(k.at).Seconds()*b.perSec >= b.burst {
			delete(b.buckets, h)
		}
	}
}

// isBatchWrite is a request that changes a batch: every method but GET
// and HEAD under /api/batches (the routes take POST only).
func isBatchWrite(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead &&
		(r.URL.Path == "/api/batches" || strings.HasPrefix(r.URL.Path, "/api/batches/"))
}

// holderName is how an error names the holder of a budget.
func holderName(actor string) string {
	if name, ok := strings.CutPrefix(actor, "api:"); ok {
		return "API token " + strconv.Quote(name)
	}
	return "user " + strconv.Quote(actor)
}

// spendWrite takes a batch write of the request's holder from its
// budget, or answers 429 too_many with Retry-After (whole seconds, at
// least 1) and returns false. A request without a holder (none reaches
// the batch routes: the pages' front asks a token or a login first) is
// not limited.
func (s *Server) spendWrite(w http.ResponseWriter, r *http.Request) bool {
	actor := Actor(r.Context())
	if actor == "" || !isBatchWrite(r) {
		return true
	}
	ok, wait, logN := s.writes.take(actor)
	if ok {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	who := holderName(actor)
	if logN > 0 {
		s.log.Warn("batch writes refused: over the holder's budget", "holder", who, "refused_since_last_line", logN,
			"api.write_burst", s.opt.WriteBurst, "api.write_limit", s.opt.WriteLimit)
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.fail(w, r, mark.WithHint(fmt.Errorf("%s has made more batch writes (open, list, close, cancel) than it may: %d at once, then %d a minute (api.write_burst, api.write_limit): %w",
		who, s.opt.WriteBurst, s.opt.WriteLimit, httperr.ErrTooMany),
		fmt.Sprintf("send it again after %d s (Retry-After); scans are not limited", secs)))
	return false
}
