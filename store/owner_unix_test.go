//go:build !windows

package store

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"markd/mark"
)

// TestRootOwnedStoreRefused: a store root made, opened by another user
// (the service user), is refused at open with the chown to run, instead of
// answering every scan with "readonly database". Needs root to switch user.
func TestRootOwnedStoreRefused(t *testing.T) {
	if path := os.Getenv("MARKD_TEST_OPEN_STORE"); path != "" {
		_, err := OpenExisting(context.Background(), path, quiet)
		if err == nil {
			os.Exit(0)
		}
		os.Stderr.WriteString(err.Error() + "; hint: " + mark.Hint(err))
		os.Exit(3)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a child as another user")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil { // the child may look, not write
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "markd.db")
	db, err := Create(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	bin := filepath.Join(dir, "store.test") // the build folder is root's only
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestRootOwnedStoreRefused$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MARKD_TEST_OPEN_STORE="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || !strings.Contains(string(out), "chown nobody "+path) {
		t.Fatalf("open as nobody: %v\n%s", err, out)
	}
	// The service user's own store made read-only (chmod 444): a chown to
	// that user would change nothing; the hint is the chmod.
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(bin, "-test.run=^TestRootOwnedStoreRefused$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MARKD_TEST_OPEN_STORE="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err = cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || !strings.Contains(string(out), "chmod u+w "+path) || strings.Contains(string(out), "chown") {
		t.Fatalf("open of its own read-only store as nobody: %v\n%s", err, out)
	}
}

// TestRootKeepsOwner: root opening the service user's store (markd user
// add run with sudo) leaves its -wal and -shm to that user.
func TestRootKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	path := filepath.Join(t.TempDir(), "markd.db")
	db, err := Create(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	db, err = OpenExisting(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.AddUser(context.Background(), "olga", RoleOperator, "op-pass-123"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid {
			t.Fatalf("%s owned by uid %d, want %d", p, st.Uid, uid)
		}
	}
}
