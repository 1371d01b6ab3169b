// Package sync is the counter's side of the collector markhub: an uploader
// that drains the store's outbox (records not yet uploaded, review
// decisions) in batches with backoff, and records the reuse alerts the
// collector answers; a poller that fetches signed keyring/tariff/revocation
// bundles, checks them against the pinned distribution key, applies them
// atomically and keeps the last good ones on disk; and Freshness, which says
// how old the lists in force are.
//
// The outbox is the store itself (scans.upload_state and the audit table),
// so the counter accepts scans whatever the collector does, and a restart
// resumes where the last confirmed upload ended. A record is marked uploaded
// only after a 2xx; the collector ignores records it already has, so a
// connection that dies after the collector committed costs one repeated
// request, never a duplicate.
package sync

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"markd/bundle"
	"markd/hub"
	"markd/internal/secretfile"
	"markd/mark"
)

// ClientOptions say where the collector is and how to authenticate.
type ClientOptions struct {
	URL        string // base URL, https (http only on loopback: config validation enforces it)
	Token      string // bearer token
	TokenFile  string // or a file holding it
	ClientCert string // PEM files for mTLS instead of a token
	ClientKey  string
	CA         string        // PEM CA bundle for the collector's certificate ("" = system roots)
	Timeout    time.Duration // whole request, body included; default 60s
	// ConnectTimeout bounds the TCP connect and, again, the TLS handshake;
	// default 5s. ResponseTimeout bounds the wait for the answer's headers
	// once the request is sent; default 30s (the collector gives up its
	// own store calls after db_timeout, 10s by default).
	ConnectTimeout  time.Duration
	ResponseTimeout time.Duration
	// Proxy is the forward proxy to the collector (sync.proxy): an
	// http:// or https:// URL, optionally with user:password; "" = the
	// environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; a collector on
	// loopback is reached directly), and without HTTPS_PROXY, on Windows,
	// the machine's WinHTTP proxy (netsh winhttp set proxy); ProxyNone = straight to the
	// collector. A plain-http collector (loopback only) is never reached
	// through a proxy. An https collector is reached through a CONNECT tunnel,
	// so its certificate, sync.ca and the client certificate work as
	// without a proxy.
	Proxy string
}

// Client talks to the collector's API (docs/api.md).
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	cert  *x509.Certificate // the client certificate's leaf, nil with a token
	proxy ProxyChoice       // the way to the collector (LogProxy)
	// Clock measures the counter's clock against the collector's on every
	// answer and gives the counter's time; nil = time.Now, no measurement.
	Clock *Clock
}

