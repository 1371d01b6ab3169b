package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"markd/internal/httperr"
	"markd/mark"
)

// The budget of batch writes (Server.writes) is a token bucket per holder (open,
// list, close, cancel: POST /api/batches…): WriteBurst at once, then
// WriteLimit a minute. A holder is an API token ("api:NAME") or a
// logged-in user (Actor). Scans (POST /api/scans) take none of it: they
// are the counter's work, judged and recorded one by one as a scanner's
// are (which have no limit either), each bounded to 16 KiB; a limit a
// cash desk sending a customer's hundreds of letters, or its backlog
// after an outage, could reach would hold customers at the counter.
// A batch write may store a list of 100 000 items that a cancel keeps.
// The buckets are a tokenbucket.Set keyed by holder.

// maxIdleBuckets: past this many holders, full buckets (holders idle
// long enough to have their whole burst back) are dropped.
const maxIdleBuckets = 1024

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
	ok, wait, logN := s.writes.Take(actor)
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
