// Package deb holds the test of the markd .deb (its maintainer scripts are
// the files beside this one; scripts/deb.sh builds the package).
package deb

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// root is a scratch root: the machine's / under an overlay whose changes
// go to a folder of the test, entered with chroot in a mount namespace of
// its own. dpkg, useradd and the maintainer scripts run there as on a
// counter, and nothing reaches the machine itself.
type root struct {
	t                *testing.T
	upper, work, dir string
}

func newRoot(t *testing.T) *root {
	t.Helper()
	base := t.TempDir()
	r := &root{t: t, upper: filepath.Join(base, "upper"), work: filepath.Join(base, "work"), dir: filepath.Join(base, "root")}
	for _, d := range []string{r.upper, r.work, r.dir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// sh runs script with sh in the scratch root and returns its output; a
// failing script fails the test unless mayFail.
func (r *root) sh(script string, mayFail bool) string {
	r.t.Helper()
	outer := `set -e
mount -t overlay overlay -o lowerdir=/,upperdir="$UPPER",workdir="$WORK" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --rbind /dev "$ROOT/dev"
exec chroot "$ROOT" /bin/sh -c "$SCRIPT"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", outer)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C",
		"DEBIAN_FRONTEND=noninteractive", "UPPER=" + r.upper, "WORK=" + r.work, "ROOT=" + r.dir, "SCRIPT=" + script}
	out, err := cmd.CombinedOutput()
	if err != nil && !mayFail {
		r.t.Fatalf("in the scratch root: %s: %v\n%s", script, err, out)
	}
	return string(out)
}

// want fails the test when got lacks one of subs.
func want(t *testing.T, what, got string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(got, s) {
			t.Errorf("%s: lacks %q:\n%s", what, s, got)
		}
	}
}

// build makes the packages of versions (two versions at once) of this
// tree with scripts/deb.sh, each with its markd and markhub built with that
// version as make dist does, and returns their paths in that order.
//
// The versions differ only in the linker's -X, so each is one go build of
// both commands (the packages compiled once, in the build cache, and two
// links in parallel), and the versions build side by side. dpkg-deb packs
// them uncompressed (DPKG_DEB_COMPRESSOR_TYPE=none; make dist keeps its xz):
// what is tested is what dpkg does with the package, and xz of ~60 MB of
// binaries took most of this test's minutes on a busy machine.
func build(t *testing.T, dir string, versions ...string) []string {
	t.Helper()
	debs := make([]string, len(versions))
	errs := make([]error, len(versions))
	var wg sync.WaitGroup
	for i, version := range versions {
		debs[i] = filepath.Join(dir, "markd_"+version+".deb")
		wg.Go(func() { errs[i] = buildOne(dir, version, debs[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return debs
}

// buildOne builds markd and markhub stamped with version and packs them
// into deb.
func buildOne(dir, version, deb string) error {
	bin := filepath.Join(dir, "bin-"+version)
	if err := os.Mkdir(bin, 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
		"-ldflags", "-X markd/internal/version.Version="+version, "markd/cmd/markd", "markd/cmd/markhub")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build markd and markhub %s: %w\n%s", version, err, out)
	}
	cmd = exec.Command("bash", "../../scripts/deb.sh", bin, runtime.GOARCH, version, deb)
	cmd.Env = append(os.Environ(), "DPKG_DEB_COMPRESSOR_TYPE=none")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/deb.sh %s: %w\n%s", version, err, out)
	}
	return nil
}

// systemctlStub stands in for systemd, which does not run here: it writes
// each call to /tmp/systemctl.log; is-active answers from /tmp/active;
// enable and disable make and remove the link as systemctl does.
const systemctlStub = `#!/bin/sh
echo "$*" >>/tmp/systemctl.log
wants=/etc/systemd/system/multi-user.target.wants
case "$1" in
is-active) [ -e /tmp/active ] ;;
enable) mkdir -p $wants; ln -sf /lib/systemd/system/markd.service $wants/markd.service ;;
disable) rm -f $wants/markd.service ;;
esac
`

// enabled is the shell test of the link systemctl enable makes.
const enabled = "test -L /etc/systemd/system/multi-user.target.wants/markd.service && echo ENABLED || echo DISABLED"

// TestDeb installs the .deb in a scratch root, upgrades it, removes and
// purges it: the user, its groups, the folders' owners and modes, the
// version, the edited config and the store kept, the daemon restarted on
// upgrade only when it was running.
func TestDeb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two packages and installs them: not in -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (dpkg and chroot in a scratch root): run go test as root, or CI")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb", "unshare", "chroot", "useradd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (apt-get install dpkg util-linux passwd)", tool)
		}
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // the markd user reads the binaries in the root
		t.Fatal(err)
	}
	start := time.Now()
	debs := build(t, dir, "1.0.0", "1.0.1")
	deb1, deb2 := debs[0], debs[1]
	t.Logf("built both packages in %v", time.Since(start).Round(time.Second))
	r := newRoot(t)
	if out := r.sh("true", true); out != "" {
		t.Skipf("no scratch root (overlay mount in a mount namespace) here: %s", out)
	}
	// A clean counter: the machine may have markd installed (dist-check);
	// a minimised Debian or Ubuntu image, whose dpkg leaves out
	// /usr/share/doc (the example configs are elsewhere).
	r.sh(`dpkg --purge markd >/dev/null 2>&1 || true
