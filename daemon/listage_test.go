package daemon

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/internal/testdata"
)

// TestFileListsAge: lists kept as files (no signed bundles) have an age on
// /metrics like a bundle's, markd_sync_lists_age_seconds, so
// MarkdListsStale sees a counter whose file copies stopped arriving. The
// formats carry no date of issue: the age is the time since the newest of
// the files in force was modified. A file refused at a reload does not
// make the lists younger.
func TestFileListsAge(t *testing.T) {
	td := testdata.Dir(t)
	tmp := t.TempDir()
	// put writes a list file as a distribution does (a temporary file
	// renamed over it) with the modification time mod.
	put := func(name string, data []byte, mod time.Time) string {
		t.Helper()
		path, part := filepath.Join(tmp, name), filepath.Join(tmp, "."+name+".part")
		if err := os.WriteFile(part, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(part, mod, mod); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(part, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(td, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c := testConfig(t)
	c.Keyring = put("keyring.yaml", read("keyring.yaml"), testNow.Add(-400*time.Hour))
	c.Tariffs = put("tariffs.yaml", read("tariffs.yaml"), testNow.Add(-300*time.Hour))
	c.Revoked = put("revoked.txt", []byte("# version: r1\n1001\n"), testNow.Add(-50*time.Hour))
	in, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	r := start(t, Options{Config: c, Stdin: in})

	age := func() time.Duration {
		t.Helper()
		return time.Duration(gaugeValue(t, r.Metrics.Registry(), "markd_sync_lists_age_seconds") * float64(time.Second))
	}
	if got := age(); got != 50*time.Hour {
		t.Fatalf("lists as files, the newest modified 50 h ago: age %v, want 50h", got)
	}
	put("revoked.txt", []byte("# version: r2\n1001\n1002\n"), testNow.Add(-time.Hour))
	if _, err := r.Reload("test"); err != nil {
		t.Fatal(err)
	}
	if got := age(); got != time.Hour {
		t.Fatalf("a new revocation list an hour old reloaded: age %v, want 1h", got)
	}
	put("tariffs.yaml", []byte("currency: RUB\nversions: [\n"), testNow.Add(-time.Minute))
	if _, err := r.Reload("test"); err == nil {
		t.Fatal("a broken tariff file was reloaded")
	}
	if got := age(); got != time.Hour {
		t.Fatalf("a broken tariff file refused: age %v, want still 1h (the lists in force)", got)
	}
}

// gaugeValue reads the one value of a gauge on reg.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}
