#!/usr/bin/env bash
# Issue 12 figures in one table (goal / measured / ratio / met): reads of
# the pages, API, export, chart and outbox at 1M scans against 10k, markd
# run start at 1M, P1 at steady state (stdin and serial pty) against a
# warmed, checkpointed bare commit on the same file system. The stores are
# generated once into bench/.cache/ (about a minute and 1 GB for 1M).
# Env: BIG (1000000), SMALL (10000), N (2000 timed scans per P1 run),
# RUNS (5 P1 rounds; each runs every source in turn), ONLY (reads,start,save,process,stdin,serial,boundary,import;
# boundary: the process boundary alone, an echo child fed like markd run; also floor:
# Process and P1 on a tmpfs copy of the 1M store, what no disk takes away).
# Run from anywhere; on a shared machine say so beside the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
TD=${TESTDATA:-../shared/testdata}
if [ ! -f "$TD/keyring.yaml" ]; then echo "shared test data not found at $TD" >&2; exit 1; fi
mkdir -p bin
go build -o bin/markd ./cmd/markd
go build -o bin/perfbench ./bench/perfbench
exec bin/perfbench -markd bin/markd -testdata "$TD" -big "${BIG:-1000000}" -small "${SMALL:-10000}" \
  -n "${N:-2000}" -runs "${RUNS:-5}" -only "${ONLY:-reads,start,save,process,stdin,serial,least,boundary,import}"
