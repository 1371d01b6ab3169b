#!/usr/bin/env bash
# The long form of TestDaemonSoak: one markd run through N rounds (default
# 150) of a counter's churn (scans on a serial pty, stdin and the local
# API; logins; dropped event streams; abandoned CSV exports; batches; the
# collector's line down and up; config edits), its descriptors, threads,
# goroutines, VmRSS and -wal read at each round's end and judged as in
# make test (e2e/soak_linux_test.go). Needs socat. Linux only.
# Usage: bash bench/soak.sh [ROUNDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v socat >/dev/null || { echo "soak: socat not installed, skipped"; exit 0; }
SOAK_ROUNDS=${1:-150} SOAK_SEED=${2:-1} SOAK_WARMUP=5 \
	go test -count=1 -timeout 3h -run '^TestDaemonSoak$' -v ./e2e/ |
	grep -E 'soak_linux_test|^(---|ok|FAIL)'
