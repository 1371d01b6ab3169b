package hub

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// DefaultUploadRate and DefaultUploadBurst are the per-terminal limit of
// uploads over time (upload_rate, upload_burst; ServerOptions.UploadRate):
// a token bucket of DefaultUploadBurst uploads refilled at
// DefaultUploadRate a second. Measured (docs/operations.md, "Limits"):
// `markd sync` catching up sends its batches of 2000 records back to
// back, two in flight, about 5.5 requests a second on a 2-core collector
// (20 000 records in 2.0 s); with sync.batch_size 100 about 50 a second.
// A catch-up of the default batch size is under a third of the rate and
// its first 200 requests (400 000 records, weeks of a busy counter) go on
// the burst alone; a counter over it is answered 429 with Retry-After and
// waits it out.
const (
	DefaultUploadRate  = 20.0
	DefaultUploadBurst = 200
)

// tooFast answers an upload over the terminal's rate: 429 with
// Retry-After (whole seconds, at least 1), which a counter waits out as
// it does a 503.
func (s *Server) tooFast(w http.ResponseWriter, terminal string, wait time.Duration, log int) int {
	s.limited.WithLabelValues("rate").Inc()
	if log > 0 {
		s.log.Warn("uploads of a terminal over its rate: answered 429", "terminal", terminal, "refused", log,
			"upload_rate", s.uploads.Rate(), "upload_burst", s.uploads.Burst(),
			"hint", "a counter in a loop or a token used elsewhere; markd catching up waits Retry-After and goes on")
	}
	return s.retryLater(w, wait,
		fmt.Sprintf("terminal %s sent more than %s uploads a second (a burst of %d) to this collector", terminal,
			strconv.FormatFloat(s.uploads.Rate(), 'f', -1, 64), s.uploads.Burst()),
		"wait Retry-After seconds (markd does); the collector's upload_rate and upload_burst set the limit")
}

// retryLater answers 429 too_many, saying msg and hint, with Retry-After:
// wait in whole seconds, at least 1, which a counter waits out as it does
// a 503.
func (s *Server) retryLater(w http.ResponseWriter, wait time.Duration, msg, hint string) int {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return s.writeJSON(w, http.StatusTooManyRequests, ErrorResponse{Code: "too_many", Error: msg, Hint: hint})
}
