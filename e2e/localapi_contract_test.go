package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"markd/internal/testdata"
	"markd/issuer"
)

// TestLocalAPIContract plays the cash-desk program against a real `markd
// run` through the documented session (docs/local-api.md) and its
// retries and mistakes, and holds every answer to the documents: its
// status must be one docs/openapi/local-api.yaml gives for the route,
// its body must match the schema given there (every field the server
// sends described, every required one sent, the types, the enums, the
// times in UTC), the error codes those of the status (docs/local-api.md
// "Errors"), the batch answer must have the fields of the example in
// docs/local-api.md, and every status either document gives a route
// must be one the server really answers (but 503, which needs a store
// that cannot write: httpapi TestPostScanStoreDown).
func TestLocalAPIContract(t *testing.T) {
	root := repoRoot(t)
	spec := loadSpec(t, filepath.Join(root, "docs/openapi/local-api.yaml"))
	md, err := os.ReadFile(filepath.Join(root, "docs/local-api.md"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	desk := tokenAdd(t, cfg, "kassa")
	d := runDaemon(t, cfg, testdata.Now(), false)
	desk.url = d.URL
	c := &contractClient{t: t, spec: spec, url: d.URL, token: desk.token, seen: map[string]bool{}}

	text := contractMarks(t)
	// The customer's list: item 1 says 25 g (the mark 20: WEIGHT), item 4
	// is never scanned (MISSING); serial 9 is scanned, not listed (EXTRA).
	var list strings.Builder
	list.WriteString("n,tracking,mail_class,weight_g,tariff_kop,notice,serial\n")
	for i := uint64(1); i <= 4; i++ {
		w := 20
		if i == 1 {
			w = 25
		}
		fmt.Fprintf(&list, "%d,%014d,2,%d,1000000,0,%d\n", i, issuer.Tracking(426000, i), w, i)
	}
	scan := func(serial uint64, batch string) string {
		b, _ := json.Marshal(map[string]any{"text": text(serial), "batch": batch})
		return string(b)
	}
	jsonCT := "application/json"

	// Without a token, every route.
	for _, r := range spec.routes() {
		c.anon(r.method, strings.ReplaceAll(r.path, "{id}", "x"), 401)
	}
	c.call("GET", "/api/batches/current", "", "", nil, 404)
	var st struct {
		ID string `json:"id"`
	}
	c.decode(c.call("POST", "/api/batches", `{"contract": 1004417}`, jsonCT, nil, 201), &st)
	id := st.ID
	c.call("POST", "/api/batches", `{"contract": 1004417}`, jsonCT, nil, 409)
	c.call("POST", "/api/batches", `{"contract": "1004417"}`, jsonCT, nil, 400)
	c.call("POST", "/api/batches", `contract=1004417`, "application/x-www-form-urlencoded", nil, 415)
	c.call("POST", "/api/batches", `{"contract": 1`+strings.Repeat(" ", 17000)+`}`, jsonCT, nil, 413)
	c.call("GET", "/api/batches/current", "", "", nil, 200)

	c.call("POST", "/api/batches/"+id+"/expect", "n,tracking\n1,x\n", "text/csv", nil, 400)
	c.call("POST", "/api/batches/"+id+"/expect", list.String(), "multipart/form-data; boundary=x", nil, 415)
	c.call("POST", "/api/batches/"+id+"/expect", strings.Repeat("x", 16<<20+1), "text/csv", nil, 413)
	c.call("POST", "/api/batches/"+id+"/expect", list.String(), "text/csv", nil, 200)
	c.call("POST", "/api/batches/"+id+"/expect", `{"contract": 5, "items": [{"tracking": "42600000000015", "mail_class": 2, "weight_g": 20, "tariff_kop": 1000000}]}`, jsonCT, nil, 409)

	for _, serial := range []uint64{1, 2, 3, 9} {
		c.call("POST", "/api/scans", scan(serial, id), jsonCT, map[string]string{"Idempotency-Key": fmt.Sprintf("kassa-7-%06d", serial)}, 200)
	}
	// The retry of a scan whose answer was lost; its key with another scan.
	resp := c.call("POST", "/api/scans", scan(2, id), jsonCT, map[string]string{"Idempotency-Key": "kassa-7-000002"}, 200)
	if resp.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry under its key: Idempotent-Replayed %q, want true", resp.header.Get("Idempotent-Replayed"))
	}
	c.call("POST", "/api/scans", scan(5, id), jsonCT, map[string]string{"Idempotency-Key": "kassa-7-000002"}, 409)
	c.call("POST", "/api/scans", scan(5, "another-batch"), jsonCT, nil, 409)
	c.call("POST", "/api/scans", `{"text": ""}`, jsonCT, nil, 400)
	c.call("POST", "/api/scans", `{"text": "`+strings.Repeat("x", 17000)+`"}`, jsonCT, nil, 413)
	c.call("POST", "/api/scans", scan(5, id), "text/plain", nil, 415)

	// The batch answer has the fields of the example in docs/local-api.md.
	got := c.call("GET", "/api/batches/"+id, "", "", nil, 200)
	checkExample(t, md, got.body)

	c.call("GET", "/api/batches/"+id+"/receipt.pdf", "", "", nil, 409)
	first := c.call("POST", "/api/batches/"+id+"/close", "", "", nil, 200)
	again := c.call("POST", "/api/batches/"+id+"/close", "", "", nil, 200)
	if !bytes.Equal(first.body, again.body) {
		t.Errorf("close sent again: %s, the first close answered %s", again.body, first.body)
	}
	c.call("POST", "/api/batches/"+id+"/cancel", "", "", nil, 409)
	c.call("POST", "/api/batches/"+id+"/expect", list.String(), "text/csv", nil, 409)
	pdf := c.call("GET", "/api/batches/"+id+"/receipt.pdf", "", "", nil, 200)
	if pdf2 := c.call("GET", "/api/batches/"+id+"/receipt.pdf", "", "", nil, 200); !bytes.Equal(pdf.body, pdf2.body) {
		t.Error("the receipt read twice differs")
	}

	// A cancelled batch.
	c.decode(c.call("POST", "/api/batches", "", "", nil, 201), &st)
	// a wrong ?rows= is refused before anything changes
	c.call("POST", "/api/batches/"+st.ID+"/close?rows=many", "", "", nil, 400)
	c.call("POST", "/api/batches/"+st.ID+"/cancel?rows=-1", "", "", nil, 400)
	c.call("POST", "/api/batches/"+st.ID+"/cancel", "", "", nil, 200)
	c.call("POST", "/api/batches/"+st.ID+"/cancel", "", "", nil, 200)
	c.call("POST", "/api/batches/"+st.ID+"/close", "", "", nil, 409)
	c.call("GET", "/api/batches/"+st.ID+"/receipt.pdf", "", "", nil, 409)

	// Unknown batches and routes.
	for _, r := range spec.routes() {
		if strings.Contains(r.path, "{id}") {
			body, ct := "", ""
			if strings.HasSuffix(r.path, "/expect") {
				body, ct = list.String(), "text/csv"
			}
			c.call(r.method, strings.ReplaceAll(r.path, "{id}", "no-such-batch"), body, ct, nil, 404)
		}
	}
	c.raw("DELETE", "/api/batches/current", 405)
	c.raw("GET", "/api/no-such-route", 404)

	// The token's budget of batch writes (api.write_burst, api.write_limit)
	// spent on a batch that is not there, then every batch write is 429
	// with Retry-After, the error code too_many (docs/local-api.md).
	for i := 0; ; i++ {
		a := c.send("POST", "/api/batches/no-such-batch/cancel", "", "", nil, true)
		if a.code == http.StatusTooManyRequests {
			break
		}
		if a.code != http.StatusNotFound || i > 1000 {
			t.Fatalf("spending the write budget: %d %s", a.code, a.body)
		}
	}
	for _, r := range spec.routes() {
		if r.method != "POST" || !strings.HasPrefix(r.path, "/api/batches") {
			continue
		}
		a := c.call(r.method, strings.ReplaceAll(r.path, "{id}", "no-such-batch"), "", "", nil, 429)
		var e map[string]any
		if json.Unmarshal(a.body, &e) != nil || e["code"] != "too_many" || a.header.Get("Retry-After") == "" {
			t.Errorf("%s %s over the budget: %s, Retry-After %q; want code too_many and Retry-After", r.method, r.path, a.body, a.header.Get("Retry-After"))
		}
	}
	c.call("GET", "/api/batches/current", "", "", nil, 404)

	// Every status the documents give a route was answered.
	for _, r := range spec.routes() {
		for _, code := range r.codes {
			if code != "503" && !c.seen[r.method+" "+r.path+" "+code] {
				t.Errorf("%s %s: docs/openapi/local-api.yaml gives %s, never answered", r.method, r.path, code)
			}
		}
	}
	for _, row := range docTable(md) {
		for _, code := range row.codes {
			if !c.seen[row.route+" "+code] {
				t.Errorf("docs/local-api.md: %s answers %s, never answered", row.route, code)
			}
		}
	}
}

// errorCodes are the code of each error status (docs/local-api.md "Errors").
var errorCodes = map[int]string{400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
	409: "conflict", 413: "too_large", 415: "unsupported_type", 429: "too_many", 503: "unavailable", 500: "internal"}

type contractClient struct {
	t          *testing.T
	spec       *apiSpec
	url, token string
	seen       map[string]bool // "METHOD /path/{id} status"
}

type answer struct {
	code   int
	header http.Header
	body   []byte
}

func (c *contractClient) send(method, path, body, ctype string, header map[string]string, token bool) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// call sends a request with the token, wants status want and holds the
// answer to the OpenAPI file.
func (c *contractClient) call(method, path, body, ctype string, header map[string]string, want int) answer {
	c.t.Helper()
	a := c.send(method, path, body, ctype, header, true)
	c.check(method, path, want, a)
	return a
}

// anon is call without a token.
func (c *contractClient) anon(method, path string, want int) {
	c.t.Helper()
	c.check(method, path, want, c.send(method, path, "", "", nil, false))
}

// raw sends a request no route takes: a JSON error with the status.
func (c *contractClient) raw(method, path string, want int) {
	c.t.Helper()
	a := c.send(method, path, "", "", nil, true)
	var e map[string]any
	if a.code != want || json.Unmarshal(a.body, &e) != nil || e["code"] != errorCodes[want] {
		c.t.Errorf("%s %s: %d %s, want %d %s", method, path, a.code, a.body, want, errorCodes[want])
	}
	if want == 405 && a.header.Get("Allow") == "" {
		c.t.Errorf("%s %s: 405 without Allow", method, path)
	}
}

func (c *contractClient) decode(a answer, v any) {
	c.t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		c.t.Fatalf("%s: %v", a.body, err)
	}
}

