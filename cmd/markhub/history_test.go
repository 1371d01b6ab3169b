package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
)

// TestNewStoreRestoresHistory: an office's counter lost its store and was
// set up again with `markd init`. Until it has restored from markhub the
// serials its office used, every mark is ERROR "reuse history not
// restored" (here markhub is down at first); afterwards a mark the office
// accepted before is REUSED, with the collector's record as the first
// acceptance, and a new one is accepted.
func TestNewStoreRestoresHistory(t *testing.T) {
	markhub, markd := buildBinaries(t)
	dir := t.TempDir()
	hubDB := filepath.Join(dir, "hub.db")
	addr := freePort(t)
	token := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db", hubDB)
	publishTestKeyring(t, "sqlite", hubDB)
	// The office's history: 1500 serials uploaded by the old store.
	old, oldIDs := counterStore(t, t.TempDir(), 1500, 900, 426000)
	hubP := start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), old, "http://"+addr, token, 500))
	hubP.kill()

	// The new counter store, with the test issuer's keyring.
	ring, err := issuer.MarshalKeyring([]issuer.Key{hubtest.IssuerKey()})
	if err != nil {
		t.Fatal(err)
	}
	keyring, tariffs := filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "tariffs.yaml")
	for f, b := range map[string][]byte{keyring: ring, tariffs: []byte(hubtest.Tariffs)} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf("office: 426000\ncounter: \"1\"\nkeyring: %s\ntariffs: %s\ndb: %s\nhttp:\n  listen: 127.0.0.1:0\n"+
		"sync:\n  url: http://%s\n  token: %s\n  batch_age: 50ms\n  interval: 200ms\n  max_backoff: 300ms\n",
		keyring, tariffs, filepath.Join(dir, "markd.db"), addr, token)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run1(t, markd, "init", "--config", cfg)
	cmd := exec.Command(markd, "run", "--config", cfg, "--clock", testdata.Now().Format(time.RFC3339))
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // cleanup
	lines := bufio.NewScanner(stdout)
	type out struct {
		Verdict       mark.Verdict     `json:"verdict"`
		Reasons       []mark.Reason    `json:"reasons"`
		Message       string           `json:"message"`
		FirstAccepted *mark.Acceptance `json:"first_accepted"`
	}
	scan := func(serial uint64) out {
		t.Helper()
		if _, err := io.WriteString(stdin, hubtest.Sign(hubtest.TestMark(serial, 426000))+"\n"); err != nil {
			t.Fatal(err)
		}
		if !lines.Scan() {
			t.Fatalf("markd run ended: %v", lines.Err())
		}
		var o out
		if err := json.Unmarshal(lines.Bytes(), &o); err != nil {
			t.Fatalf("line %q: %v", lines.Text(), err)
		}
		return o
	}
	for _, serial := range []uint64{900, 5000} {
		if o := scan(serial); o.Verdict != mark.Error || !strings.Contains(o.Message, "Reuse history not restored") {
			t.Fatalf("serial %d before the history: %+v", serial, o)
		}
	}
	start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	deadline := time.Now().Add(time.Minute)
	for {
		o := scan(901)
		if o.Verdict == mark.Reject {
			if len(o.Reasons) != 1 || o.Reasons[0] != mark.ReasonReused || o.FirstAccepted == nil || o.FirstAccepted.RecordID != oldIDs[1] {
				t.Fatalf("serial the office used: %+v %+v", o, o.FirstAccepted)
			}
			break
		}
		if o.Verdict != mark.Error || time.Now().After(deadline) {
			t.Fatalf("serial 901 while restoring: %+v", o)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if o := scan(2399); o.Verdict != mark.Reject { // the last of the history
		t.Fatalf("serial 2399: %+v", o)
	}
	if o := scan(5000); o.Verdict != mark.Accept {
		t.Fatalf("new serial after the history: %+v", o)
	}
}
