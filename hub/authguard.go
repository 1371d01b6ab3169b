package hub

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"markd/mark"
)

// DefaultAuthFailuresPerAddr is how many failed token authentications a
// minute one remote address may make (auth_failures_per_addr; a bucket of
// as many, refilled over the minute); past it a request of that address
// with a token not known good is answered 429 before any store lookup. A
// counter with a wrong token fails once per sync attempt, seconds apart
// at the fastest: 60 is far above that and above a shop of counters
// behind one NAT address all with stale tokens, and still bounds what a
// guesser costs the store to one lookup a second per address. Behind a
// proxy every terminal has the proxy's address: set 0 there (the hub
// has no trusted-proxy setting and does not read forwarded addresses).
const DefaultAuthFailuresPerAddr = 60

const (
	// maxTokenLen bounds a bearer token looked up: markhub's are 47
	// bytes (mkt_ and 43 base64url characters).
	maxTokenLen = 256
	// unknownTTL is how long a token hash the store did not know is
	// answered 401 without asking it again. A token is stored before
	// markhub terminal add/token prints it, so no counter can send a new
	// token before the store knows it; a token cached unknown cannot
	// become good within the minute.
	unknownTTL = time.Minute
	// maxUnknown and maxAuthAddrs bound the negative cache and the
	// per-address buckets: a flood of distinct tokens or addresses does
	// not grow memory past them.
	maxUnknown   = 4096
	maxAuthAddrs = 4096
)

// authGuard makes a made-up bearer token cheap: its form is checked
// before the store (tokenForm), a hash the store did not know is
// answered from a bounded cache for unknownTTL, and the failed lookups of
// one remote address are a token bucket (perMin a minute); an address
// with none left gets 429 without a lookup.
type authGuard struct {
	perMin float64 // failures a minute per address; 0: no limit
	now    func() time.Time

	mu      sync.Mutex
	unknown map[string]time.Time // token hash → until
	addrs   map[string]*bucket   // remote host → failed lookups left
	// overflow is the one bucket all addresses share once maxAuthAddrs
	// are tracked: fail closed, a flood from many addresses is still
	// bounded.
	overflow     *bucket
	addrSwept    time.Time // the last sweeps of addrs and unknown
	unknownSwept time.Time
}

func newAuthGuard(perMin float64, now func() time.Time) *authGuard {
	return &authGuard{perMin: perMin, now: now, unknown: map[string]time.Time{}, addrs: map[string]*bucket{}}
}

// tokenForm refuses a token that no markhub made nor any test harness
// could: empty, longer than maxTokenLen, or with a character outside
// RFC 6750's b64token (letters, digits, -._~+/ and trailing =). It does
// not require markhub's mkt_ form, so tokens of any earlier form still
// work.
func tokenForm(tok string) error {
	if len(tok) > maxTokenLen {
		return fmt.Errorf("bearer token of %d bytes, longer than any terminal token (%d at most): %w", len(tok), maxTokenLen, mark.ErrUnauthorized)
	}
	end := len(tok)
	for end > 0 && tok[end-1] == '=' {
		end--
	}
	if end == 0 {
		return fmt.Errorf("bearer token is empty: %w", mark.ErrUnauthorized)
	}
	for i := 0; i < end; i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return fmt.Errorf("bearer token holds byte 0x%02X at %d, which no terminal token holds (letters, digits, -._~+/ and trailing =): %w", c, i+1, mark.ErrUnauthorized)
		}
	}
	return nil
}

// refill brings b to now and returns it (caller holds mu).
func (g *authGuard) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(g.perMin, b.tokens+d.Minutes()*g.perMin)
	}
	b.at = now
}

// addrBucket is host's bucket, made full on first use. Past
// maxAuthAddrs the full ones (no failures left to remember) are dropped,
// at most once a second (a sweep is linear); if none is, host shares the
// overflow bucket (caller holds mu).
func (g *authGuard) addrBucket(host string, now time.Time) *bucket {
	b := g.addrs[host]
	if b == nil && len(g.addrs) >= maxAuthAddrs && now.Sub(g.addrSwept) >= time.Second {
		g.addrSwept = now
		for h, b := range g.addrs {
			if g.refill(b, now); b.tokens >= g.perMin {
				delete(g.addrs, h)
			}
		}
	}
	switch {
	case b != nil:
	case len(g.addrs) >= maxAuthAddrs:
		if b = g.overflow; b == nil {
			b = &bucket{tokens: g.perMin, at: now}
			g.overflow = b
		}
	default:
		b = &bucket{tokens: g.perMin, at: now}
		g.addrs[host] = b
	}
	g.refill(b, now)
	return b
}

// admit is asked before a token lookup: whether the hash is cached
// unknown, and how long host must wait when it has no failed lookups
// left (0: look up).
func (g *authGuard) admit(host, hash string) (cached bool, wait time.Duration) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if until, ok := g.unknown[hash]; ok {
		if now.Before(until) {
			return true, 0
		}
		delete(g.unknown, hash)
	}
	if g.perMin <= 0 {
		return false, 0
	}
	if b := g.addrBucket(host, now); b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / g.perMin * float64(time.Minute))
	}
	return false, 0
}

