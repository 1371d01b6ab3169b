#!/usr/bin/env bash
# Counter daemon figures (issue 3): P1 line→durable verdict p50/p99 beside a
# bare single-row SQLite commit (WAL, FULL) in the same run, P4 markd import
# scans/s, idle RSS of markd run. Run from the repository root (make bench).
# Env: N (P1 scans, default 500), BULK (P4 scans, default 50000),
# BENCH_DIR (work folder on the disk to measure; default a temp folder).
set -euo pipefail
cd "$(dirname "$0")/.."
TD=${TESTDATA:-../shared/testdata}
if [ ! -f "$TD/keyring.yaml" ]; then echo "shared test data not found at $TD" >&2; exit 1; fi
mkdir -p bin
go build -o bin/markd ./cmd/markd
go build -o bin/daemonbench ./bench/daemonbench
bin/daemonbench -markd bin/markd -testdata "$TD" -n "${N:-500}" -bulk "${BULK:-50000}" ${BENCH_DIR:+-dir "$BENCH_DIR"}
