#!/usr/bin/env bash
# CI check of the release artifacts (.ci/run, after make test): builds them
# with scripts/dist.sh, installs the amd64 .deb with dpkg -i, runs
# `markd version` from it, verifies its systemd units with systemd-analyze,
# checks the tarball and .deb hold markhub's unit and the example configs
# (and markhub loads its own),
# lists the MSI's tables, files and service with msiinfo, and checks
# SHA256SUMS. It changes the machine (/usr/bin/markd, users markd and
# markhub): CI only.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" != true ] && [ "${DIST_CHECK:-}" != 1 ]; then
	echo "dist-check: installs the .deb on this machine: run it in CI, or with DIST_CHECK=1" >&2
	exit 1
fi
t0=$(date +%s)
bash scripts/dist.sh
t1=$(date +%s)
(cd dist && sha256sum -c SHA256SUMS)
deb=$(ls dist/markd_*_amd64.deb)
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
dpkg -i "$deb"
/usr/bin/markd version
/usr/bin/markd version | grep -q "linux/amd64"
systemd-analyze verify /lib/systemd/system/markd.service
getent passwd markd
test -d /var/lib/markd
# the collector: its unit (not enabled, no ExecReload), user, folder and
# example config, in the .deb and the tarball
systemd-analyze verify /lib/systemd/system/markhub.service
if grep -q '^ExecReload' /lib/systemd/system/markhub.service; then
	echo "dist-check: markhub.service has an ExecReload (markhub does not reload on SIGHUP)" >&2
	exit 1
fi
getent passwd markhub
test -d /var/lib/markhub
debfiles=$(dpkg-deb --contents "$deb")
tarfiles=$(tar -tzf dist/markd-*-linux-amd64.tar.gz)
for f in /usr/share/markd/examples/markd.yaml /usr/share/markd/examples/markhub.yaml /lib/systemd/system/markhub.service; do
	grep -q "\.$f\$" <<<"$debfiles" || { echo "dist-check: the .deb lacks $f" >&2; exit 1; }
done
for f in markd markhub markd.yaml markd.service markhub.yaml markhub.service; do
	grep -q "/$f\$" <<<"$tarfiles" || { echo "dist-check: the tarball lacks $f" >&2; exit 1; }
done
/usr/bin/markhub terminal list --config /usr/share/markd/examples/markhub.yaml --db "$(mktemp -d)/markhub.db"
msi=$(ls dist/*.msi)
msiinfo tables "$msi"
msiinfo export "$msi" File
# the example configs beside markd.exe and markhub.exe
msiinfo export "$msi" File | grep -q "markd.yaml.example"
msiinfo export "$msi" File | grep -q "markhub.yaml.example"
msiinfo export "$msi" ServiceInstall
msiinfo export "$msi" ServiceInstall | grep -q "service run"
echo "dist-check: ok; make dist took $((t1 - t0)) s"
