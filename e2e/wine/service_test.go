//go:build wine

package wine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
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
// goes), uninstall. Wine lacks failure actions: install warns about that,
// and so does the service's start, which sets them when there are none.
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
	markd := withConfig(t, "MARKD_EXE", cfg)
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
	// The start checks the service's recovery actions (the MSI registers
	// it without): wine has none, which it says once, as a warning naming
	// why, and runs all the same.
	if b, err := os.ReadFile(findFile(drive, filepath.Join("markd", "logs", "markd.log"))); err == nil {
		log := string(b[from:])
		if n := strings.Count(log, "restart on failure (recovery actions)"); n != 1 ||
			!strings.Contains(log, `"level":"WARN"`) || !strings.Contains(log, "no recovery actions (wine's)") {
			t.Errorf("the start's recovery-actions line (%d of them), want one warning naming wine's lack:\n%s", n, log)
		}
	}
	must("lists reloaded", "reload")
	// markd reload with another store's config (a shell's MARKD_CONFIG, a
	// copy of the config) finds no daemon there: it names the store it
	// looked for and the service, by its pointer in %ProgramData%\markd,
	// with the command that reloads it, and reloads nothing.
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte(strings.Replace(yaml, winPath(db), winPath(filepath.Join(filepath.Dir(other), "other.db")), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	pointers := func() []string {
		var found []string
		_ = filepath.WalkDir(filepath.Join(drive, "ProgramData", "markd"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".daemon") {
				found = append(found, p)
			}
			return nil
		})
		return found
	}
	if p := pointers(); len(p) != 1 {
		t.Errorf("pointers of the running service in %%ProgramData%%\\markd: %v, want 1", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	out, err := command(t, ctx, "MARKD_EXE", "--config", winPath(other), "reload").CombinedOutput()
	cancel()
	for _, want := range []string{"not running", "other.db", winPath(db), "markd reload --config " + winPath(cfg)} {
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("reload with another store's config: %v, want %q in:\n%s", err, want, out)
		}
	}
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
	if p := pointers(); len(p) != 0 {
		t.Errorf("pointers after stop: %v", p)
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

// TestWineServiceNotRestarted: the Windows service on a config that does
// not load, then on a store that is missing, stops with an Event Log and
// markd.log line that names the error and says it is not restarted, and
// reports a clean stop to the Service Control Manager, so that the
// recovery actions of markd service install (restart after 5 s, 30 s,
// then every minute, on any failure) do not start it again and again: a
// restart cannot mend either. markd service start says so. A failure a
// restart may mend (http.listen's port taken) keeps its service code 1,
// on which Windows restarts it (wine has no recovery actions: that last
// step is Windows' own).
func TestWineServiceNotRestarted(t *testing.T) {
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "markd.yaml")
	good := fmt.Sprintf("office: 426000\ncounter: svc-1\nkeyring: '%s'\ntariffs: '%s'\ndb: '%s'\nhttp:\n  listen: %%s\nlog:\n  format: json\n",
		winPath(filepath.Join(dir, "keyring.yaml")), winPath(filepath.Join(dir, "tariffs.yaml")), winPath(filepath.Join(tmp, "missing.db")))
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	markd := func(args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		out, err := command(t, ctx, "MARKD_EXE", append([]string{"--config", winPath(cfg)}, args...)...).CombinedOutput()
		return string(out), err
	}
	write(fmt.Sprintf(good, "127.0.0.1:0") + "ofice: 1\n")
	if out, err := markd("service", "install"); err != nil {
		t.Fatalf("markd service install: %v: %s", err, out)
	}
	t.Cleanup(func() { markd("service", "uninstall") })
	drive := filepath.Join(os.Getenv("WINEPREFIX"), "drive_c")
	logFrom := func() int64 {
		if fi, err := os.Stat(findFile(drive, filepath.Join("markd", "logs", "markd.log"))); err == nil {
			return fi.Size()
		}
		return 0
	}
	logSince := func(from int64) string {
		b, _ := os.ReadFile(findFile(drive, filepath.Join("markd", "logs", "markd.log")))
		if int64(len(b)) < from {
			return string(b)
		}
		return string(b[from:])
	}
	for _, c := range []struct {
		name, body, want string
	}{
		{"a config that does not load", fmt.Sprintf(good, "127.0.0.1:0") + "ofice: 1\n", `unknown key \"ofice\"`},
		{"a store that is missing", fmt.Sprintf(good, "127.0.0.1:0"), `missing.db does not exist`},
	} {
		write(c.body)
		from := logFrom()
		out, err := markd("service", "start")
		if err == nil || !strings.Contains(out, "stopped right after the start and is not restarted") {
			t.Errorf("%s: markd service start: %v, want it to say the service stopped and is not restarted:\n%s", c.name, err, out)
		}
		log := logSince(from)
		if !strings.Contains(log, c.want) || !strings.Contains(log, "not restarted") {
			t.Errorf("%s: the service log lacks %s and \"not restarted\":\n%s", c.name, c.want, log)
		}
		if out, _ := markd("service", "status"); !strings.Contains(out, "service markd: stopped") {
			t.Errorf("%s: markd service status: %s", c.name, out)
		}
	}
	// A failure a restart may mend: service code 1, restarted by Windows.
	if out, err := markd("init", "--db", winPath(filepath.Join(tmp, "missing.db"))); err != nil {
		t.Fatalf("markd init: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write(fmt.Sprintf(good, l.Addr().String()))
	out, err := markd("service", "start")
	if err == nil || !strings.Contains(out, "service code 1") || strings.Contains(out, "not restarted") {
		t.Errorf("port taken: markd service start: %v, want service code 1, restarted:\n%s", err, out)
	}
}
