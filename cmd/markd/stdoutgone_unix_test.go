//go:build !windows

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
)

// TestRunOutlivesStdoutReader: markd run whose stdout reader went away
// (markd run | tee FILE with tee stopped, a log shipper restarted) was
// killed by SIGPIPE at the next verdict line: the counter stopped taking
// scans. It now keeps judging and recording; the lines are lost, the
// records are in the store.
func TestRunOutlivesStdoutReader(t *testing.T) {
	bin := dmBinary(t)
	cfg := dmConfig(t, t.TempDir(), "")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &dmProc{cmd: exec.Command(bin, "run", "--config", cfg, "--clock", testdata.Now().Format(time.RFC3339))}
	p.cmd.Stdout = w
	p.cmd.Stderr = dmLogWriter{p}
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r.Close() // nobody reads stdout any more
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("markd run stderr:\n%s", p.stderr())
		}
	})
	base := strings.TrimPrefix(p.waitLog(t, listenURL, 0)[0], "url=")
	accepted := func(n int) {
		t.Helper()
		want := fmt.Sprintf("markd_scans_total{verdict=\"ACCEPT\"} %d\n", n)
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
			select {
			case err := <-exited:
				t.Fatalf("markd run ended with its stdout reader gone: %v", err)
			default:
			}
			resp, err := http.Get(base + "/metrics")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if strings.Contains(string(b), want) {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no %q within a minute", want)
	}
	marks := dmMarks(t, 2, 5_100_000)
	for i, m := range marks {
		fmt.Fprintln(stdin, m)
		accepted(i + 1)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Errorf("markd run after SIGTERM: %v", err)
	}
}
