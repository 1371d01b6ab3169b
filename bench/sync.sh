#!/usr/bin/env bash
# Upload figures: a counter backlog of N pending records is drained by
# `markd sync --once` into a real `markhub serve` over loopback HTTP, once
# per backend (SQLite file; PostgreSQL 15 throwaway cluster with fsync on).
# The marks are signed (bench/syncgen) and markhub checks each signature
# against the keyring it published, as in production.
# Prints records/s and the time to drain the backlog.
# Also the CPU time per record of each side (markd sync; markhub; the
# PostgreSQL cluster's processes), which a shared machine does not
# distort: on an idle machine with C cores the rate is bounded near
# C / (sum of the three).
# Usage: bash bench/sync.sh [N=1000000] [BATCH]
# Without BATCH the counter's config has no batch_size: what is measured
# is the shipped default (config/sync.go), as a counter runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
batch=${2:-}
shipped=$(sed -n 's/^[[:space:]]*BatchSize:[[:space:]]*\([0-9]*\),.*/\1/p' config/sync.go)
batchline=""
label="batch $shipped (shipped default)"
if [ -n "$batch" ]; then batchline="  batch_size: $batch"; label="batch $batch"; fi
pgbin=/usr/lib/postgresql/15/bin
tmp=$(mktemp -d /tmp/markd-syncbench.XXXXXX)
chmod 755 "$tmp"
hubpid=""
pgdata=""
cleanup() {
  [ -n "$hubpid" ] && kill "$hubpid" 2>/dev/null || true
  if [ -n "$pgdata" ]; then $runas "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
runas=""
[ "$(id -u)" = 0 ] && runas="runuser -u postgres --"
trap cleanup EXIT

go build -o "$tmp/markhub" ./cmd/markhub
go build -o "$tmp/markd" ./cmd/markd
go build -o "$tmp/syncgen" ./bench/syncgen
gen_start=$(date +%s.%N)
"$tmp/syncgen" -db "$tmp/backlog.db" -n "$n" -keyring "$tmp/keyring.yaml" >/dev/null 2>&1
"$tmp/markhub" keys new --out "$tmp/dist.key" >/dev/null
gen_s=$(echo "$(date +%s.%N) - $gen_start" | bc)

# pgcpu: CPU ticks of the PostgreSQL cluster so far (the postmaster, the
# children it reaped, and its live children), 0 without a cluster.
pgcpu() {
  [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ] || { echo 0; return; }
  local pm
  pm=$(head -1 "$pgdata/postmaster.pid")
  { awk '{print $14+$15+$16+$17}' "/proc/$pm/stat"
    for f in /proc/[0-9]*/stat; do awk -v pm="$pm" '$4 == pm {print $14+$15}' "$f" 2>/dev/null; done
  } | awk '{s+=$1} END {print s+0}'
}

# run NAME DRIVER DSN: prints "records/s seconds"
run() {
  local name=$1 driver=$2 dsn=$3
  local token addr
  token=$("$tmp/markhub" terminal add bench --office 426000 --db-driver "$driver" --db "$dsn" 2>/dev/null)
  # markhub checks every uploaded mark against the keyrings it published.
  "$tmp/markhub" bundle publish --db-driver "$driver" --db "$dsn" --key "$tmp/dist.key" \
    --keyring "$tmp/keyring.yaml" --tariffs configs/tariffs.yaml >/dev/null
  LOG_LEVEL=warn "$tmp/markhub" serve --db-driver "$driver" --db "$dsn" --listen 127.0.0.1:0 >"$tmp/$name.out" 2>"$tmp/$name.err" &
  hubpid=$!
  for _ in $(seq 100); do grep -q '^listening' "$tmp/$name.out" 2>/dev/null && break; sleep 0.1; done
  addr=$(sed -n 's/^listening //p' "$tmp/$name.out")
  [ -n "$addr" ] || { echo "markhub ($name) did not start:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
  cp "$tmp/backlog.db" "$tmp/counter-$name.db"
  printf 'db: %s\nsync:\n  url: http://%s\n  token: %s\n%s\n' "$tmp/counter-$name.db" "$addr" "$token" "$batchline" >"$tmp/$name.yaml" && chmod 600 "$tmp/$name.yaml"
  local out
  local hub0 hub1 tick
  tick=$(getconf CLK_TCK)
  hub0=$(awk '{print $14+$15}' "/proc/$hubpid/stat")
  pg0=$(pgcpu)
  out=$(LOG_LEVEL=error /usr/bin/time -f '%U %S' -o "$tmp/$name.time" "$tmp/markd" sync --once --config "$tmp/$name.yaml")
  hub1=$(awk '{print $14+$15}' "/proc/$hubpid/stat")
  pg1=$(pgcpu)
  kill "$hubpid"; wait "$hubpid" 2>/dev/null || true; hubpid=""
  # CPU per record on each side (user+sys): unlike records/s it does not
  # depend on how many others share the machine.
  cpu_counter=$(awk -v n="$n" '{printf "%.0f", ($1+$2)*1e6/n}' "$tmp/$name.time")
  cpu_hub=$(awk -v a="$hub0" -v b="$hub1" -v t="$tick" -v n="$n" 'BEGIN{printf "%.0f", (b-a)/t*1e6/n}')
  cpu_pg=$(awk -v a="$pg0" -v b="$pg1" -v t="$tick" -v n="$n" 'BEGIN{printf "%.0f", (b-a)/t*1e6/n}')
  echo "$cpu_counter $cpu_hub $cpu_pg" >"$tmp/$name.cpu"
  # Every record verified: none stored unverified.
  if grep -q "record stored unverified" "$tmp/$name.err"; then echo "markhub ($name) stored unverified records:" >&2; grep -m3 unverified "$tmp/$name.err" >&2; exit 1; fi
  # "uploaded N records in Xs (R records/s)"
  echo "$out" | sed -n 's/^uploaded \([0-9]*\) records in \([0-9.]*\)s (\([0-9]*\) records\/s)$/\3 \2/p'
}

sqlite=$(run sqlite sqlite "$tmp/hub.db")

pg="skipped (no $pgbin)"
if [ -x "$pgbin/initdb" ]; then
  mkdir "$tmp/pg"
  [ -n "$runas" ] && chown postgres "$tmp/pg"
  pgdata="$tmp/pg/data"
  $runas "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
  port=$(( 20000 + RANDOM % 20000 ))
  $runas "$pgbin/pg_ctl" -D "$pgdata" -l "$tmp/pg/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$tmp/pg" start >/dev/null
  pg=$(run postgres postgres "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable")
fi

printf '%-52s %12s %12s\n' "sync upload: $n records, $label, loopback" "records/s" "drain s"
printf '%-52s %12s %12s\n' "counter backlog generated" "-" "$(printf '%.1f' "$gen_s")"
printf '%-52s %12s %12s\n' "into SQLite (WAL, synchronous=FULL)" $sqlite
printf '%-52s %12s %12s\n' "  CPU µs per record: counter, hub" $(cut -d' ' -f1,2 "$tmp/sqlite.cpu")
if [ "${pg#skipped}" != "$pg" ]; then
  printf '%-52s %s\n' "into PostgreSQL 15" "$pg"
else
  printf '%-52s %12s %12s  (goal >= 20000/s)\n' "into PostgreSQL 15 (fsync on)" $pg
  printf '%-52s %12s %12s %12s\n' "  CPU µs per record: counter, hub, PostgreSQL" $(cat "$tmp/postgres.cpu")
  # What the CPU a record allows when the three have this machine's
  # cores to themselves: the figure a quiet machine approaches.
  cores=$(nproc)
  printf '%-52s %12s\n' "  CPU bound with $cores idle cores, records/s" \
    "$(awk -v c="$cores" '{s=$1+$2+$3; if (s > 0) printf "%.0f", c*1e6/s}' "$tmp/postgres.cpu")"
  rate=${pg%% *}
  [ "$rate" -ge 20000 ] || echo "below the PostgreSQL goal of 20000 records/s" >&2
fi
[ -n "$sqlite" ] || exit 1
