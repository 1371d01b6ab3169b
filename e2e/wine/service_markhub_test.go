//go:build wine

package wine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWineMarkhubService walks markhub's Windows service through wine's
// service manager as TestWineService does markd's: install (a config in a
// temp folder; wine lacks recovery actions: install warns, and the
// service's start says in its log that it cannot set them), a second
// install refused, status, start, /healthz of the served address, stop
// (serve stops cleanly: "markhub stopped" in the log), a config that does
// not load (stopped and not restarted), the port taken (service code 1,
// restarted on Windows), uninstall (the data folder stays), status.
func TestWineMarkhubService(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "markhub.yaml")
	body := fmt.Sprintf("db: '%s'\nlisten: %%s\nlog:\n  format: json\n", winPath(filepath.Join(tmp, "hub.db")))
	write := func(b string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(body, "127.0.0.1:0"))
	markhub := withConfig(t, "MARKHUB_EXE", cfg)
	must := func(want string, args ...string) string {
		t.Helper()
		out, err := markhub(args...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("markhub %s: %v: %q, want %q in it", strings.Join(args, " "), err, out, want)
		}
		return out
	}
	dataDir := filepath.Join(os.Getenv("WINEPREFIX"), "drive_c", "ProgramData", "markhub")
	// the folder install makes: gone afterwards, for a later
	// TestWineMarkhubFirstStart in the same prefix
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	out := must("installed service markhub (automatic start, restart on failure)", "service", "install")
	t.Cleanup(func() { markhub("service", "uninstall") })
	if !strings.Contains(out, "cannot restart markhub on failure") {
		t.Errorf("install under wine: %q, want the warning that this service manager cannot restart it", out)
	}
	if out, _ := markhub("service", "install"); !strings.Contains(out, "service markhub is already installed") {
		t.Errorf("second install: %q, want already installed", out)
	}
	// (wine's service manager does not show the command line to status)
	must("service markhub: stopped", "service", "status")
	logFile := filepath.Join(dataDir, "logs", "markhub.log")
	from := func() int64 {
		if fi, err := os.Stat(logFile); err == nil {
			return fi.Size()
		}
		return 0
	}
	since := func(off int64) string {
		b, _ := os.ReadFile(logFile)
		if int64(len(b)) < off {
			return string(b)
		}
		return string(b[off:])
	}
	off := from()
	must("service markhub running", "service", "start")
	must("service markhub: running", "service", "status")
	addr := ""
	for deadline := time.Now().Add(limit); addr == ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no \"markhub serving\" line in %s:\n%s", logFile, since(off))
		}
		addr = servingAddr(since(off))
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/healthz of the service: %d", res.StatusCode)
	}
	// wine's service manager has no recovery actions: the start says so
	// once, as a warning naming why, and serves all the same
	log := since(off)
	if n := strings.Count(log, "restart on failure (recovery actions)"); n != 1 ||
		!strings.Contains(log, `"level":"WARN"`) || !strings.Contains(log, "no recovery actions (wine's)") {
		t.Errorf("the start's recovery-actions line (%d of them), want one warning naming wine's lack:\n%s", n, log)
	}
	off = from()
	must("service markhub stopped", "service", "stop")
	if log := since(off); !strings.Contains(log, `"msg":"markhub stopped"`) {
		t.Errorf("stop: serve did not stop cleanly, log:\n%s", log)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("/healthz answered after the stop")
	}

	// a config that does not load: stopped for good, said in the log
	write(fmt.Sprintf(body, "127.0.0.1:0") + "lisen: 1\n")
	off = from()
	if out, err := markhub("service", "start"); err == nil || !strings.Contains(out, "stopped right after the start and is not restarted") {
		t.Errorf("start on a config that does not load: %v, want not restarted:\n%s", err, out)
	}
	if log := since(off); !strings.Contains(log, `unknown key \"lisen\"`) || !strings.Contains(log, "markhub service stopped and is not restarted") {
		t.Errorf("the log of a config that does not load:\n%s", log)
	}
	// the port taken: a failure a restart may mend, service code 1
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write(fmt.Sprintf(body, l.Addr().String()))
	if out, err := markhub("service", "start"); err == nil || !strings.Contains(out, "service code 1") || strings.Contains(out, "not restarted") {
		t.Errorf("start with the port taken: %v, want service code 1, restarted:\n%s", err, out)
	}

	must(`removed service markhub; C:\ProgramData\markhub (config, store, distribution key, logs) stays`, "service", "uninstall")
	if out, err := markhub("service", "status"); err == nil || !strings.Contains(out, "service markhub is not installed") {
		t.Errorf("status after uninstall: %v %q", err, out)
	}
}

// servingAddr is the addr of the last "markhub serving" record of a JSON
// log.
func servingAddr(log string) string {
	addr := ""
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "markhub serving" {
			addr, _ = m["addr"].(string)
		}
	}
	return addr
}
