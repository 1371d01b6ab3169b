#!/usr/bin/env bash
# CI check of the release artifacts (.ci/run, after make test): builds them
# with scripts/dist.sh, installs the amd64 .deb with dpkg -i, runs
# `markd version` from it, verifies its systemd unit with systemd-analyze,
# lists the MSI's tables, files and service with msiinfo, and checks
# SHA256SUMS. It changes the machine (/usr/bin/markd, user markd): CI only.
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
msi=$(ls dist/*.msi)
msiinfo tables "$msi"
msiinfo export "$msi" File
# the example configs beside markd.exe and markhub.exe
msiinfo export "$msi" File | grep -q "markd.yaml.example"
msiinfo export "$msi" File | grep -q "markhub.yaml.example"
msiinfo export "$msi" ServiceInstall
msiinfo export "$msi" ServiceInstall | grep -q "service run"
echo "dist-check: ok; make dist took $((t1 - t0)) s"
