package deploy

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"markd/config"
	"markd/daemon"
	"markd/hub"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/store"
)

// registered returns the metric names the daemons register: markd's
// (daemon.Open with sync on, as markd run builds it) and markhub's
// (hub.NewServer, as markhub serve builds it). Describe lists vectors that
// have no series yet, which a scrape of a fresh daemon would not show.
func registered(t *testing.T) map[string]bool {
	t.Helper()
	td := testdata.Dir(t)
	c := config.Default()
	c.Office, c.Counter = 426000, "A"
	c.Keyring, c.Tariffs = filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml")
	c.DB = filepath.Join(t.TempDir(), "markd.db")
	c.HTTP.Listen = "127.0.0.1:0"
	c.Sync.URL, c.Sync.Token = "http://127.0.0.1:9", "token"
	c.Sync.BundleDir = t.TempDir()
	// bundles on: their metrics too (a real key: a weak one is refused)
	c.Sync.DistributionKey = base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	created, err := store.Create(context.Background(), c.DB, nil) // what markd init does
	if err != nil {
		t.Fatal(err)
	}
	created.Close()
	m, err := daemon.Open(context.Background(), daemon.Options{Config: c, Now: testdata.Now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	names := map[string]bool{}
	collect(m.Metrics.Registry(), names)

	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := prometheus.NewRegistry()
	hub.NewServer(s, hub.ServerOptions{Registry: reg})
	collect(reg, names)
	if !names["markd_scans_total"] || !names["markhub_requests_total"] {
		t.Fatalf("registries look empty: %v", names)
	}
	return names
}

var fqName = regexp.MustCompile(`fqName: "([a-zA-Z_:][a-zA-Z0-9_:]*)"`)

func collect(c prometheus.Collector, into map[string]bool) {
	ch := make(chan *prometheus.Desc, 256)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			into[m[1]] = true
		}
	}
}

var metricRef = regexp.MustCompile(`\b(markd|markhub|process)_[a-z0-9_]+\b`)

// unknown returns the markd_/markhub_ (and process_, the process
// collector's) names in expr that no daemon registers (a histogram's
// _bucket/_sum/_count count as its own name).
func unknown(expr string, names map[string]bool) []string {
	var bad []string
	for _, ref := range metricRef.FindAllString(expr, -1) {
		base := ref
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(ref, suf); ok && names[b] {
				base = b
			}
		}
		if !names[base] {
			bad = append(bad, ref)
		}
	}
	return bad
}

type rulesFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type dashboard struct {
	Title  string  `json:"title"`
	UID    string  `json:"uid"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// TestAlertRules: every rule names a metric a daemon registers, has a
// severity and a summary, and (with promtool installed) passes promtool's
// syntax check and the rule unit tests of markd-alerts_test.yml.
func TestAlertRules(t *testing.T) {
	names := registered(t)
	raw, err := os.ReadFile("prometheus/markd-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf rulesFile
	if err := yaml.Unmarshal(raw, &rf); err != nil {
		t.Fatalf("markd-alerts.yml: %v", err)
	}
	n := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			n++
			if bad := unknown(r.Expr, names); len(bad) > 0 {
				t.Errorf("alert %s uses metrics no daemon registers: %v", r.Alert, bad)
			}
			if r.Alert == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q in %s lacks a name, a severity or a summary", r.Alert, g.Name)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
				}
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d rules", n)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus): rules checked for names only")
	}
	for _, args := range [][]string{{"check", "rules", "markd-alerts.yml"}, {"test", "rules", "markd-alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDashboard: the Grafana dashboard parses, its panels have unique ids
// and queries, and every query names metrics a daemon registers; every
// registered markd_/markhub_ metric is shown somewhere.
func TestDashboard(t *testing.T) {
	names := registered(t)
	raw, err := os.ReadFile("grafana/markd-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("markd-dashboard.json: %v", err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) < 10 {
		t.Fatalf("dashboard %q (uid %q) with %d panels", d.Title, d.UID, len(d.Panels))
	}
	ids := map[int]bool{}
	shown := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if bad := unknown(tg.Expr, names); len(bad) > 0 {
				t.Errorf("panel %q uses metrics no daemon registers: %v", p.Title, bad)
			}
			for _, ref := range metricRef.FindAllString(tg.Expr, -1) {
				shown[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(ref, "_bucket"), "_sum"), "_count")] = true
			}
		}
	}
	var missing []string
	for n := range names {
		if (strings.HasPrefix(n, "markd_") || strings.HasPrefix(n, "markhub_")) && !shown[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics on no dashboard panel: %v", missing)
	}
}

// TestAlertsCoverFailures: every failure that matters to a post office has
// an alert whose expression reads the metric (and labels) that show it.
func TestAlertsCoverFailures(t *testing.T) {
	raw, err := os.ReadFile("prometheus/markd-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf rulesFile
	if err := yaml.Unmarshal(raw, &rf); err != nil {
		t.Fatalf("markd-alerts.yml: %v", err)
	}
	space := regexp.MustCompile(`\s+`)
	var exprs []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			e := space.ReplaceAllString(r.Expr, "")
			exprs = append(exprs, e)
			if strings.Contains(e, "markd_source_up") && !strings.Contains(e, `kind`) {
				t.Errorf("alert %s reads markd_source_up of every kind: the reuse history (kind store) is no scanner", r.Alert)
			}
		}
	}
	for _, c := range []struct{ failure, needs string }{
		{"store cannot write", "markd_store_errors_total"},
		{"store still cannot write, no scan since", "markd_store_up==0"},
		{"store's disk filling up, before scans fail", "markd_store_disk_free_bytes"},
		{"scans answered ERROR, whatever the cause", `markd_scans_total{verdict="ERROR"}`},
		{"scans rejected in a burst", `markd_scans_total{verdict="REJECT"}`},
		{"a scanner down", `markd_source_up{kind!="store"}`},
		{"collector unreachable", "markd_sync_last_success_timestamp_seconds>0"},
		{"collector never reached since the start, records waiting", "time()-process_start_time_seconds"},
		{"upload backlog growing", "markd_sync_oldest_pending_age_seconds"},
		{"clock off the collector's", "markd_sync_clock_skew_seconds"},
		{"clock beyond the counter's own limit", "markd_sync_clock_limit_seconds"},
		{"clock wrong on its own readings (before 2020, gone back, far past the lists)", `markd_sync_clock_wrong{reason!="skew"}`},
		{"lists stale", "markd_sync_lists_age_seconds"},
		{"lists past the counter's own warn limit", "markd_sync_lists_warn_seconds"},
		{"lists past the hard limit: acceptances refused", "markd_sync_lists_hard_seconds"},
		{"cross-office reuse alert from the collector", "markd_sync_alerts_received_total"},
		{"reused marks rejected at the counter", `markd_reject_reasons_total{reason="REUSED"}`},
		{"a new list or config refused", `markd_list_reloads_total{result="refused"}`},
		{"an issuer key of the keyring distrusted: its marks all REJECT", "markd_keyring_distrusted_keys>0"},
		{"records the collector refused", "markd_sync_refused_total"},
		{"uploads refused for a reason waiting does not mend (token revoked, certificate, redirect)", "markd_sync_upload_failing"},
		{"reuse history of a new store not restored", `markd_source_up{kind="store"}`},
	} {
		found := false
		for _, e := range exprs {
			found = found || strings.Contains(e, c.needs)
		}
		if !found {
			t.Errorf("no alert for %s (an expression reading %s)", c.failure, c.needs)
		}
	}
}

// TestMetricsDocumented: every metric a daemon registers is named in
// docs/operations.md (the counter's /metrics) or docs/api.md (the sync
// metrics as `markd_sync_*` suffixes, the collector's), so an engineer
// who meets it on a dashboard can look it up.
func TestMetricsDocumented(t *testing.T) {
	names := registered(t)
	var docs strings.Builder
	for _, f := range []string{"../docs/operations.md", "../docs/api.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
	}
	text := docs.String()
	var missing []string
	for n := range names {
		if !strings.HasPrefix(n, "markd_") && !strings.HasPrefix(n, "markhub_") {
			continue
		}
		short, isSync := strings.CutPrefix(n, "markd_sync_")
		if !strings.Contains(text, "`"+n) && !(isSync && strings.Contains(text, "`"+short+"`")) {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics in no document: %v", missing)
	}
}

// TestDocumentedMetricsExist is TestMetricsDocumented the other way: every
// metric a user document (docs/operations.md, docs/api.md, the operator
// guide, install-windows.md, scaling.md, the README, …: testdata.UserDocs)
// names in backticks is one a daemon registers, so a renamed or removed
// metric does not stay in the documents for an engineer to build an alert
// on.
func TestDocumentedMetricsExist(t *testing.T) {
	names := registered(t)
	fence := regexp.MustCompile("(?s)```.*?```") // code blocks: their backticks would pair the spans wrongly
	span := regexp.MustCompile("`([^`]+)`")
	for _, doc := range testdata.UserDocs {
		f := filepath.Join("..", doc)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := fence.ReplaceAllString(string(b), "")
		if (doc == "docs/operations.md" || doc == "docs/api.md") &&
			!strings.Contains(text, "`markd_scans_total") && !strings.Contains(text, "`markhub_requests_total") {
			t.Fatalf("%s: no metric found in backticks; the reading of the file is wrong", f)
		}
		for _, loc := range span.FindAllStringSubmatchIndex(text, -1) {
			if strings.HasPrefix(text[loc[1]:], " cookie") {
				continue // `markd_lang` cookie: a name of the pages, not a metric
			}
			for _, ref := range unknown(text[loc[2]:loc[3]], names) {
				if !strings.HasSuffix(ref, "_") { // `markd_sync_*`: a prefix, not a name
					t.Errorf("%s names %s, which no daemon registers", f, ref)
				}
			}
		}
	}
}
