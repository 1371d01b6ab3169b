package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/issuer"
	"markd/verify"
)

func TestKeysNew(t *testing.T) {
	tmp := t.TempDir()
	ring := filepath.Join(tmp, "keyring.yaml")
	for i, alg := range []string{"ed25519", "ecdsa-p256"} {
		out := filepath.Join(tmp, alg+".yaml")
		id := []string{"11", "12"}[i]
		code, stdout, errs := vtRun(t, "", "keys", "new", "--alg", alg, "--id", id, "--out", out, "--keyring", ring,
			"--valid-from", "2026-01-01", "--valid-until", "2026-12-31")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", alg, code, errs)
		}
		st, err := os.Stat(out)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: private key file %v mode %v, want 0600", alg, err, st)
		}
		keys, err := issuer.LoadKeys(out)
		if err != nil || len(keys) != 1 || keys[0].Alg != alg {
			t.Fatalf("%s: key file: %v %+v", alg, err, keys)
		}
		// The printed public entry is itself a valid keyring with this key.
		printed, err := verify.ParseKeyring("stdout", []byte(stdout))
		if err != nil {
			t.Fatalf("%s: printed entry %q: %v", alg, stdout, err)
		}
		if k, ok := printed.Key(keys[0].ID); !ok || k.ValidFrom.String() != "2026-01-01" || k.ValidUntil.String() != "2026-12-31" {
			t.Fatalf("%s: printed entry %q", alg, stdout)
		}
		if strings.Contains(stdout, "private") {
			t.Fatalf("%s: private key printed", alg)
		}
	}
	kr, err := verify.LoadKeyring(ring)
	if err != nil || kr.Len() != 2 {
		t.Fatalf("keyring built by --keyring: %v, %d keys", err, kr.Len())
	}

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"existing file", []string{"--alg", "ed25519", "--id", "13", "--out", filepath.Join(tmp, "ed25519.yaml")}, 1, "already exists"},
		{"duplicate id in keyring", []string{"--alg", "ed25519", "--id", "11", "--out", filepath.Join(tmp, "x.yaml"), "--keyring", ring}, 1, "id 11"},
		{"bad alg", []string{"--alg", "rsa", "--id", "1", "--out", filepath.Join(tmp, "y.yaml")}, 2, "rsa"},
		{"no id", []string{"--alg", "ed25519", "--out", filepath.Join(tmp, "z.yaml")}, 2, "--id"},
		{"until before from", []string{"--alg", "ed25519", "--id", "1", "--out", filepath.Join(tmp, "w.yaml"), "--valid-from", "2026-02-01", "--valid-until", "2026-01-01"}, 2, "before"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := vtRun(t, "", append([]string{"keys", "new"}, c.args...)...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Fatalf("exit %d stderr %q; want exit %d naming %q", code, errs, c.code, c.want)
			}
		})
	}
	if keys, err := issuer.LoadKeys(filepath.Join(tmp, "ed25519.yaml")); err != nil || keys[0].ID != 11 {
		t.Fatalf("refused overwrite changed the file: %v", err)
	}
}

// TestKeysNewRequiredFlags: a required flag left out is named as missing,
// with its values (it said `--alg "": must be …`, as if an empty value had
// been given), and a wrong value is named with what it may be.
func TestKeysNewRequiredFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "k.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "new", "--id", "1", "--out", out}, "--alg ed25519|ecdsa-p256 is required"},
		{[]string{"keys", "new", "--alg", "rsa", "--id", "1", "--out", out}, `--alg "rsa": must be ed25519 or ecdsa-p256`},
		{[]string{"keys", "new", "--alg", "ed25519", "--out", out}, "--id N (0..65535) is required"},
	} {
		code, _, errs := vtRun(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
