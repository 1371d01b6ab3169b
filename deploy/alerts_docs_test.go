package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestAlertsDocumented keeps the alert table of docs/operations.md true:
// every rule of markd-alerts.yml has its row there with the rule's
// severity, and every alert name the user documents quote is a rule, so
// an engineer paged by an alert finds it, and a renamed rule does not
// stay in the documents.
func TestAlertsDocumented(t *testing.T) {
	raw, err := os.ReadFile("prometheus/markd-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf rulesFile
	if err := yaml.Unmarshal(raw, &rf); err != nil {
		t.Fatalf("markd-alerts.yml: %v", err)
	}
	severity := map[string]string{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			severity[r.Alert] = r.Labels["severity"]
		}
	}
	ops, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{} // alert → the cells of its row in the table
	for _, line := range strings.Split(string(ops), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) < 4 || !strings.HasPrefix(cells[0], "| `Mark") {
			continue
		}
		rows[strings.Trim(strings.TrimPrefix(cells[0], "| "), "`")] = cells
	}
	if len(rows) < 8 {
		t.Fatalf("docs/operations.md: %d alert rows found; the reading of the table is wrong", len(rows))
	}
	for name, sev := range severity {
		cells, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("alert %s has no row in the alert table of docs/operations.md", name)
		case strings.TrimSpace(cells[1]) != sev:
			t.Errorf("docs/operations.md gives alert %s severity %q; the rule says %q", name, cells[1], sev)
		}
	}
	quoted := regexp.MustCompile("`(Markd[A-Z][A-Za-z]+|Markhub[A-Z][A-Za-z]+)`")
	for _, f := range []string{"../README.md", "../docs/operations.md", "../docs/api.md", "../docs/install-windows.md",
		"../docs/operator-guide.md", "../docs/local-api.md", "../docs/scaling.md", "../docs/ARCHITECTURE.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range quoted.FindAllStringSubmatch(string(b), -1) {
			if _, ok := severity[m[1]]; !ok {
				t.Errorf("%s names alert %s, which markd-alerts.yml does not have", f, m[1])
			}
		}
	}
}
