#!/usr/bin/env bash
# make dist: every release artifact in dist/, in one command on Debian:
#   markd-V-linux-{amd64,arm64}.tar.gz   markd, markhub, their configs and units, docs
#   markd_V_{amd64,arm64}.deb            + users markd, markhub, /var/lib/markd,
#                                        /var/lib/markhub, units (markhub's not enabled)
#   markd-V-windows-amd64.zip            markd.exe, markhub.exe, example configs, docs
#   markd-V-windows-amd64.msi            Program Files\markd + the service
#   SHA256SUMS
# Linux binaries are linked statically (cgo SQLite included; -tags
# netgo,osusergo so no NSS), so they load on any glibc: the script prints
# the highest GLIBC_ symbol version objdump -T finds and fails above 2.28.
# All binaries are stripped and carry version, commit and build date
# (markd version). VERSION=1.2.3 make dist for a release; default: the
# exact git tag, else 0.0.0~gitDATE.COMMIT.
# Tools (.ci/packages.txt): gcc-mingw-w64-x86-64, gcc-aarch64-linux-gnu,
# dpkg-dev, zip, wixl, binutils.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
OUT=${DIST_DIR:-dist}
missing=()
for tool in x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
	dpkg-deb:dpkg zip:zip wixl:wixl objdump:binutils; do
	command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "dist: missing tools: apt-get install ${missing[*]}" >&2
	exit 1
fi
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
date=$(git log -1 --format=%cI 2>/dev/null || date -u +%FT%TZ)
VERSION=${VERSION:-$(git describe --tags --exact-match 2>/dev/null | sed 's/^v//' || true)}
if [ -z "$VERSION" ]; then
	VERSION="0.0.0~git$(git log -1 --format=%cd --date=format:%Y%m%d%H%M 2>/dev/null || date -u +%Y%m%d%H%M).$commit"
fi
msiver=$(echo "$VERSION" | grep -Eo '^[0-9]+\.[0-9]+\.[0-9]+' || echo 0.0.0)
ldflags="-s -w -X markd/internal/version.Version=$VERSION -X markd/internal/version.Commit=$commit -X markd/internal/version.Date=$date"
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)

# build GOOS GOARCH CC DIR [extra ldflags]
build() {
	local goos=$1 goarch=$2 cc=$3 dir=$4 extra=${5:-} ext=
	[ "$goos" = windows ] && ext=.exe
	mkdir -p "$dir"
	for cmd in markd markhub; do
		CGO_ENABLED=1 GOOS=$goos GOARCH=$goarch CC=$cc $GO build -trimpath -tags netgo,osusergo \
			-ldflags "$ldflags $extra" -o "$dir/$cmd$ext" "./cmd/$cmd"
	done
}

# glibc_check BINARY: the highest GLIBC_ version it needs, at most 2.28.
glibc_check() {
	local v
	v=$(objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1 || true)
	echo "dist: $(basename "$(dirname "$1")")/$(basename "$1"): highest GLIBC_ symbol: ${v:-none (static)}"
	if [ -n "$v" ] && [ "$(printf '%s\n2.28\n' "$v" | sort -V | tail -1)" != 2.28 ]; then
		echo "dist: $1 needs GLIBC_$v, more than 2.28 (Astra 1.7, Debian 10)" >&2
		exit 1
	fi
}

for arch in amd64 arm64; do
	cc=gcc
	[ "$arch" = arm64 ] && cc=aarch64-linux-gnu-gcc
	bin=$work/linux-$arch
	build linux "$arch" "$cc" "$bin" "-linkmode external -extldflags -static"
	glibc_check "$bin/markd"
	glibc_check "$bin/markhub"

	name=markd-$VERSION-linux-$arch
	mkdir -p "$work/$name"
	cp "$bin/markd" "$bin/markhub" configs/markd.yaml configs/markhub.yaml configs/markhub.service README.md docs/operations.md "$work/$name/"
	"$work/linux-amd64/markd" service unit >"$work/$name/markd.service"
	tar -C "$work" --owner=0 --group=0 -czf "$OUT/$name.tar.gz" "$name"

	UNIT_MARKD=$work/linux-amd64/markd bash scripts/deb.sh "$bin" "$arch" "$VERSION" "$OUT/markd_${VERSION}_$arch.deb"
done

win=$work/markd-$VERSION-windows-amd64
build windows amd64 x86_64-w64-mingw32-gcc "$win"
cp docs/install-windows.md README.md "$win/"
cp configs/markd.windows.yaml "$win/markd.yaml.example"
cp configs/markhub.windows.yaml "$win/markhub.yaml.example"
(cd "$work" && zip -qr "$OUT/markd-$VERSION-windows-amd64.zip" "$(basename "$win")")
wxs=$PWD/packaging/msi/markd.wxs
(cd "$win" && wixl -a x64 -D Version="$msiver" -o "$OUT/markd-$VERSION-windows-amd64.msi" "$wxs" 2>/dev/null)

(cd "$OUT" && sha256sum -- *.tar.gz *.deb *.zip *.msi >SHA256SUMS)
t1=$(date +%s)
echo "dist: version $VERSION (MSI $msiver), $((t1 - t0)) s:"
for f in "$work"/linux-amd64/* "$work"/linux-arm64/* "$win"/*.exe; do
	echo "  $(basename "$(dirname "$f")")/$(basename "$f"): $(stat -c %s "$f") bytes"
done
ls -l "$OUT"
