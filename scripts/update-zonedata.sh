#!/bin/sh
# update-zonedata.sh copies the zone data markd and markhub carry inside
# their binaries (internal/zones/zoneinfo.zip) from a Go release, and
# records its tz release and SHA-256 in internal/zones/zoneinfo.version
# (the zip itself does not name its release; TestRecordedVersion checks
# the record against the zip).
#
#   scripts/update-zonedata.sh            # from `go env GOROOT`
#   GOROOT=/opt/go1.27 scripts/update-zonedata.sh
#
# Then rebuild and roll out markd and markhub (docs/operations.md, "Zone
# data").
set -eu
root=${GOROOT:-$(go env GOROOT)}
zip="$root/lib/time/zoneinfo.zip"
upd="$root/lib/time/update.bash"
here=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$zip" ] || { echo "update-zonedata: $zip: no such file (set GOROOT to a Go release)" >&2; exit 1; }
[ -f "$upd" ] || { echo "update-zonedata: $upd: no such file: the zip's tz release is unknown" >&2; exit 1; }
data=$(sed -n 's/^DATA=\([0-9][0-9][0-9][0-9][a-z]\)$/\1/p' "$upd")
[ -n "$data" ] || { echo "update-zonedata: $upd names no DATA=<tz release> such as DATA=2025c" >&2; exit 1; }
cp "$zip" "$here/internal/zones/zoneinfo.zip"
sum=$(sha256sum "$here/internal/zones/zoneinfo.zip" | cut -d' ' -f1)
printf '%s sha256:%s\n' "$data" "$sum" >"$here/internal/zones/zoneinfo.version"
echo "internal/zones: tz $data from $zip"
