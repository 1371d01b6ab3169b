package docs_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"markd/httpapi"
	"markd/hub"
	"markd/hub/hubweb"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/store"
	"markd/web"
)

// routers builds the route tables of the two programs from their real
// servers (each on a real store in a temp folder): markd's pages and its
// API (web, httpapi), markhub's API and regional pages (hub, hubweb). The
// pages' catch-alls (the page of a path nothing else takes, the pages'
// fallback to the API) are left out: a path only they take is no route.
func routers(t *testing.T) map[string]router {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Create(ctx, filepath.Join(dir, "markd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pages, err := web.New(web.Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := sqlitestore.Open(ctx, filepath.Join(dir, "markhub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Close() })
	regional, err := hubweb.New(hubweb.Options{Store: hs})
	if err != nil {
		t.Fatal(err)
	}
	api := hub.NewServer(hs, hub.ServerOptions{Registry: prometheus.NewRegistry()}) // as markhub serve: /metrics too
	tables := map[string][]string{
		"markd":   append(pages.Routes(), httpapi.New(httpapi.Options{}).Routes()...),
		"markhub": append(api.Routes(), regional.Routes()...),
	}
	out := map[string]router{}
	for prog, patterns := range tables {
		r := router{mux: http.NewServeMux()}
		for _, p := range patterns {
			if p == "/" || p == "GET /" {
				continue
			}
			if err := register(r.mux, p); err != nil {
				t.Fatalf("%s: route %q: %v", prog, p, err)
			}
			r.patterns = append(r.patterns, p)
		}
		if len(r.patterns) < 20 {
			t.Fatalf("%s: %d routes: the table looks empty: %v", prog, len(r.patterns), r.patterns)
		}
		out[prog] = r
	}
	return out
}

// router is one program's routes: a mux to match a path and the patterns.
type router struct {
	mux      *http.ServeMux
	patterns []string
}

// register adds pattern to mux, a conflict returned rather than panicked.
func register(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	return nil
}

// notURLPath is the start of a file path the documents name in backticks
// (/etc/markd/markd.yaml, /var/lib/markd, /dev/ttyUSB0), not a URL path.
var notURLPath = regexp.MustCompile(`^/(etc|var|usr|lib|dev|run|tmp|sys|proc|opt|home|srv|mnt|backup|bin|sbin)(/|$)`)

// TestDocumentedPathsAreRouted: every URL path the documents give in
// backticks (`GET /v1/serials`, `/review/setaside`,
// `POST /api/batches/{id}/close`) or as a link to the counter
// (http://127.0.0.1:8080/review) is a route of markd or markhub, with
// that method when one is given. A page or API path renamed or never
// made fails here rather than in an engineer's browser or script.
func TestDocumentedPathsAreRouted(t *testing.T) {
	muxes := routers(t)
	span := regexp.MustCompile("`(?:(GET|POST|PUT|PATCH|DELETE) )?(/[A-Za-z0-9_.{}$/-]*)")
	link := regexp.MustCompile(`https?://(?:127\.0\.0\.1|localhost)(?::[0-9]+)?(/[A-Za-z0-9_./-]*)`)
	fence := regexp.MustCompile("(?s)```.*?```")
	checked := 0
	for _, f := range testdata.UserDocs {
		data, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		type ref struct{ method, path string }
		var refs []ref
		for _, m := range span.FindAllStringSubmatch(fence.ReplaceAllString(string(data), ""), -1) {
			refs = append(refs, ref{m[1], m[2]})
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			refs = append(refs, ref{"", strings.TrimRight(m[1], ".")})
		}
		for _, r := range refs {
			if notURLPath.MatchString(r.path) || r.path == "/" || strings.Contains(r.path, "//") {
				continue
			}
			checked++
			if !routed(muxes, r.method, r.path) {
				what := r.path
				if r.method != "" {
					what = r.method + " " + r.path
				}
				t.Errorf("%s names %s, which neither markd nor markhub routes", f, what)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d URL paths found in the documents: the reading of them is wrong", checked)
	}
}

// routed tells whether a program routes method (any, when "") on path; a
// path ending in "/" (`/v1/`, `/api/`) names the routes under it.
func routed(routers map[string]router, method, path string) bool {
	path = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x")
	path = strings.TrimRight(path, ".")
	for _, r := range routers {
		if strings.HasSuffix(path, "/") {
			for _, p := range r.patterns {
				m, pp, ok := strings.Cut(p, " ")
				if !ok {
					m, pp = "", p
				}
				if strings.HasPrefix(pp, path) && (method == "" || m == "" || m == method) {
					return true
				}
			}
			continue
		}
		methods := []string{method}
		if method == "" {
			methods = []string{http.MethodGet, http.MethodPost}
		}
		for _, m := range methods {
			if _, pattern := r.mux.Handler(httptest.NewRequest(m, path, nil)); pattern != "" && placeholders(pattern, path) {
				return true
			}
		}
	}
	return false
}

// placeholders tells whether path gives a placeholder (`{id}`, `ID`, `N`,
// a number) wherever pattern has a wildcard: `/review/history` matches
// `GET /review/{id}` only as a scan id, not as the page it means.
func placeholders(pattern, path string) bool {
	_, pp, ok := strings.Cut(pattern, " ")
	if !ok {
		pp = pattern
	}
	want, got := strings.Split(pp, "/"), strings.Split(path, "/")
	for i, seg := range want {
		if i >= len(got) || !strings.HasPrefix(seg, "{") || strings.HasPrefix(seg, "{$") {
			continue
		}
		if !regexp.MustCompile(`^(x|[A-Z]+|[0-9]+)$`).MatchString(got[i]) {
			return false
		}
	}
	return true
}