userdel markd 2>/dev/null || true; groupdel markd 2>/dev/null || true
userdel markhub 2>/dev/null || true; groupdel markhub 2>/dev/null || true
rm -rf /etc/markd /var/lib/markd /etc/markhub /var/lib/markhub /tmp/systemctl.log /tmp/active
mkdir -p /run/systemd/system /usr/local/sbin /etc/dpkg/dpkg.cfg.d
echo 'path-exclude=/usr/share/doc/*' >/etc/dpkg/dpkg.cfg.d/markd-test-minimised
cat >/usr/local/sbin/systemctl <<'EOF'
`+systemctlStub+`EOF
chmod 0755 /usr/local/sbin/systemctl`, false)
	// /run is the root file system's here, so /run/systemd/system stays
	// between the calls as a counter's would be under systemd.

	out := r.sh("dpkg -i "+deb1, false)
	st := r.sh(`getent passwd markd; id -nG markd
stat -c '%n %U:%G %a' /var/lib/markd /etc/markd /etc/markd/markd.yaml /usr/bin/markd /lib/systemd/system/markd.service
markd version; cat /tmp/systemctl.log`, false)
	want(t, "first install", st,
		":/var/lib/markd:/usr/sbin/nologin", "dialout", "input", "video",
		"/var/lib/markd markd:markd 750", "/etc/markd root:markd 750", "/etc/markd/markd.yaml root:markd 640",
		"/usr/bin/markd root:root 755", "/lib/systemd/system/markd.service root:root 644",
		"1.0.0", "daemon-reload", "enable markd.service")
	if strings.Contains(st, "restart") {
		t.Errorf("first install restarted markd:\n%s\n%s", out, st)
	}
	checkCollector(t, r, st)

	// A counter in use: a store with a scan, the config edited.
	r.sh(`runuser -u markd -- markd init --db /var/lib/markd/markd.db
echo '# edited at the counter' >>/etc/markd/markd.yaml
sha256sum /var/lib/markd/markd.db >/tmp/store.sum`, false)

	// Upgrade of a stopped daemon: not started; of a running one: restarted.
	r.sh("rm -f /tmp/systemctl.log; dpkg -i "+deb2, false)
	st = r.sh(`cat /tmp/systemctl.log; markd version; tail -1 /etc/markd/markd.yaml; sha256sum -c /tmp/store.sum`, false)
	want(t, "upgrade of a stopped markd", st, "1.0.1", "# edited at the counter", "markd.db: OK")
	if strings.Contains(st, "restart") || strings.Contains(st, "start markd") {
		t.Errorf("upgrade started a stopped markd:\n%s", st)
	}
	// The engineer disabled markd at boot: an upgrade keeps it so.
	r.sh("systemctl disable markd.service; rm -f /tmp/systemctl.log; dpkg -i "+deb1+"; dpkg -i "+deb2, false)
	if st = r.sh(enabled+"; cat /tmp/systemctl.log", false); !strings.HasPrefix(st, "DISABLED") {
		t.Errorf("an upgrade enabled markd again, which the engineer had disabled:\n%s", st)
	}
	r.sh("systemctl enable markd.service", false)
	r.sh("rm -f /tmp/systemctl.log; touch /tmp/active; dpkg -i "+deb1, false)
	st = r.sh(`cat /tmp/systemctl.log; markd version; sha256sum -c /tmp/store.sum; rm /tmp/active`, false)
	want(t, "reinstall over a running markd", st, "restart markd.service", "1.0.0", "markd.db: OK")

	// Remove: stopped, config and store stay; purge: the config goes, the
	// store and the user stay, and purge says so.
	r.sh("rm -f /tmp/systemctl.log; dpkg -r markd", false)
	st = r.sh(`cat /tmp/systemctl.log; ls /etc/markd; sha256sum -c /tmp/store.sum; getent passwd markd`, false)
	want(t, "remove", st, "stop markd.service", "markd.yaml", "markd.db: OK", "markd:")
	// Installed again after a remove: enabled at boot as it was.
	r.sh("dpkg -i "+deb2, false)
	want(t, "install after remove", r.sh(enabled, false), "ENABLED")
	r.sh("dpkg -r markd", false)
	out = r.sh("dpkg --purge markd", false)
	st = r.sh(`ls /etc/markd 2>&1; sha256sum -c /tmp/store.sum; getent passwd markd; `+enabled, false)
	want(t, "purge", st, "markd.db: OK", "markd:", "DISABLED")
	if strings.Contains(st, "markd.yaml") {
		t.Errorf("purge left the conffile /etc/markd/markd.yaml:\n%s", st)
	}
	want(t, "purge's message", out, "/var/lib/markd", "userdel markd", "/var/lib/markhub/markhub.db", "userdel markhub")
}

// checkCollector: the first install ships the collector's example config
// and unit, and its user and store folder, but neither enables nor starts
// markhub (syslog is the first install's systemctl calls): the unit
// verifies with systemd-analyze where it is here, and markhub loads the
// installed example config, with --db in a temp folder and, as the user
// markhub, with the example's own store in /var/lib/markhub; an unknown
// key's error, markhub's and markd's, names the installed example in
// /usr/share/markd/examples, which a minimised image keeps.
func checkCollector(t *testing.T, r *root, syslog string) {
	t.Helper()
	for _, bad := range []string{"enable markhub", "start markhub"} {
		if strings.Contains(syslog, bad) {
			t.Errorf("the first install ran systemctl %s on a counter PC:\n%s", bad, syslog)
		}
	}
	st := r.sh(`getent passwd markhub