func (c *contractClient) check(method, path string, want int, a answer) {
	c.t.Helper()
	what := fmt.Sprintf("%s %s → %d", method, path, a.code)
	if a.code != want {
		c.t.Errorf("%s %s: %d %.300s, want %d", method, path, a.code, a.body, want)
	}
	op, route := c.spec.operation(method, path)
	if op == nil {
		c.t.Errorf("%s: no route of docs/openapi/local-api.yaml", what)
		return
	}
	c.seen[route+" "+strconv.Itoa(a.code)] = true
	responses, _ := op["responses"].(map[string]any)
	r, ok := responses[strconv.Itoa(a.code)].(map[string]any)
	if !ok {
		c.t.Errorf("%s: status not in docs/openapi/local-api.yaml (%s)", what, a.body)
		return
	}
	r = c.spec.resolve(r)
	content, _ := r["content"].(map[string]any)
	ct := a.header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	media, ok := content[mt].(map[string]any)
	if !ok {
		c.t.Errorf("%s: Content-Type %q, the OpenAPI file gives %v", what, ct, keys(content))
		return
	}
	if mt == "application/pdf" {
		if !bytes.HasPrefix(a.body, []byte("%PDF-")) {
			c.t.Errorf("%s: not a PDF", what)
		}
		return
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		c.t.Errorf("%s: not JSON: %v", what, err)
		return
	}
	for _, p := range c.spec.validate("body", media["schema"].(map[string]any), v) {
		c.t.Errorf("%s: %s", what, p)
	}
	if a.code >= 400 {
		obj, _ := v.(map[string]any)
		if obj["code"] != errorCodes[a.code] || obj["error"] == nil || obj["error"] == "" {
			c.t.Errorf("%s: code %v error %q, want code %s with an error", what, obj["code"], obj["error"], errorCodes[a.code])
		}
		if _, has := obj["id"]; has {
			c.t.Errorf("%s: an error answer with an id", what)
		}
	}
}

