package httperr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"markd/mark"
)

// TestWrite: one writer for every server: a client error's text and hint
// go to the client once, a server error's details only to the log, and the
// answer is JSON, an HTML page or plain text as the client asks.
func TestWrite(t *testing.T) {
	secret := errors.New("open /var/lib/markd/markd.db: disk I/O error")
	tests := []struct {
		name, path, accept string
		text, gone         bool // gone: the client went away before the answer
		err                error
		code               int
		kind               string // json, html, text
		body, hint, logged string
	}{
		{"invalid json", "/api/scans", "", false, false, mark.WithHint(fmt.Errorf("field to: %w", mark.ErrInvalid), "use YYYY-MM-DD"),
			400, "json", "field to: invalid", "use YYYY-MM-DD", "request refused"},
		{"internal json", "/api/scans", "", false, false, fmt.Errorf("list: %w", secret), 500, "json", "internal error", "", "request failed"},
		{"unavailable", "/api/scans", "", false, false, mark.WithHint(fmt.Errorf("save: %w: %w", mark.ErrUnavailable, secret), "free disk space"),
			503, "json", "temporarily unavailable; retry later", "free disk space", "request failed"},
		{"html page", "/review", "text/html", true, false, fmt.Errorf("record 7: %w", mark.ErrNotFound), 404, "html", "record 7: not found", "", "request refused"},
		{"plain text", "/review", "", true, false, mark.WithHint(fmt.Errorf("x: %w", mark.ErrConflict), "reload"), 409, "text", "x: conflict", "reload", "request refused"},
		{"api path is json", "/api/x", "text/plain", true, false, mark.ErrForbidden, 403, "json", "forbidden", "", "request refused"},
		{"client gone", "/operator/recent", "", false, true, mark.WithHint(fmt.Errorf("list: %w: %w: %w", mark.ErrUnavailable, context.Canceled, secret), "free disk space"),
			503, "json", "temporarily unavailable; retry later", "free disk space", "request abandoned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			wr := Writer{Log: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})), Text: tt.text,
				HTML: func(w http.ResponseWriter, _ *http.Request, code int, b Body, _ error) {
					w.WriteHeader(code)
					fmt.Fprintf(w, "<p>%s</p><p>%s</p>", b.Error, b.Hint)
				}}
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.gone {
				ctx, cancel := context.WithCancel(req.Context())
				cancel()
				req = req.WithContext(ctx)
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			w := httptest.NewRecorder()
			if code := wr.Write(w, req, tt.err); code != tt.code || w.Code != tt.code {
				t.Fatalf("status %d (returned %d), want %d", w.Code, code, tt.code)
			}
			out := w.Body.String()
			switch tt.kind {
			case "json":
				var b Body
				if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
					t.Fatalf("not JSON: %q", out)
				}
				if b.Error != tt.body || b.Hint != tt.hint || b.Code != Code(tt.code) {
					t.Errorf("body %+v, want error %q hint %q", b, tt.body, tt.hint)
				}
			case "html":
				if !strings.HasPrefix(out, "<p>"+tt.body+"</p>") {
					t.Errorf("page %q", out)
				}
			case "text":
				if out != tt.body+"\nhint: "+tt.hint+"\n" {
					t.Errorf("text %q", out)
				}
			}
			if strings.Contains(out, "/var/lib") {
				t.Errorf("internal details sent: %q", out)
			}
			if tt.hint != "" && strings.Count(out, tt.hint) != 1 {
				t.Errorf("hint %q not exactly once in %q", tt.hint, out)
			}
			lg := logBuf.String()
			if want := tt.code >= 500 && !tt.gone; want != strings.Contains(lg, "level=ERROR") {
				t.Errorf("log %q: level error %v, want it for a server error of a client still there", lg, !want)
			}
			if !strings.Contains(lg, tt.logged) || (tt.code >= 500 && !strings.Contains(lg, "/var/lib")) {
				t.Errorf("log %q, want %q with the details", lg, tt.logged)
			}
		})
	}
}