// NewClient checks the options and loads the credentials.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("sync url %q: not an http(s) URL: %w", o.URL, mark.ErrInvalid)
	}
	c := &Client{base: u, token: o.Token}
	if c.token == "" && o.TokenFile != "" {
		b, err := secretfile.Read(o.TokenFile, "sync token_file")
		if err != nil {
			return nil, err
		}
		c.token = strings.TrimSpace(string(b))
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	// an https proxy's certificate: the system's CAs and sync.ca's
	proxyTLS := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CA != "" {
		pem, err := os.ReadFile(o.CA)
		if err != nil {
			return nil, fmt.Errorf("sync ca: %w: %v", mark.ErrInvalid, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("sync ca %s: no PEM certificate: %w", o.CA, mark.ErrInvalid)
		}
		tc.RootCAs = pool
		if sys, err := x509.SystemCertPool(); err == nil {
			sys.AppendCertsFromPEM(pem)
			proxyTLS.RootCAs = sys
		} else {
			proxyTLS.RootCAs = pool
		}
	}
	if o.ClientCert != "" || o.ClientKey != "" {
		if err := secretfile.Check(o.ClientKey, "sync client_key"); err != nil {
			return nil, err
		}
		cert, err := tls.LoadX509KeyPair(o.ClientCert, o.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("sync client_cert/client_key: %w: %v", mark.ErrInvalid, err)
		}
		tc.Certificates = []tls.Certificate{cert}
		c.cert = cert.Leaf
	}
	if c.token == "" && len(tc.Certificates) == 0 {
		return nil, mark.WithHint(fmt.Errorf("sync: no token and no client certificate: %w", mark.ErrInvalid),
			"set sync.token, sync.token_file or sync.client_cert/client_key (markhub terminal add NAME prints a token)")
	}
	connect := cmp.Or(max(o.ConnectTimeout, 0), 5*time.Second)
	route := &proxyRoute{tls: proxyTLS, timeout: connect,
		dial: (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext}
	proxy, err := route.proxy(o.Proxy)
	if err != nil {
		return nil, err
	}
	if c.proxy, err = ResolveProxy(o.Proxy, o.URL); err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                  proxy,
		OnProxyConnectResponse: proxyConnect,
		DialContext:            route.DialContext,
		TLSClientConfig:        tc,
		TLSHandshakeTimeout:    connect,
		ResponseHeaderTimeout:  cmp.Or(max(o.ResponseTimeout, 0), 30*time.Second),
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConnsPerHost:    inflight + 2,
		ForceAttemptHTTP2:      true,
	}
	// A redirect is not followed: it would carry the token (and, for 307
	// and 308, the records) to a host sync.url does not name, and turn
	// the POST of a 301 or 302 into a GET whose answer says nothing of
	// the records. The 3xx is the answer (StatusError naming Location).
	c.http = &http.Client{Transport: tr, Timeout: cmp.Or(max(o.Timeout, 0), 60*time.Second),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c, nil
}

// Proxy is the way the client takes to the collector: through which
// proxy, set where.
func (c *Client) Proxy() ProxyChoice { return c.proxy }

// LogProxy logs the way to the collector, once at start: the proxy's
// host:port ("direct", or "none" for sync.proxy: none; never a
// password) and the setting that chose it (sync.proxy, HTTPS_PROXY,
// WinHTTP; "none" when nothing is set). A machine setting that cannot
// be read is a warning.
func (c *Client) LogProxy(log *slog.Logger) {
	p := c.proxy
	args := []any{"collector", c.base.Host, "proxy", p.Label(), "proxy_source", cmp.Or(p.Source, "none")}
	if p.Direct != "" {
		args = append(args, "direct_because", p.Direct)
	}
	if p.Problem != "" {
		log.Warn("the way to the collector: the machine's proxy setting cannot be read, uploads go straight to the collector", append(args, "problem", p.Problem)...)
		return
	}
	log.Info("the way to the collector", args...)
}

func (c *Client) now() time.Time {
	if c.Clock != nil {
		return c.Clock.Now()
	}
	return time.Now()
}

// CertExpiredError is a request that failed while the client certificate
// is past its NotAfter by the counter's clock: not an outage, the
// certificate must be renewed. It is mark.ErrUnauthorized.
type CertExpiredError struct {
	Subject  string
	NotAfter time.Time
	Err      error
}

func (e *CertExpiredError) Error() string {
	return fmt.Sprintf("client certificate %q expired on %s: renew it (the collector refuses it): %v",
		e.Subject, e.NotAfter.UTC().Format("2006-01-02 15:04 MST"), e.Err)
}

// Unwrap makes it mark.ErrUnauthorized and keeps the cause.
func (e *CertExpiredError) Unwrap() []error { return []error{mark.ErrUnauthorized, e.Err} }

// CertExpired says when the client certificate expires or expired, and
// whether it has by the counter's clock (false without a certificate).
func (c *Client) CertExpired() (notAfter time.Time, expired bool) {
	if c.cert == nil {
		return time.Time{}, false
	}
	return c.cert.NotAfter, c.now().After(c.cert.NotAfter)
}

// UntrustedCollectorError is a collector whose TLS certificate the counter
// does not trust (another CA than sync.ca, expired, for another name: a
// certificate changed, a proxy presenting its own): nothing is sent to
// it. Not an outage that waiting mends: it is mark.ErrUnauthorized (so
// `markd sync --once` ends) and keeps the cause.
type UntrustedCollectorError struct {
	Host string
	Err  error
}

func (e *UntrustedCollectorError) Error() string {
	return fmt.Sprintf("collector %s: its TLS certificate is not trusted (check sync.ca): %v", e.Host, e.Err)
}

// Unwrap makes it mark.ErrUnauthorized and keeps the cause.
func (e *UntrustedCollectorError) Unwrap() []error { return []error{mark.ErrUnauthorized, e.Err} }

// StatusError is a non-2xx answer of the collector.
type StatusError struct {
	Code       int
	Body       hub.ErrorResponse
	RetryAfter time.Duration // from a 429's or 503's Retry-After (seconds or HTTP date); 0 = none
	Date       time.Time     // the collector's clock in its answer (Date header); zero = none
	// TakesReceiptCounts: the answer's hub.HeaderTakes named the batch
	// receipt counts (a collector rolled back to an older version does
	// not, and refuses them).
	TakesReceiptCounts bool
	// TakesAtOffset: the answer's hub.HeaderTakes named a record's
	// at_offset (hub.TakesAtOffset).
	TakesAtOffset bool
	// TakesZoneData: the answer's hub.HeaderTakes named a record's
	// at_zone_data (hub.TakesZoneData).
	TakesZoneData bool
	// Location is where a 3xx answer pointed (not followed).
	Location string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("collector answered %d", e.Code)
	if e.Code/100 == 3 {
		return s + " redirecting to " + cmp.Or(e.Location, "(no Location)") +
			": not followed (the token and records go only where sync.url points); set sync.url to the collector's address"
	}
	if e.Body.Field != "" {
		s += " on " + e.Body.Field
	}
	if e.Body.Error != "" {
		s += ": " + e.Body.Error
	}
	return s
}

// Unwrap maps the status to the sentinels of mark.
func (e *StatusError) Unwrap() error {
	switch {
	case e.Code/100 == 3:
		return ErrNotCollector
	case e.Code == http.StatusUnauthorized:
		return mark.ErrUnauthorized
	case e.Code == http.StatusForbidden:
		return mark.ErrForbidden
	case e.Code == http.StatusConflict:
		return mark.ErrConflict
	case e.Code >= 500 || e.Code == http.StatusTooManyRequests:
		return mark.ErrUnavailable
	}
	return mark.ErrInvalid
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	return c.doHeader(ctx, method, path, body, nil)
}

func (c *Client) doHeader(ctx context.Context, method, path string, body []byte, header http.Header) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	tunnel := &tunnelNote{}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, tunnelKey{}, tunnel), method, c.base.String()+path, rd)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && req.Header.Get("Idempotency-Key") == "" {
		// Every request the counter sends may be sent twice (the collector
		// counts a record, an event or a batch it has as a duplicate); the
		// key tells net/http so: a POST written onto a kept-alive
		// connection the collector closed at that moment (a restart, an
		// idle limit in front of it) is sent again on a new one instead
		// of failing as an outage.
		req.Header.Set("Idempotency-Key", rand.Text())
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	sent := c.now()
	// The counter's time, so the collector can keep the skew per terminal.
	req.Header.Set("Date", sent.UTC().Format(http.TimeFormat))
	resp, err := c.http.Do(req)
	if err != nil {
		if pe := proxyFailure(err); pe != nil { // the proxy's, not the collector's
			return nil, pe
		}
		if pe := tunnel.dropped(c.base.Host, err); pe != nil { // an open tunnel closed before the collector said a word
			return nil, mark.WithHint(pe, pe.hint())
		}
		if notAfter, expired := c.CertExpired(); expired {
			return nil, &CertExpiredError{Subject: c.cert.Subject.CommonName, NotAfter: notAfter, Err: err}
		}
		if cve := (*tls.CertificateVerificationError)(nil); errors.As(err, &cve) {
			return nil, mark.WithHint(&UntrustedCollectorError{Host: c.base.Host, Err: cve},
				"the collector's certificate must be signed by the CA in sync.ca (the system's CAs when unset), be valid today by this counter's clock and name the host of sync.url; a proxy in between that presents its own certificate must be bypassed")
		}
		return nil, fmt.Errorf("collector %s: %w: %w", c.base.Host, mark.ErrUnavailable, err)
	}
	c.Clock.observe(sent, c.now(), resp.Header.Get("Date"))
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		se := &StatusError{Code: resp.StatusCode, TakesReceiptCounts: hub.Takes(resp.Header, hub.TakesReceiptCounts),
			TakesAtOffset: hub.Takes(resp.Header, hub.TakesAtOffset), TakesZoneData: hub.Takes(resp.Header, hub.TakesZoneData)}
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			se.Date = d
		}
		se.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), cmp.Or(se.Date, c.now()))
		if resp.StatusCode/100 == 3 {
			se.Location = resp.Header.Get("Location")
			if loc, err := resp.Location(); err == nil {
				se.Location = loc.String()
			}
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		se.Body = errorBody(raw)
		if se.Body.Hint != "" { // the collector's hint, logged once beside the error
			return nil, mark.WithHint(se, "collector: "+se.Body.Hint)
		}
		return nil, se
	}
	return resp, nil
}

