package httpapi

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestOpenAPIInStep: every route of the local API (the scan post and the
// batches) is described in docs/openapi/local-api.yaml with its method,
// and the file describes no route the server does not have.
func TestOpenAPIInStep(t *testing.T) {
	doc := readOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	routes := map[string]bool{}
	for _, r := range batchRouteList {
		routes[r] = true
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in the OpenAPI file", r)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if r := strings.ToUpper(method) + " " + path; !routes[r] {
				t.Errorf("the OpenAPI file describes %s, which the server does not serve", r)
			}
		}
	}
	// And the server answers each of them (not 404/405 from the mux).
	e := newBatchEnv(t)
	for r := range routes {
		method, path, _ := strings.Cut(r, " ")
		code := e.do(t, method, strings.ReplaceAll(path, "{id}", "nope"), "", nil)
		if code == http.StatusMethodNotAllowed || (code == http.StatusNotFound && !strings.Contains(path, "batches")) {
			t.Errorf("%s: %d", r, code)
		}
	}
}

// openAPIDoc is what the tests read of docs/openapi/local-api.yaml.
type openAPIDoc struct {
	OpenAPI    string                    `yaml:"openapi"`
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas   map[string]map[string]any `yaml:"schemas"`
		Responses map[string]map[string]any `yaml:"responses"`
	} `yaml:"components"`
}

// readOpenAPI reads docs/openapi/local-api.yaml.
func readOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	b, err := os.ReadFile("../docs/openapi/local-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
