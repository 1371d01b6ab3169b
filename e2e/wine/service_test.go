//go:build wine

package wine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
)

// TestWineService walks the Windows service through wine's service
// manager: install (with a config in a temp folder), start, /healthz,
// markd reload over the control channel, status, stop (the control file
// goes), uninstall. Wine lacks failure actions: install warns about that.
func TestWineService(t *testing.T) {
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	db := filepath.Join(tmp, "markd.db")
	cfg := filepath.Join(tmp, "markd.yaml")
	yaml := fmt.Sprintf("office: 426000\ncounter: svc-1\nkeyring: '%s'\ntariffs: '%s'\ndb: '%s'\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  format: json\n",
		winPath(filepath.Join(dir, "keyring.yaml")), winPath(filepath.Join(dir, "tariffs.yaml")), winPath(db))
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	markd := func(args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		out, err := command(t, ctx, "MARKD_EXE", append([]string{"--config", winPath(cfg)}, args...)...).CombinedOutput()
		return string(out), err
	}
	must := func(want string, args ...string) {
		t.Helper()
		out, err := markd(args...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("markd %s: %v: %q, want %q in it", strings.Join(args, " "), err, out, want)
		}
	}
	if out, err := markd("init"); err != nil {
		t.Fatalf("markd init: %v: %s", err, out)
	}
	must("installed service markd", "service", "install")
	t.Cleanup(func() { markd("service", "uninstall") })
	if out, _ := markd("service", "install"); !strings.Contains(out, "already installed") {
		t.Errorf("second install: %q, want already installed", out)
	}
	// The service logs to %ProgramData%\markd\logs\markd.log: the
	// "listening" line it writes after this start has the address.
	drive := filepath.Join(os.Getenv("WINEPREFIX"), "drive_c")
	var from int64
	if f := findFile(drive, filepath.Join("markd", "logs", "markd.log")); f != "" {
		if fi, err := os.Stat(f); err == nil {
			from = fi.Size()
		}
	}
	must("running", "service", "start")
	must("running", "service", "status")
	url := ""
	for deadline := time.Now().Add(limit); url == ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no listening line in the service log")
		}
		url = listenURL(findFile(drive, filepath.Join("markd", "logs", "markd.log")), from)
	}
	res, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/healthz of the service: %d", res.StatusCode)
	}
	must("lists reloaded", "reload")
	// The service reads its config again: a changed key it cannot apply
	// is named as waiting for a restart.
	if err := os.WriteFile(cfg, []byte(strings.Replace(yaml, "counter: svc-1", "counter: svc-2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	must("not in force until markd restarts: counter", "reload")
	must("stopped", "service", "stop")
	if _, err := os.Stat(filepath.Join(tmp, "markd.control")); !os.IsNotExist(err) {
		t.Errorf("control file after stop: %v", err)
	}
	if out, err := markd("reload"); err == nil || !strings.Contains(out, "not running") {
		t.Errorf("reload of a stopped service: %v %q", err, out)
	}
	must("removed service markd", "service", "uninstall")
	if out, err := markd("service", "status"); err == nil || !strings.Contains(out, "not installed") {
		t.Errorf("status after uninstall: %v %q", err, out)
	}
}

// findFile finds the file whose path ends in suffix under root, or "".
func findFile(root, suffix string) string {
	found := ""
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// listenURL is the url of the last "listening" record of a JSON log file
// after its first from bytes.
func listenURL(path string, from int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(from, 0); err != nil {
		return ""
	}
	url := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "listening" {
			url, _ = m["url"].(string)
		}
	}
	return url
}