stat -c '%n %U:%G %a' /var/lib/markhub /usr/share/markd/examples/markhub.yaml /usr/share/markd/examples/markd.yaml /lib/systemd/system/markhub.service
grep -E '^(User|ExecStart|StateDirectory|ConfigurationDirectory|RestartPreventExitStatus)=' /lib/systemd/system/markhub.service
echo EXECRELOAD=$(grep -c '^ExecReload' /lib/systemd/system/markhub.service)
d=$(mktemp -d); markhub terminal list --config /usr/share/markd/examples/markhub.yaml --db $d/markhub.db && echo TEMP-LOADED
runuser -u markhub -- markhub terminal list --config /usr/share/markd/examples/markhub.yaml && echo STATE-LOADED
stat -c '%n %U:%G' /var/lib/markhub/markhub.db
printf 'listn: 127.0.0.1:1\n' >$d/typo.yaml; markhub terminal list --config $d/typo.yaml --db $d/markhub.db 2>&1 | sed 's/^/TYPO: /'
printf 'ofice: 426000\n' >$d/mtypo.yaml; markd verify --config $d/mtypo.yaml --text x 2>&1 | sed 's/^/MTYPO: /'`, true)
	want(t, "the collector's files", st,
		":/var/lib/markhub:/usr/sbin/nologin", "/var/lib/markhub markhub:markhub 750",
		"/usr/share/markd/examples/markhub.yaml root:root 644", "/usr/share/markd/examples/markd.yaml root:root 644",
		"/lib/systemd/system/markhub.service root:root 644",
		"User=markhub", "ExecStart=/usr/bin/markhub serve --config /etc/markhub/markhub.yaml",
		"StateDirectory=markhub", "ConfigurationDirectory=markhub", "RestartPreventExitStatus=78",
		"TEMP-LOADED", "STATE-LOADED", "/var/lib/markhub/markhub.db markhub:markhub")
	// an unknown key's error names the example where it is installed
	want(t, "an unknown key's error", st, `unknown key "listn"`, "; /usr/share/markd/examples/markhub.yaml lists every key",
		`unknown key "ofice"`, "; /usr/share/markd/examples/markd.yaml lists every key")
	if !strings.Contains(st, "EXECRELOAD=0") {
		t.Errorf("markhub.service lacks or has an ExecReload (markhub does not read its config on SIGHUP):\n%s", st)
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("no systemd-analyze here: markhub.service not verified")
		return
	}
	// verify warns of what it cannot reach from a chroot (no systemd
	// running there); the unit's own errors name the file.
	out := r.sh("systemd-analyze verify /lib/systemd/system/markhub.service 2>&1; echo rc=$?", true)
	if strings.Contains(out, "markhub.service:") || !strings.Contains(out, "rc=0") {
		t.Errorf("systemd-analyze verify markhub.service:\n%s", out)
	}
}