// maxErrorBody is the most of an error answer read.
const maxErrorBody = 64 << 10

// errorBody reads the body of an error answer: markhub's JSON (every one
// has an error text), else a short line naming what answered instead (a
// proxy's page, a gateway's own JSON: {"code":"x"} without an error text
// said nothing, and a record set aside on it had no reason).
func errorBody(raw []byte) hub.ErrorResponse {
	var b hub.ErrorResponse
	if json.Unmarshal(raw, &b) != nil || b.Error == "" {
		return hub.ErrorResponse{Error: notMarkhub(raw)}
	}
	return b
}

// parseRetryAfter reads Retry-After in either form of RFC 9110: seconds,
// or an HTTP date, read against the answer's own Date (at), so a counter
// whose clock is off waits what was asked. 0 = none, unreadable or past.
func parseRetryAfter(v string, at time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(min(max(secs, 0), 366*24*3600)) * time.Second // capped later at max_backoff; no overflow
	}
	if t, err := http.ParseTime(v); err == nil && t.After(at) {
		return t.Sub(at)
	}
	return 0
}

// notMarkhub names an error answer that is not markhub's JSON (a proxy's
// HTML page, a load balancer's text) in one short line: the page's title
// when it has one, else its start with the white space folded.
func notMarkhub(raw []byte) string {
	text := string(raw)
	lower := strings.ToLower(text)
	if i := strings.Index(lower, "<title>"); i >= 0 {
		if j := strings.Index(lower[i:], "</title>"); j > 0 {
			text = text[i+len("<title>") : i+j]
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > 120 {
		text = string(r[:120]) + "…"
	}
	if text == "" {
		return "empty body, not from markhub (a proxy in between?)"
	}
	return fmt.Sprintf("%q, not from markhub (a proxy in between?)", text)
}

// Upload sends one batch. body is the encoded request (see Encode);
// waiting is how many records the outbox holds besides the batch, sent in
// the X-Outbox-Records header for the collector's fleet page (< 0: not
// known, not sent).
func (c *Client) Upload(ctx context.Context, body []byte, waiting int) (*hub.UploadResponse, error) {
	return c.upload(ctx, body, waiting, false)
}

// UploadAsking is Upload that also asks what the collector holds from
// this terminal (hub.HeaderTerminalState): the answer's Terminal, nil
// from a collector that does not know the header.
func (c *Client) UploadAsking(ctx context.Context, body []byte, waiting int) (*hub.UploadResponse, error) {
	return c.upload(ctx, body, waiting, true)
}

func (c *Client) upload(ctx context.Context, body []byte, waiting int, ask bool) (*hub.UploadResponse, error) {
	h := http.Header{}
	if waiting >= 0 {
		h.Set(hub.HeaderWaiting, strconv.Itoa(waiting))
	}
	if ask {
		h.Set(hub.HeaderTerminalState, "1")
	}
	resp, err := c.doHeader(ctx, http.MethodPost, "/v1/upload", body, h)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, hub.MaxBody))
	if err != nil {
		// The collector may have committed; the retry is harmless.
		return nil, fmt.Errorf("collector response: %w: %w", mark.ErrUnavailable, err)
	}
	out, err := uploadAnswer(raw)
	if err != nil {
		return nil, err
	}
	out.TakesReceiptCounts = hub.Takes(resp.Header, hub.TakesReceiptCounts)
	out.TakesAtOffset = hub.Takes(resp.Header, hub.TakesAtOffset)
	out.TakesZoneData = hub.Takes(resp.Header, hub.TakesZoneData)
	out.TakesQuestions = hub.Takes(resp.Header, hub.TakesQuestions)
	return out, nil
}

