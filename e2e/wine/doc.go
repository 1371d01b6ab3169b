// Package wine runs the Windows binaries under Debian's wine: the public
// test vectors through markd.exe verify, and a markd.exe run smoke test
// (stdin source, SQLite store, /healthz, a reload on a changed list file),
// the store lock of markd.exe run against a second one.
// Its tests carry the build tag "wine" and need the binaries:
// scripts/wine-test.sh cross-builds them with mingw-w64, makes a
// throw-away wine prefix and runs `go test -tags wine ./e2e/wine`.
package wine