// failed notes a lookup the store did not know: one failure of host, and
// hash cached unknown for unknownTTL.
func (g *authGuard) failed(host, hash string) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.unknown) >= maxUnknown && now.Sub(g.unknownSwept) >= time.Second {
		g.unknownSwept = now
		for h, until := range g.unknown {
			if !now.Before(until) {
				delete(g.unknown, h)
			}
		}
	}
	for h := range g.unknown { // still full: drop any one
		if len(g.unknown) < maxUnknown {
			break
		}
		delete(g.unknown, h)
	}
	g.unknown[hash] = now.Add(unknownTTL)
	if g.perMin > 0 {
		b := g.addrBucket(host, now)
		b.tokens = math.Max(0, b.tokens-1)
	}
}

// requestHost is the remote IP of r (its whole RemoteAddr without a port).
func requestHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// authTooFastError is a token lookup refused for the failures of its
// address: answered 429 with Retry-After (authTooFast).
type authTooFastError struct {
	host string
	wait time.Duration
}

func (e *authTooFastError) Error() string {
	return fmt.Sprintf("address %s is over its failed token authentications", e.host)
}

// authTooFast answers a request of an address over its failed
// authentications: 429 with Retry-After, counted, logged at most once a
// minute.
func (s *Server) authTooFast(w http.ResponseWriter, e *authTooFastError) int {
	s.authRefused.WithLabelValues("addr_limit").Inc()
	s.authLogMu.Lock()
	var n int
	if now := s.guard.now(); now.Sub(s.authLogged) >= time.Minute {
		n, s.authUnlogged, s.authLogged = s.authUnlogged+1, 0, now
	} else {
		s.authUnlogged++
	}
	s.authLogMu.Unlock()
	per := strconv.FormatFloat(s.guard.perMin, 'f', -1, 64)
	if n > 0 {
		s.log.Warn("token authentications of an address over auth_failures_per_addr: answered 429 without a store lookup",
			"remote", e.host, "auth_failures_per_addr", per, "refused_since_last_line", n,
			"hint", "a token guesser, or counters with stale tokens; behind a proxy every terminal has its address: set auth_failures_per_addr: 0 there")
	}
	return s.retryLater(w, e.wait, fmt.Sprintf("address %s sent more than %s unknown terminal tokens a minute to this collector", e.host, per),
		"wait Retry-After seconds and put the terminal's current token into the counter's sync.token_file (markhub terminal token NAME prints a new one)")
}

// credentials finds the terminal of a request's client certificate or
// bearer token.
func (s *Server) credentials(r *http.Request) (Terminal, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.timeouts.Check)
	defer cancel()
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		cert := r.TLS.PeerCertificates[0]
		cn := cert.Subject.CommonName
		t, err := s.store.Terminal(ctx, cn)
		if errors.Is(err, mark.ErrNotFound) {
			return Terminal{}, mark.WithHint(fmt.Errorf("client certificate %q: no such terminal: %w", cn, mark.ErrForbidden),
				"register it with: markhub terminal add "+cn+" --office N")
		}
		if err == nil && t.CertSHA256 != "" && CertSHA256(cert.Raw) != t.CertSHA256 {
			return Terminal{}, mark.WithHint(fmt.Errorf("client certificate %q (sha256 %s) is not the one terminal %s was readmitted with: %w",
				cn, CertSHA256(cert.Raw), cn, mark.ErrForbidden),
				"admit the terminal's new certificate with: markhub terminal readmit "+cn+" --cert FILE")
		}
		return t, err
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return Terminal{}, mark.WithHint(fmt.Errorf("no bearer token or client certificate: %w", mark.ErrUnauthorized),
			"the counter's sync.token_file holds the token markhub terminal add NAME --office N printed (or set sync.client_cert)")
	}
	// A token replaced (markhub terminal token), mistyped, or of another
	// collector: the counter's engineer puts the current one into its
	// token_file.
	const unknownHint = "put the terminal's current token into the counter's sync.token_file: markhub terminal token NAME prints a new one (the old one stops working)"
	token = strings.TrimSpace(token)
	if err := tokenForm(token); err != nil {
		s.authRefused.WithLabelValues("form").Inc()
		return Terminal{}, mark.WithHint(err, unknownHint)
	}
	hash, host := HashToken(token), requestHost(r)
	cached, wait := s.guard.admit(host, hash)
	if cached {
		s.authRefused.WithLabelValues("cached").Inc()
		return Terminal{}, mark.WithHint(fmt.Errorf("unknown terminal token: %w", mark.ErrUnauthorized), unknownHint)
	}
	if wait > 0 {
		return Terminal{}, &authTooFastError{host: host, wait: wait}
	}
	t, err := s.store.TerminalByTokenHash(ctx, hash)
	if errors.Is(err, mark.ErrNotFound) {
		s.authRefused.WithLabelValues("unknown").Inc()
		s.guard.failed(host, hash)
		return Terminal{}, mark.WithHint(fmt.Errorf("unknown terminal token: %w", mark.ErrUnauthorized), unknownHint)
	}
	return t, err
}

// bucket is an address's failed lookups left and when they were counted.
type bucket struct {
	tokens float64
	at     time.Time
}
