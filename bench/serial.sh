#!/usr/bin/env bash
# Serial scanner figures: line-to-emit latency through a socat pty pair
# (p50/p99) and framing throughput. Needs socat. Usage: bash bench/serial.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
command -v socat >/dev/null || { echo "serial bench: socat not installed, skipped"; exit 0; }
out=$(go test -run '^$' -bench 'SerialLine|Framer' -benchtime "${n}x" ./scanner/)
out+=$'\n'$(go test -run '^$' -bench 'SerialReplug' -benchtime 6x ./scanner/)
echo "$out" | awk -v n="$n" '
/^BenchmarkSerialLineLatency/  { for (i=1;i<=NF;i++) { if ($(i+1)=="p50-ms") p50=$i; if ($(i+1)=="p99-ms") p99=$i } }
/^BenchmarkSerialLineToVerdict/ { for (i=1;i<=NF;i++) { if ($(i+1)=="p50-ms") v50=$i; if ($(i+1)=="p99-ms") v99=$i } }
/^BenchmarkSerialReplug/ { for (i=1;i<=NF;i++) { if ($(i+1)=="p50-ms") r50=$i; if ($(i+1)=="max-ms") rmax=$i } }
/^BenchmarkFramer/            { for (i=1;i<=NF;i++) if ($(i+1)=="MB/s") mbs=$i }
END {
  printf "%-44s %s\n", "serial (pty, " n " marks of 173 bytes)", "value"
  printf "%-44s %s ms\n", "line-to-emit latency p50", p50
  printf "%-44s %s ms\n", "line-to-emit latency p99", p99
  printf "%-44s %s ms\n", "line-to-verdict latency p50", v50
  printf "%-44s %s ms\n", "line-to-verdict latency p99", v99
  printf "%-44s %s ms\n", "replug to first line read p50 (6 replugs)", r50
  printf "%-44s %s ms (goal < 2000)\n", "replug to first line read max", rmax
  printf "%-44s %s MB/s\n", "framer throughput (64-byte reads)", mbs
  if (p50 == "" || p99 == "") exit 1
}'
