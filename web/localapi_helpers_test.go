package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"markd/batch"
	"markd/httpapi"
	"markd/internal/testdata"
	"markd/pipeline"
	"markd/store"
	"markd/store/storetest"
	"markd/verify"
)

// apiEnv is the local API as the cash-desk program meets it: the pages'
// front (tokens, sessions) before the API, the pipeline and the batch
// service on a real store, and a program's token.
type apiEnv struct {
	*env
	token string
	sign  func(serial uint64, contract uint32) string
	spec  *apiSpec
}

// newAPIEnv starts it. Its clock gives times in the office's zone
// (Moscow), so a time the API gives in another zone than UTC shows.
func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, nil)
}

// newAPIEnvWith is newAPIEnv with the API's options changed by tweak.
func newAPIEnvWith(t *testing.T, tweak func(*httpapi.Options)) *apiEnv {
	t.Helper()
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	ck := &clock{t: testdata.Now().In(msk)}
	signer := testdata.Signer(t)
	log := slog.New(slog.DiscardHandler)
	e := &env{t: t, clock: ck, feed: &chanFeed{}}
	e.db = storetest.Open(t, store.Options{Now: ck.Now})
	for _, u := range []struct {
		n, p string
		r    store.Role
	}{{supName, supPass, store.RoleSupervisor}, {opName, opPass, store.RoleOperator}} {
		if err := e.db.AddUser(context.Background(), u.n, u.r, u.p); err != nil {
			t.Fatal(err)
		}
	}
	h := verify.NewHolder(testdata.Verifier(t))
	pipe := pipeline.New(pipeline.Options{Verifier: h, Store: e.db, Office: 426000, Counter: "A", Location: msk,
		RescanWindow: 10 * time.Minute, Now: ck.Now, Log: log})
	svc := batch.New(batch.Options{Store: e.db, Office: 426000, Counter: "A", Location: msk, Log: log})
	ao := httpapi.Options{Store: e.db, Feed: pipe, Versions: h.Versions, StoreErr: pipe.StoreErr,
		Location: msk, Log: log, Scans: pipe, Counter: "A", Batches: svc, Now: ck.Now}
	if tweak != nil {
		tweak(&ao)
	}
	api := httpapi.New(ao)
	if e.srv, err = New(Options{Store: e.db, SessionTTL: time.Hour, LoginLimit: 3, Location: msk, Now: ck.Now, Log: log,
		Feed: pipe, Batches: svc, Public: httpapi.PublicPaths}); err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.srv.Handler(api.Handler()))
	t.Cleanup(e.ts.Close)
	tok, err := e.db.AddToken(context.Background(), "kassa")
	if err != nil {
		t.Fatal(err)
	}
	day := testdata.Today(msk)
	sign := func(serial uint64, contract uint32) string {
		m := testdata.ValidMark(serial, day)
		m.Contract, m.WeightG, m.TariffKop = contract, 20, 50000
		return signer(m)
	}
	return &apiEnv{env: e, token: tok, sign: sign, spec: loadAPISpec(t)}
}

// apiAnswer is one answer of the API.
type apiAnswer struct {
	code int
	hdr  http.Header
	body []byte
}

// json decodes the answer into v and fails the test when it is not JSON.
func (a apiAnswer) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d %q: not JSON: %v", a.code, a.body, err)
	}
}

// errBody is the error answer of the API.
func (a apiAnswer) errBody(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	a.json(t, &m)
	return m
}

// call sends a request with the program's token (hdr may set others, or
// "Authorization": "" for none) and checks the answer against the OpenAPI
// file: a documented status, content type and body.
func (e *apiEnv) call(t testing.TB, method, path, body string, hdr map[string]string) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := apiAnswer{code: res.StatusCode, hdr: res.Header, body: b}
	e.spec.check(t, method, path, a)
	return a
}

// apiSpec is docs/openapi/local-api.yaml, read as plain maps.
type apiSpec struct {
	doc  map[string]any
	mu   sync.Mutex
	seen map[string]bool // "METHOD /path/{id} STATUS" answered in a test
}

func loadAPISpec(t testing.TB) *apiSpec {
	t.Helper()
	b, err := os.ReadFile("../docs/openapi/local-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("local-api.yaml: %v", err)
	}
	return &apiSpec{doc: doc, seen: map[string]bool{}}
}

// operation finds the documented operation of a request path.
func (s *apiSpec) operation(method, path string) (string, map[string]any) {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(path, "/")
	paths, _ := s.doc["paths"].(map[string]any)
	for tmpl, ops := range paths {
		tp := strings.Split(tmpl, "/")
		if len(tp) != len(parts) {
			continue
		}
		match := true
		for i := range tp {
			if tp[i] != parts[i] && !(strings.HasPrefix(tp[i], "{") && parts[i] != "current") {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		op, _ := ops.(map[string]any)[strings.ToLower(method)].(map[string]any)
		return tmpl, op
	}
	return "", nil
}

// check fails t when the answer is not what the OpenAPI file says.
func (s *apiSpec) check(t testing.TB, method, path string, a apiAnswer) {
	t.Helper()
	tmpl, op := s.operation(method, path)
	if op == nil {
		t.Errorf("%s %s: not in local-api.yaml", method, path)
		return
	}
	s.mu.Lock()
	s.seen[fmt.Sprintf("%s %s %d", method, tmpl, a.code)] = true
	s.mu.Unlock()
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(a.code)]
	if !ok {
		t.Errorf("%s %s: status %d is not documented (%s)", method, path, a.code, a.body)
		return
	}
	r := s.resolve(resp)
	content, _ := r["content"].(map[string]any)
	ct, _, _ := strings.Cut(a.hdr.Get("Content-Type"), ";")
	media, ok := content[ct].(map[string]any)
	if !ok {
		t.Errorf("%s %s %d: content type %q is not documented", method, path, a.code, ct)
		return
	}
	if ct != "application/json" {
		return
	}
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Errorf("%s %s %d: not JSON: %q", method, path, a.code, a.body)
		return
	}
	for _, p := range s.validate(media["schema"], v, "body") {
		t.Errorf("%s %s %d: %s", method, path, a.code, p)
	}
}

