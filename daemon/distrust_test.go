package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"markd/decode"
	"markd/internal/syncbuf"
	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

// TestDistrustedKeyAtStart: markd run's daemon starts with a keyring
// holding the identity point as key 9 (spec-audit.md item 10: that key
// distrusted, not the keyring refused), logs it once at ERROR naming the
// file, the key id and why, shows it on /metrics
// (markd_keyring_distrusted_keys), and judges through the pipeline and
// the real store (the signature check deferred under the commit) a mark
// anyone forged for key 9 REJECT [BAD_SIGNATURE] and a good mark of key 1
// ACCEPT. A reload with the keyring mended brings the gauge to 0. On the
// code that refused the keyring whole, Open failed.
func TestDistrustedKeyAtStart(t *testing.T) {
	td := testdata.Dir(t)
	data, err := os.ReadFile(filepath.Join(td, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ring := filepath.Join(t.TempDir(), "keyring.yaml")
	weak := string(data) + "  - {id: 9, alg: ed25519, public: AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, valid_from: 2025-01-01, valid_until: 2030-12-31}\n"
	if err := os.WriteFile(ring, []byte(weak), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t)
	c.Keyring = ring
	var log syncbuf.Buffer
	in, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	r := start(t, Options{Config: c, Stdin: in, Log: slog.New(slog.NewTextHandler(&log, nil))})

	l := log.String()
	if n := strings.Count(l, `level=ERROR msg="`+verify.DistrustedMsg+`"`); n != 1 {
		t.Errorf("start: %d ERROR lines naming the distrusted key, want 1:\n%s", n, l)
	}
	for _, want := range []string{ring, "keys[4] (id 9)", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order 1"} {
		if !strings.Contains(l, want) {
			t.Errorf("start log lacks %q:\n%s", want, l)
		}
	}
	if g := gaugeValue(t, r.Metrics.Registry(), "markd_keyring_distrusted_keys"); g != 1 {
		t.Errorf("markd_keyring_distrusted_keys %v, want 1", g)
	}

	day := testdata.Today(nil)
	good := testdata.Signer(t)(testdata.ValidMark(7001, day))
	m := testdata.ValidMark(7002, day)
	m.Version, m.Alg, m.KeyID = 1, mark.AlgEd25519, 9
	body := decode.EncodeBody(m)
	sig := testdata.IdentityForgery(body[:])
	fmt.Fprintln(feed, decode.Encode(body, sig))
	fmt.Fprintln(feed, good)
	for i, want := range []struct {
		verdict mark.Verdict
		reasons []mark.Reason
	}{{mark.Reject, []mark.Reason{mark.ReasonBadSignature}}, {mark.Accept, []mark.Reason{}}} {
		rec := <-r.recs
		if rec.Verdict != want.verdict || !slices.Equal(rec.Reasons, want.reasons) || rec.ID == "" {
			t.Errorf("scan %d: %s %v (id %q), want %s %v stored", i, rec.Verdict, rec.Reasons, rec.ID, want.verdict, want.reasons)
		}
	}

	if err := os.WriteFile(ring, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reload("test"); err != nil {
		t.Fatal(err)
	}
	if g := gaugeValue(t, r.Metrics.Registry(), "markd_keyring_distrusted_keys"); g != 0 {
		t.Errorf("after the keyring was mended: markd_keyring_distrusted_keys %v, want 0", g)
	}
}
