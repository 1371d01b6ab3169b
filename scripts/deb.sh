#!/usr/bin/env bash
# scripts/deb.sh BINDIR ARCH VERSION OUT: the markd .deb (file OUT) of the
# binaries markd and markhub in BINDIR (with markhub's unit and the
# example configs), as make dist builds it; the test
# of packaging/deb installs what it makes. The unit is printed by
# $UNIT_MARKD service unit (default BINDIR/markd; dist.sh passes the amd64
# markd when it packages arm64).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 4 ]; then
	echo "usage: scripts/deb.sh BINDIR ARCH VERSION OUT.deb" >&2
	exit 2
fi
bin=$1 arch=$2 version=$3 out=$4
unitmarkd=${UNIT_MARKD:-$bin/markd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deb=$tmp/root
install -d -m 0755 "$deb" "$deb/DEBIAN" "$deb/usr/bin" "$deb/etc/markd" "$deb/lib/systemd/system" "$deb/usr/share/doc/markd" "$deb/usr/share/markd/examples"
install -m 0755 "$bin/markd" "$bin/markhub" "$deb/usr/bin/"
install -m 0640 configs/markd.yaml "$deb/etc/markd/markd.yaml"
"$unitmarkd" service unit >"$deb/lib/systemd/system/markd.service"
# the collector's unit, neither enabled nor started (postinst)
install -m 0644 configs/markhub.service "$deb/lib/systemd/system/"
install -m 0644 README.md docs/operations.md "$deb/usr/share/doc/markd/"
# the example configs, which an unknown key's error names (config.
# InstalledExample): not under /usr/share/doc, which minimised Debian and
# Ubuntu images drop (dpkg path-exclude=/usr/share/doc/*)
install -m 0644 configs/markd.yaml configs/markhub.yaml "$deb/usr/share/markd/examples/"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$deb/DEBIAN/"
echo /etc/markd/markd.yaml >"$deb/DEBIAN/conffiles"
cat >"$deb/DEBIAN/control" <<CONTROL
Package: markd
Version: $version
Architecture: $arch
Maintainer: markd team <markd@localhost>
Installed-Size: $(du -sk "$deb" | cut -f1)
Depends: passwd
Section: misc
Priority: optional
Description: counter daemon for electronic postage marks
 markd reads electronic postage marks (EPM v1) from the counter's
 scanners, verifies them, records every verdict in SQLite and shows it on
 the operator screen; markhub is the central collector.
CONTROL
dpkg-deb --root-owner-group --build "$deb" "$out" >/dev/null
