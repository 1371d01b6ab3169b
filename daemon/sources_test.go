package daemon

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/config"
	"markd/internal/syncbuf"
	"markd/internal/testdata"
	"markd/mark"
	"markd/scanner"
)

// TestSerialConfigMapsKeys: every key of a serial source reaches the
// scanner's config (a key left out is silently the default on the wire).
func TestSerialConfigMapsKeys(t *testing.T) {
	c := config.Source{Kind: "serial", Port: "/dev/ttyS0", Baud: 19200, Parity: "even", DataBits: 7, Terminator: "CRLF",
		MaxLine: 300, Idle: 3 * time.Second, GoodBeep: `\x07`, BadBeep: `\x07\x07`}
	sc, err := SerialConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Port != c.Port || sc.Baud != 19200 || sc.Parity != "even" || sc.DataBits != 7 || string(sc.Terminator) != "\r\n" ||
		sc.MaxLine != 300 || sc.Idle != 3*time.Second || string(sc.GoodBeep) != "\a" || string(sc.BadBeep) != "\a\a" {
		t.Errorf("SerialConfig = %+v", sc)
	}
	if sc, _ := SerialConfig(config.Source{Kind: "serial", Port: "/dev/ttyS0"}); sc.Baud != 9600 {
		t.Errorf("default baud %d, want 9600", sc.Baud)
	}
	if _, err := SerialConfig(config.Source{Kind: "serial", Port: "/dev/ttyS0", Terminator: `\xZZ`}); err == nil {
		t.Errorf("bad terminator: %v, want an error", err)
	}
}

// TestCameraMissingOthersServe runs the daemon with a stdin source and a
// camera whose device does not exist (unplugged, or the config names the
// wrong one): the daemon starts, the log names the camera's config key and
// device, /healthz and /metrics show the camera down, and scans from the
// other source are judged meanwhile.
func TestCameraMissingOthersServe(t *testing.T) {
	c := testConfig(t)
	c.Log = config.LogConfig{Level: "info", Format: "text"}
	device := filepath.Join(t.TempDir(), "video7")
	c.Sources = []config.Source{{Kind: "stdin", Name: "keys"}, {Kind: "camera", Name: "cam", Input: device, Format: "v4l2"}}
	in, feed := io.Pipe()
	defer feed.Close()
	var logs syncbuf.Buffer
	r := start(t, Options{Config: c, Stdin: in, Stderr: &logs})
	get := func(path string) string {
		resp, err := http.Get(r.HTTP.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	testdata.Wait(t, 30*time.Second, "the camera's warning", func() bool { return strings.Contains(logs.String(), "camera not available") })
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "camera not available") {
			line = l
		}
	}
	for _, w := range []string{"key=sources[1].input", "input=" + device, "markd doctor"} {
		if !strings.Contains(line, w) {
			t.Errorf("log line %q: want %q in it", line, w)
		}
	}
	fmt.Fprintln(feed, signed(t, 9201))
	if rec := r.next(t); rec.Verdict != mark.Accept || rec.Source != "keys" {
		t.Errorf("stdin scan beside a missing camera: %s from %q, want ACCEPT from keys", rec.Verdict, rec.Source)
	}
	if h := get("/healthz"); !strings.Contains(h, "camera not found: no such device "+device) {
		t.Errorf("/healthz does not say the camera is not found: %s", h)
	}
	m := get("/metrics")
	for _, w := range []string{`markd_source_up{kind="camera",source="cam"} 0`, `markd_source_up{kind="stdin",source="keys"} 1`,
		`markd_source_events_total{event="frame_dropped",kind="camera",source="cam"} 0`,
		`markd_source_events_total{event="reconnect",kind="camera",source="cam"} 0`} {
		if !strings.Contains(m, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}

// TestCameraDefaultsMatch: the defaults config names in its messages are
// the ones the camera source takes.
func TestCameraDefaultsMatch(t *testing.T) {
	if config.DefaultCameraWidth != scanner.DefaultCameraWidth || config.DefaultCameraHeight != scanner.DefaultCameraHeight ||
		config.DefaultCameraFPS != scanner.DefaultCameraFPS {
		t.Errorf("config's camera defaults %dx%d@%d, the source's %dx%d@%d", config.DefaultCameraWidth, config.DefaultCameraHeight,
			config.DefaultCameraFPS, scanner.DefaultCameraWidth, scanner.DefaultCameraHeight, scanner.DefaultCameraFPS)
	}
}

// TestStdinSourceOnNullDevice: a stdin source where stdin is the null
// device (markd run as a systemd service with the shipped config) is
// warned about at start, naming the source and what to configure instead;
// a pipe is not.
func TestStdinSourceOnNullDevice(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip("no null device:", err)
	}
	defer null.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for _, tc := range []struct {
		name  string
		stdin io.Reader
		warn  bool
	}{{"null device", null, true}, {"pipe", pr, false}, {"reader", strings.NewReader("x\n"), false}} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		if _, err := Sources([]config.Source{{Kind: "stdin", Name: "keyboard"}}, tc.stdin, log, nil, nil); err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(buf.String(), "level=WARN") && strings.Contains(buf.String(), "source=keyboard") &&
			strings.Contains(buf.String(), "serial, wedge or camera")
		if got != tc.warn {
			t.Errorf("%s: log %q, want a warning %v", tc.name, buf.String(), tc.warn)
		}
	}
}
