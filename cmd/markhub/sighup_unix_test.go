//go:build unix

package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/internal/syncbuf"
	"markd/internal/testdata"
)

// TestServeSIGHUPKeepsServing: markhub serve given SIGHUP (systemctl
// reload of a unit copied from markd's, whose ExecReload sends it, after
// an edit of the config) died of the signal at once, uploads in flight
// cut and no clean stop; it now keeps serving and logs that it does not
// read its config again and what does (a restart), then stops cleanly
// on SIGTERM.
func TestServeSIGHUPKeepsServing(t *testing.T) {
	markhub, _ := buildBinaries(t)
	cmd := exec.Command(markhub, "serve", "--db", filepath.Join(t.TempDir(), "hub.db"), "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "LOG_LEVEL=info")
	var logs syncbuf.Buffer
	cmd.Stderr = &logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("markhub serve did not start: %q %v\n%s", line, err, logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testdata.Wait(t, 30*time.Second, "the SIGHUP logged", func() bool {
		return strings.Contains(logs.String(), "SIGHUP: markhub does not read its config again")
	})
	res, err := http.Get("http://" + addr + "/healthz/live")
	if err != nil {
		t.Fatalf("after SIGHUP: %v (markhub serve gone?)\n%s", err, logs.String())
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("after SIGHUP: /healthz/live %d", res.StatusCode)
	}
	if !strings.Contains(logs.String(), "restart markhub serve") {
		t.Errorf("the SIGHUP line does not say what applies a changed config:\n%s", logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
}
