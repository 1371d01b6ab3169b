#!/usr/bin/env bash
# Batch API figures (issue 10): POST /api/scans p50/p99 beside P1 (a stdin
# line to its durable verdict) interleaved in the same run of markd run,
# and the close of an ITEMS-item batch with its receipt PDF. Run from the
# repository root. Env: N (scans per path, default 500), ITEMS (default
# 1000), BENCH_DIR (work folder on the disk to measure).
set -euo pipefail
cd "$(dirname "$0")/.."
TD=${TESTDATA:-../shared/testdata}
if [ ! -f "$TD/keyring.yaml" ]; then echo "shared test data not found at $TD" >&2; exit 1; fi
mkdir -p bin
go build -o bin/markd ./cmd/markd
go build -o bin/batchbench ./bench/batchbench
bin/batchbench -markd bin/markd -testdata "$TD" -n "${N:-500}" -items "${ITEMS:-1000}" ${BENCH_DIR:+-dir "$BENCH_DIR"}
