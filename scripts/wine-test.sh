#!/usr/bin/env bash
# Windows part of `make test`: cross-builds markd.exe and markhub.exe for
# windows/amd64 (cgo for SQLite through Debian's mingw-w64), then runs the
# e2e/wine tests (public vectors, version, a `markd run` smoke test) with
# the binaries under Debian's wine, in a throw-away wine prefix; then the
# TestWindows* tests of cmd/markd, cmd/markhub, internal/winsvc, store and
# internal/proxyurl,
# cross-built, under wine.
#
# Skips, with a message, only when a tool is missing (.ci/packages.txt
# lists them: gcc-mingw-w64-x86-64, wine, wine64). Env: WIN_BIN (folder of
# the .exe files, default bin/windows-amd64), KEEP_WINEPREFIX=1 keeps the
# prefix for a look afterwards, WINE_RUN=REGEXP runs only those e2e/wine tests.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
CC_WIN=${CC_WIN:-x86_64-w64-mingw32-gcc}
WINE=${WINE:-wine}
OUT=${WIN_BIN:-bin/windows-amd64}
for tool in "$CC_WIN" "$WINE" wineboot wineserver; do
	if ! command -v "$tool" >/dev/null; then
		echo "wine-test: SKIPPED: $tool not found (apt-get install gcc-mingw-w64-x86-64 wine wine64)"
		exit 0
	fi
done
t0=$(date +%s)
mkdir -p "$OUT"
export CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$CC_WIN
for cmd in markd markhub; do
	$GO build -trimpath -ldflags "-s -w" -o "$OUT/$cmd.exe" "./cmd/$cmd"
done
# The tests of cmd/markd, cmd/markhub, internal/winsvc, store and
# internal/proxyurl as Windows programs: their TestWindows* tests (in _windows_test.go files) run under
# wine below, in-process where a test must replace what wine cannot be (a
# command prompt that is not elevated, a service manager's answers); the
# store's with SQLite through mingw-w64 (the WAL-loss check and its lock
# probe of the -shm file, store/walloss_windows_test.go).
WIN_TESTS="markd-cmd:./cmd/markd markhub-cmd:./cmd/markhub winsvc:./internal/winsvc store:./store proxyurl:./internal/proxyurl"
for t in $WIN_TESTS; do
	$GO test -c -o "$OUT/${t%%:*}.test.exe" "${t#*:}"
done
unset GOOS GOARCH CC
t1=$(date +%s)

# Go >= 1.24 needs ProcessPrng from bcryptprimitives.dll, which wine 8
# lacks: a shim DLL (scripts/wine/processprng.c, test harness only) goes
# into the prefix's system32, where the Go runtime looks for it.
prefix=$(mktemp -d "${TMPDIR:-/tmp}/markd-wine.XXXXXX")
cleanup() {
	WINEPREFIX=$prefix wineserver -k 2>/dev/null || true
	if [ "${KEEP_WINEPREFIX:-0}" = 1 ]; then echo "wine-test: prefix kept in $prefix"; else rm -rf "$prefix"; fi
}
trap cleanup EXIT
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" # no Mono/Gecko install prompts
"$CC_WIN" -O2 -shared -s -o "$prefix/bcryptprimitives.dll" scripts/wine/processprng.c scripts/wine/processprng.def -ladvapi32
wineboot -i </dev/null >/dev/null 2>&1
# The prefix is made; restart wine with a persistent wineserver and the
# service manager booted here with no terminal: the tests' wine commands
# then are not the parents of services.exe (whose services would inherit,
# and die with, their pipes), and services.exe does not restart mid-test
# (a first boot ends by restarting it, which forgets new services).
wineserver -k
wineserver -p
wine cmd /c exit </dev/null >/dev/null 2>&1
cp "$prefix/bcryptprimitives.dll" "$prefix/drive_c/windows/system32/"
t2=$(date +%s)

# The MSI of packaging/msi (as make dist builds it), when wixl is here.
MARKD_MSI=
if command -v wixl >/dev/null; then
	stage=$prefix/msi
	mkdir -p "$stage"
	cp "$OUT/markd.exe" "$OUT/markhub.exe" docs/install-windows.md "$stage/"
	cp configs/markd.windows.yaml "$stage/markd.yaml.example"
	cp configs/markhub.windows.yaml "$stage/markhub.yaml.example"
	wxs=$PWD/packaging/msi/markd.wxs
	(cd "$stage" && wixl -a x64 -D Version=0.0.1 -o markd.msi "$wxs" 2>/dev/null)
	MARKD_MSI=$stage/markd.msi
else
	echo "wine-test: wixl not installed: the MSI test is skipped (apt-get install wixl)"
fi
MARKD_MSI=$MARKD_MSI MARKD_EXE=$PWD/$OUT/markd.exe MARKHUB_EXE=$PWD/$OUT/markhub.exe WINE=$WINE \
	$GO test -tags wine -count=1 -timeout 5m ${WINE_RUN:+-v -run "$WINE_RUN"} ./e2e/wine
for t in $WIN_TESTS; do
	"$WINE" "$PWD/$OUT/${t%%:*}.test.exe" -test.run '^TestWindows' -test.count=1
done
t3=$(date +%s)
echo "wine-test: cross build $((t1 - t0))s, wine prefix $((t2 - t1))s, tests under wine $((t3 - t2))s;" \
	"markd.exe $(stat -c %s "$OUT/markd.exe") bytes, markhub.exe $(stat -c %s "$OUT/markhub.exe") bytes"