// undocumented returns the statuses the file documents that no answer
// of the test had, but for those in skip ("METHOD /path STATUS").
func (s *apiSpec) undocumented(skip ...string) []string {
	var out []string
	paths, _ := s.doc["paths"].(map[string]any)
	for tmpl, ops := range paths {
		for method, op := range ops.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			for code := range o["responses"].(map[string]any) {
				k := strings.ToUpper(method) + " " + tmpl + " " + code
				if !s.seen[k] && !slices.Contains(skip, k) {
					out = append(out, k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *apiSpec) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = s.doc
		for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[p]
		}
		m, _ = cur.(map[string]any)
	}
}

// validate checks v against a schema of the file: types, enums, required
// properties, and no property the schema does not name.
func (s *apiSpec) validate(schema, v any, at string) []string {
	sc := s.resolve(schema)
	if sc == nil {
		return nil
	}
	var probs []string
	if all, ok := sc["allOf"].([]any); ok {
		merged := map[string]any{"type": "object", "properties": map[string]any{}}
		var req []any
		for _, part := range all {
			p := s.resolve(part)
			for k, pv := range mapOf(p["properties"]) {
				merged["properties"].(map[string]any)[k] = pv
			}
			if r, ok := p["required"].([]any); ok {
				req = append(req, r...)
			}
		}
		merged["required"] = req
		sc = merged
	}
	typ, _ := sc["type"].(string)
	if v == nil {
		if typ != "" && typ != "null" {
			probs = append(probs, fmt.Sprintf("%s: null, documented %s", at, typ))
		}
		return probs
	}
	switch typ {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return append(probs, fmt.Sprintf("%s: %T, documented object", at, v))
		}
		props := mapOf(sc["properties"])
		for _, r := range sliceOf(sc["required"]) {
			if _, ok := m[r.(string)]; !ok {
				probs = append(probs, fmt.Sprintf("%s: required %q missing", at, r))
			}
		}
		extra := sc["additionalProperties"]
		for k, kv := range m {
			if ps, ok := props[k]; ok {
				probs = append(probs, s.validate(ps, kv, at+"."+k)...)
				continue
			}
			if es, ok := extra.(map[string]any); ok {
				probs = append(probs, s.validate(es, kv, at+"."+k)...)
				continue
			}
			if len(props) > 0 || extra == false {
				probs = append(probs, fmt.Sprintf("%s: property %q is not documented", at, k))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return append(probs, fmt.Sprintf("%s: %T, documented array", at, v))
		}
		for i, x := range a {
			probs = append(probs, s.validate(sc["items"], x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return append(probs, fmt.Sprintf("%s: %T, documented string", at, v))
		}
		if sc["format"] == "date-time" {
			tm, err := time.Parse(time.RFC3339Nano, str)
			if err != nil {
				probs = append(probs, fmt.Sprintf("%s: %q is not RFC 3339", at, str))
			} else if _, off := tm.Zone(); off != 0 || !strings.HasSuffix(str, "Z") {
				probs = append(probs, fmt.Sprintf("%s: %q is not in UTC as documented", at, str))
			}
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			probs = append(probs, fmt.Sprintf("%s: %v, documented integer", at, v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			probs = append(probs, fmt.Sprintf("%s: %T, documented boolean", at, v))
		}
	}
	if enum := sliceOf(sc["enum"]); len(enum) > 0 && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		probs = append(probs, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	return probs
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }
func sliceOf(v any) []any        { s, _ := v.([]any); return s }

// openBatch opens a batch with the program's token and returns its id.
func (e *apiEnv) openBatch(t testing.TB, contract uint32) string {
	t.Helper()
	a := e.call(t, "POST", "/api/batches", fmt.Sprintf(`{"contract": %d}`, contract), nil)
	var st batch.StatusJSON
	a.json(t, &st)
	if a.code != http.StatusCreated || st.ID == "" {
		t.Fatalf("open: %d %s", a.code, a.body)
	}
	return st.ID
}

// scan posts a scan for batch id and returns the result.
func (e *apiEnv) scan(t testing.TB, serial uint64, contract uint32, id string, hdr map[string]string) (apiAnswer, httpapi.ScanResult) {
	t.Helper()
	body, _ := json.Marshal(httpapi.ScanRequest{Text: e.sign(serial, contract), Batch: id})
	a := e.call(t, "POST", "/api/scans", string(body), hdr)
	var res httpapi.ScanResult
	a.json(t, &res)
	return a, res
}
