#!/usr/bin/env bash
# Runs every Fuzz target of the module for FUZZTIME (default 3s) each.
# go test -fuzz takes one target of one package at a time, hence the loop.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
count=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($fuzztime)"
    go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/markd-fuzz.log 2>&1 || { cat /tmp/markd-fuzz.log; exit 1; }
    count=$((count+1))
  done
done
echo "fuzz: $count passed, 0 failed"