// uploadAnswer reads the body of a 2xx answer to an upload.
func uploadAnswer(raw []byte) (*hub.UploadResponse, error) {
	var out hub.UploadResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		// The collector may have committed; the retry is harmless.
		return nil, fmt.Errorf("collector response: %w: %w", mark.ErrUnavailable, err)
	}
	// "Stored" for stored is not markhub's answer: an outage, retried
	// (caseKey), before its keys are looked for below (which match any case)
	if err := caseKey(raw, "collector response", "POST /v1/upload", &out); err != nil {
		return nil, err
	}
	// Every markhub answers an upload with these, whatever it held: a
	// JSON answer without them ({} of a proxy or another service) is
	// not an acknowledgement, also of a request of decisions alone.
	var keys struct{ Stored, Duplicates, Events *json.RawMessage }
	if json.Unmarshal(raw, &keys) == nil {
		for _, k := range []struct {
			name string
			v    *json.RawMessage
		}{{"stored", keys.Stored}, {"duplicates", keys.Duplicates}, {"events", keys.Events}} {
			if k.v == nil {
				return nil, &UnconfirmedError{Sent: -1, Missing: k.name}
			}
		}
	}
	return &out, nil
}

// Bundle fetches the newest bundle if its version is above after; nil
// data means there is none newer.
func (c *Client) Bundle(ctx context.Context, after uint64) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/bundle?after="+strconv.FormatUint(after, 10), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, bundle.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("collector bundle: %w: %w", mark.ErrUnavailable, err)
	}
	if len(data) > bundle.MaxSize {
		return nil, fmt.Errorf("collector bundle larger than %d bytes: %w", bundle.MaxSize, mark.ErrInvalid)
	}
	return data, nil
}

// retryAfter is the wait an answer asked for (0 = none).
func retryAfter(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// isTooLarge reports a 413 answer.
func isTooLarge(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusRequestEntityTooLarge
}

// Serials fetches one page of the used serials of the terminal's office
// after the cursor (GET /v1/serials), to restore a new store's reuse
// history.
func (c *Client) Serials(ctx context.Context, after uint64) (*hub.SerialsPage, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/serials?after="+strconv.FormatUint(after, 10), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return serialsAnswer(resp.Body)
}

// serialsAnswer reads the body of a 2xx answer to GET /v1/serials
// (Restorer.restore checks the page against the cursor).
func serialsAnswer(body io.Reader) (*hub.SerialsPage, error) {
	var page hub.SerialsPage
	if err := decodeAnswer(body, "collector serials", "GET /v1/serials", &page); err != nil {
		return nil, err
	}
	return &page, nil
}
