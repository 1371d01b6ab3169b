package specoracle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"

	"markd/internal/testdata"
)

var flagBinary = flag.Bool("oracle.binary", false, "also build cmd/markd and compare `markd verify --at` with the oracle (slow: a build)")

// verifyLine is one output line of markd verify.
type verifyLine struct {
	Line    int           `json:"line"`
	Verdict string        `json:"verdict"`
	Reasons []string      `json:"reasons"`
	Mark    *vectorFields `json:"mark"`
}

// TestOracleAgreesWithBinary runs the generated marks through the real
// `markd verify` (one process a scene, the texts on stdin, --at the
// scene's instant and --tz its zone: the acceptance day is markd's own
// reckoning) and compares every line with the oracle. Behind
// -oracle.binary: it builds cmd/markd.
func TestOracleAgreesWithBinary(t *testing.T) {
	if !*flagBinary {
		t.Skip("needs -oracle.binary (builds cmd/markd)")
	}
	cryptotest.SetGlobalRandom(t, *flagSeed)
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "markd")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, "markd/cmd/markd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(tmp, "markd.yaml")
	write(t, cfg, "office: 999999 # the flags win\n")
	// The machine's zone must not matter; no MARKD_* variable of the
	// caller's may change the config.
	env := []string{"TZ=Pacific/Chatham", "HOME=" + tmp}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MARKD_") && !strings.HasPrefix(kv, "TZ=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	n := *flagN / 4
	for wi, w := range []*world{sharedWorld(t, dir), edgeWorld(t, dir)} {
		t.Run(w.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(*flagSeed, 100+uint64(wi)))
			bad := 0
			for si, sc := range scenes {
				at, loc := sc.time(t)
				var texts []string
				for len(texts) < n/len(scenes) {
					c := w.gen(t, r, acceptanceDay(at, loc), si)
					// One text a line: no line breaks inside, no byte-order
					// mark first, nothing over the line limit.
					if strings.ContainsAny(strings.TrimRight(c.text, "\r\n"), "\r\n") || len(c.text) > 4096 ||
						strings.HasPrefix(c.text, "\ufeff") {
						continue
					}
					texts = append(texts, strings.TrimRight(c.text, "\n"))
				}
				cmd := exec.Command(bin, "verify", "--config", cfg, "--keyring", w.keyring, "--tariffs", w.tariffs,
					"--revoked", w.revo, "--office", strconv.FormatUint(uint64(sc.office), 10), "--tz", sc.tz,
					"--at", sc.at, "--weight", strconv.Itoa(sc.measured))
				cmd.Env = env
				cmd.Stdin = strings.NewReader(strings.Join(texts, "\n") + "\n")
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("scene %s: markd verify: %v\n%s", sc.name, err, stderr.String())
				}
				lines := bufio.NewScanner(bytes.NewReader(out))
				lines.Buffer(nil, 1<<20)
				i := 0
				for ; lines.Scan(); i++ {
					var l verifyLine
					if err := json.Unmarshal(lines.Bytes(), &l); err != nil {
						t.Fatalf("scene %s line %d: %v: %s", sc.name, i+1, err, lines.Bytes())
					}
					if i >= len(texts) || l.Line != i+1 {
						t.Fatalf("scene %s: output line %d is for input line %d of %d", sc.name, i+1, l.Line, len(texts))
					}
					got := oResult{verdict: l.Verdict, reasons: l.Reasons}
					if got.reasons == nil {
						got.reasons = []string{}
					}
					if l.Mark != nil {
						f := l.Mark.oracle(t)
						got.fields = &f
					}
					if d := differ(w.o.judge(texts[i], oCtxOf(sc, at, loc)), got); d != "" {
						if bad++; bad <= 10 {
							t.Errorf("scene %s line %d: %s\n  text %.300q", sc.name, i+1, d, texts[i])
						}
					}
				}
				if i != len(texts) {
					t.Fatalf("scene %s: %d output lines for %d texts", sc.name, i, len(texts))
				}
			}
			if bad > 0 {
				t.Errorf("%d disagreements", bad)
			}
			t.Logf("%d texts in %d scenes", n/len(scenes)*len(scenes), len(scenes))
		})
	}
}
