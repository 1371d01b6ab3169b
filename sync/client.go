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
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"markd/bundle"
	"markd/hub"
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
	Timeout    time.Duration // per request; default 60s
}

// Client talks to the collector's API (docs/api.md).
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// NewClient checks the options and loads the credentials.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("sync url %q: not an http(s) URL: %w", o.URL, mark.ErrInvalid)
	}
	c := &Client{base: u, token: o.Token}
	if c.token == "" && o.TokenFile != "" {
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("sync token_file: %w: %v", mark.ErrInvalid, err)
		}
		c.token = strings.TrimSpace(string(b))
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
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
	}
	if o.ClientCert != "" || o.ClientKey != "" {
		cert, err := tls.LoadX509KeyPair(o.ClientCert, o.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("sync client_cert/client_key: %w: %v", mark.ErrInvalid, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if c.token == "" && len(tc.Certificates) == 0 {
		return nil, mark.WithHint(fmt.Errorf("sync: no token and no client certificate: %w", mark.ErrInvalid),
			"set sync.token, sync.token_file or sync.client_cert/client_key (markhub terminal add NAME prints a token)")
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.Proxy = nil
	c.http = &http.Client{Transport: tr, Timeout: timeout}
	return c, nil
}

// StatusError is a non-2xx answer of the collector.
type StatusError struct {
	Code int
	Body hub.ErrorResponse
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("collector answered %d", e.Code)
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
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("collector %s: %w: %w", c.base.Host, mark.ErrUnavailable, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		se := &StatusError{Code: resp.StatusCode}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(raw, &se.Body) != nil {
			se.Body.Error = strings.TrimSpace(string(raw))
		}
		return nil, se
	}
	return resp, nil
}

// Upload sends one batch. body is the encoded request (see Encode).
func (c *Client) Upload(ctx context.Context, body []byte) (*hub.UploadResponse, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/upload", body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out hub.UploadResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, hub.MaxBody)).Decode(&out); err != nil {
		// The collector may have committed; the retry is harmless.
		return nil, fmt.Errorf("collector response: %w: %w", mark.ErrUnavailable, err)
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

// isTooLarge reports a 413 answer.
func isTooLarge(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusRequestEntityTooLarge
}
