package e2e

import (
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// TestDemoScript runs `make demo`'s script as a newcomer would (not from
// a terminal, so the daemon stops when the demo is done) and holds what
// it prints to what it did: the count of stored verdicts is the store's,
// and after the daemon stopped it does not leave the pages' addresses as
// the last word without saying they are gone and how to serve them.
func TestDemoScript(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed: the demo's batch step needs it")
	}
	bin := markdBinary(t)
	dir := filepath.Join(t.TempDir(), "demo")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

	cmd := exec.Command("bash", "scripts/demo.sh")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "BIN="+bin, "DEMO_DIR="+dir, "DEMO_PORT="+port, "DEMO_KEEP=0", "DEMO_PACE=0.05")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	text := string(out)

	db, err := sql.Open("sqlite3", filepath.Join(dir, "markd.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored int
	if err := db.QueryRow(`SELECT count(*) FROM scans`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(\d+) verdicts stored in `).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("demo output says nothing of the verdicts stored:\n%s", text)
	}
	if m[1] != strconv.Itoa(stored) {
		t.Errorf("demo says %s verdicts stored; the store holds %d:\n%s", m[1], stored, text)
	}
	if !strings.Contains(text, "daemon stopped") || !strings.Contains(text, "run --config "+dir+"/markd.yaml") {
		t.Errorf("demo stopped its daemon but does not say so, nor how to serve the pages again:\n%s", text)
	}
}