// apiSpec is docs/openapi/local-api.yaml.
type apiSpec struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components map[string]any            `yaml:"components"`
}

func loadSpec(t *testing.T, file string) *apiSpec {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var s apiSpec
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

type specRoute struct {
	method, path string
	codes        []string
}

// routes is every operation of the file with its statuses, sorted.
func (s *apiSpec) routes() []specRoute {
	var out []specRoute
	for path, ops := range s.Paths {
		for m, op := range ops {
			o, ok := op.(map[string]any)
			if !ok || m == "parameters" {
				continue
			}
			r := specRoute{method: strings.ToUpper(m), path: path}
			for code := range o["responses"].(map[string]any) {
				r.codes = append(r.codes, code)
			}
			sort.Strings(r.codes)
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].path < out[j].method+out[j].path })
	return out
}

// operation finds the operation of a request path, and its route
// ("METHOD /api/batches/{id}/close"); a literal path goes before a
// template (/api/batches/current before /api/batches/{id}).
func (s *apiSpec) operation(method, path string) (map[string]any, string) {
	path, _, _ = strings.Cut(path, "?")
	var best string
	for p := range s.Paths {
		re := "^" + strings.ReplaceAll(regexp.QuoteMeta(p), `\{id\}`, `[^/]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) && (best == "" || !strings.Contains(p, "{")) {
			best = p
		}
	}
	if best == "" {
		return nil, ""
	}
	op, _ := s.Paths[best][strings.ToLower(method)].(map[string]any)
	return op, method + " " + best
}

// resolve follows a $ref into the components.
func (s *apiSpec) resolve(m map[string]any) map[string]any {
	for {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		var cur any = s.Components
		for _, p := range parts {
			cur = cur.(map[string]any)[p]
		}
		m = cur.(map[string]any)
	}
}

// validate holds v to the schema: type, enum, required, properties (a
// field not described is a problem: the document is the contract),
// additionalProperties, items, allOf, date-time in UTC.
func (s *apiSpec) validate(at string, schema map[string]any, v any) []string {
	schema = s.resolve(schema)
	var out []string
	bad := func(f string, a ...any) { out = append(out, at+": "+fmt.Sprintf(f, a...)) }
	if all, ok := schema["allOf"].([]any); ok {
		merged := map[string]any{"type": "object", "properties": map[string]any{}}
		var req []any
		for _, part := range all {
			p := s.resolve(part.(map[string]any))
			for k, ps := range p["properties"].(map[string]any) {
				merged["properties"].(map[string]any)[k] = ps
			}
			if r, ok := p["required"].([]any); ok {
				req = append(req, r...)
			}
		}
		merged["required"] = req
		schema = merged
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		bad("%v not one of %v", v, enum)
	}
	switch schema["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("%T, want an object", v)
			return out
		}
		if req, ok := schema["required"].([]any); ok {
			for _, k := range req {
				if _, has := obj[k.(string)]; !has {
					bad("required field %q missing", k)
				}
			}
		}
		props, _ := schema["properties"].(map[string]any)
		extra, _ := schema["additionalProperties"].(map[string]any)
		for k, fv := range obj {
			switch ps, ok := props[k].(map[string]any); {
			case ok:
				out = append(out, s.validate(at+"."+k, ps, fv)...)
			case extra != nil:
				out = append(out, s.validate(at+"."+k, extra, fv)...)
			case props != nil:
				bad("field %q is not described", k)
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			bad("%T, want an array", v)
			return out
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range arr {
				out = append(out, s.validate(fmt.Sprintf("%s[%d]", at, i), items, e)...)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("%T %v, want a string", v, v)
			return out
		}
		if schema["format"] == "date-time" {
			if tm, err := time.Parse(time.RFC3339Nano, str); err != nil || !strings.HasSuffix(str, "Z") || tm.IsZero() {
				bad("%q is not an RFC 3339 time in UTC", str)
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			bad("%v, want an integer", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("%T %v, want true or false", v, v)
		}
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkExample holds a batch answer to the example of docs/local-api.md
// ("A batch answer:"): the same fields at the top and in totals, and each
// difference with the fields of the example's difference of its kind.
func checkExample(t *testing.T, md, got []byte) {
	t.Helper()
	_, after, ok := bytes.Cut(md, []byte("A batch answer:\n\n```json\n"))
	block, _, ok2 := bytes.Cut(after, []byte("```"))
	if !ok || !ok2 {
		t.Fatal("docs/local-api.md: no JSON example after \"A batch answer:\"")
	}
	var ex, real map[string]any
	if err := json.Unmarshal(block, &ex); err != nil {
		t.Fatalf("docs/local-api.md: the batch example is not JSON: %v", err)
	}
	if err := json.Unmarshal(got, &real); err != nil {
		t.Fatal(err)
	}
	same := func(what string, a, b map[string]any) {
		if ka, kb := keys(a), keys(b); !slices.Equal(ka, kb) {
			t.Errorf("%s: the example has %v, the server sends %v", what, ka, kb)
		}
	}
	same("batch answer", ex, real)
	same("totals", ex["totals"].(map[string]any), real["totals"].(map[string]any))
	kinds := map[string]map[string]any{}
	for _, d := range ex["differences"].([]any) {
		kinds[d.(map[string]any)["kind"].(string)] = d.(map[string]any)
	}
	seen := 0
	for _, d := range real["differences"].([]any) {
		dm := d.(map[string]any)
		if e, ok := kinds[dm["kind"].(string)]; ok {
			same("difference "+dm["kind"].(string), e, dm)
			seen++
		}
	}
	if seen < len(kinds) {
		t.Errorf("the batch has differences %v: not every kind of the example (%v) to compare", real["differences"], keys(kindsAny(kinds)))
	}
}

func kindsAny(m map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

type tableRow struct {
	route string
	codes []string
}

// docTable reads the table of requests in docs/local-api.md "Batches":
// each route with the statuses its answer names.
func docTable(md []byte) []tableRow {
	route := regexp.MustCompile("^\\| `(GET|POST) (/api/[^` ]+)`")
	code := regexp.MustCompile(`\b([1-5]\d\d)\b`)
	var out []tableRow
	for _, line := range strings.Split(string(md), "\n") {
		m := route.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cells := strings.Split(line, "|")
		r := tableRow{route: m[1] + " " + m[2]}
		for _, c := range code.FindAllStringSubmatch(cells[len(cells)-2], -1) {
			if !slices.Contains(r.codes, c[1]) {
				r.codes = append(r.codes, c[1])
			}
		}
		out = append(out, r)
	}
	return out
}

// contractMarks signs valid marks of contract 1004417 (the customer's
// lists' contract) issued on the test clock's day at the counter.
func contractMarks(t *testing.T) func(serial uint64) string {
	loc, _ := time.LoadLocation("Europe/Moscow")
	day := testdata.Today(loc)
	sign := testdata.Signer(t)
	return func(serial uint64) string {
		m := testdata.ValidMark(serial, day)
		m.Contract = 1004417
		return sign(m)
	}
}
