#!/usr/bin/env bash
# make demo: creates issuer keys, a keyring, a config and two web accounts
# under ./demo, issues a handful of good and bad marks, verifies them
# (stateless), then starts the counter daemon on a demo scan stream with
# the operator screen and the supervisor pages on http://127.0.0.1:$DEMO_PORT.
# DEMO_KEEP=0 stops the daemon when the stream is done (default: keep it
# serving until Ctrl-C when run from a terminal); DEMO_PORT (8080) and
# DEMO_DIR (demo) choose the port and the folder; a port in use or a demo
# still running is refused with what to do, and its data is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/markd}
DEMO=${DEMO_DIR:-demo}
PORT=${DEMO_PORT:-8080}
KEEP=${DEMO_KEEP:-$([ -t 0 ] && echo 1 || echo 0)}
[ -x "$BIN" ] || { echo "demo: $BIN missing: run make build first" >&2; exit 1; }

# A demo still running keeps its data: refuse before touching anything.
if [ -f "$DEMO/markd.pid" ] && kill -0 "$(cat "$DEMO/markd.pid")" 2>/dev/null; then
  echo "demo: a demo daemon is still running (pid $(cat "$DEMO/markd.pid")) on $DEMO/markd.db:" >&2
  echo "      stop it (kill $(cat "$DEMO/markd.pid")) or start another: DEMO_DIR=demo2 DEMO_PORT=8081 make demo" >&2
  exit 1
fi
if (exec 4<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "demo: port $PORT is in use: DEMO_PORT=8081 make demo" >&2
  exit 1
fi
rm -rf "$DEMO"
mkdir -p "$DEMO"
# The config names its files by absolute path: markd reads a relative one
# from the working folder, and says so at every load when that is not the
# config's own folder.
DEMO_ABS=$(cd "$DEMO" && pwd)
# bold headings on a terminal only: no escape codes in a log or a pipe
if [ -t 1 ]; then
  say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  say() { printf '\n== %s\n' "$*"; }
fi

say "1. Issuer keys and keyring ($DEMO/keyring.yaml)"
from=$(date -d '-1 year' +%F)
"$BIN" keys new --alg ed25519 --id 1 --valid-from "$from" --out "$DEMO/issuer-1.yaml" --keyring "$DEMO/keyring.yaml" >/dev/null
"$BIN" keys new --alg ecdsa-p256 --id 2 --valid-from "$from" --out "$DEMO/issuer-2.yaml" --keyring "$DEMO/keyring.yaml" >/dev/null
cp configs/tariffs.yaml "$DEMO/tariffs.yaml"
printf '# refunded or cancelled marks, one serial a line\n7100000666\n' > "$DEMO/revoked.txt"
cat > "$DEMO/markd.yaml" <<YAML
# Demo configuration (see configs/markd.yaml for every key).
office: 426000
counter: demo-1
tz: Europe/Moscow
keyring: $DEMO_ABS/keyring.yaml
tariffs: $DEMO_ABS/tariffs.yaml
revoked: $DEMO_ABS/revoked.txt
db: $DEMO_ABS/markd.db
rescan_window: 10m
http:
  listen: 127.0.0.1:$PORT
log:
  level: warn
YAML
sed 's/^/   /' "$DEMO/keyring.yaml"

say "2. A new store (markd init: the only command that creates one), web accounts: supervisor / supervisor-demo, operator / operator-demo"
"$BIN" init --config "$DEMO/markd.yaml"
printf 'supervisor-demo\n' | "$BIN" user add supervisor --role supervisor --config "$DEMO/markd.yaml" >/dev/null
printf 'operator-demo\n' | "$BIN" user add operator --role operator --config "$DEMO/markd.yaml" >/dev/null

say "3. Marks issued for the demo ($DEMO/scans.txt)"
issue() { "$BIN" issue --config "$DEMO/markd.yaml" "$@"; }
k1=(--key "$DEMO/issuer-1.yaml"); k2=(--key "$DEMO/issuer-2.yaml")
good=$(issue "${k1[@]}" --serial 7100000001)
ecdsa=$(issue "${k2[@]}" --serial 7100000002 --class 3 --weight 480 --png "$DEMO/mark-2.png")
letter=$(issue "${k1[@]}" --serial 7100000003 --class 1 --office 0)
underpaid=$(issue "${k1[@]}" --serial 7100000004 --tariff 9000)
elsewhere=$(issue "${k1[@]}" --serial 7100000005 --office 101000)
expired=$(issue "${k1[@]}" --serial 7100000006 --issued "$(date -d '-120 days' +%F)" --valid-days 30)
refunded=$(issue "${k1[@]}" --serial 7100000666)
# one base32 character of the signature changed: a forgery
c=${good:120:1}; [ "$c" = A ] && r=B || r=A
forged="${good:0:120}$r${good:121}"
cat > "$DEMO/scans.txt" <<SCANS
$good
$ecdsa
$letter
$underpaid
$elsewhere
$expired
$refunded
$forged
14500012345673
$good
SCANS
echo "   10 scans: 3 good marks, underpaid, wrong office, expired, refunded, forged,"
echo "   a tracking barcode (not a mark) and the first mark scanned again; QR of mark 2: $DEMO/mark-2.png"

say "4. markd verify (stateless: no store, so the re-scan is judged alone)"
"$BIN" verify --config "$DEMO/markd.yaml" < "$DEMO/scans.txt" | "$BIN" table --config "$DEMO/markd.yaml"

say "5. markd run: the counter daemon on the demo stream (store $DEMO/markd.db)"
echo "   operator screen:   http://127.0.0.1:$PORT/        (operator / operator-demo)"
echo "   supervisor review: http://127.0.0.1:$PORT/review  (supervisor / supervisor-demo)"
fifo="$DEMO/stream"
mkfifo "$fifo"
"$BIN" run --config "$DEMO/markd.yaml" < "$fifo" > "$DEMO/verdicts.jsonl" 2> "$DEMO/markd.log" &
daemon=$!
echo $daemon > "$DEMO/markd.pid"
trap 'kill $daemon 2>/dev/null || true; rm -f "$fifo" "$DEMO/markd.pid"' EXIT
exec 3> "$fifo"
for i in $(seq 1 50); do
  (exec 4<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 $daemon 2>/dev/null || { echo "demo: markd run stopped:" >&2; cat "$DEMO/markd.log" >&2; exit 1; }
  sleep 0.1
done
tail -n +1 -f "$DEMO/verdicts.jsonl" --pid $daemon 2>/dev/null | "$BIN" table --config "$DEMO/markd.yaml" &
printer=$!
while IFS= read -r line; do
  printf '%s\n' "$line" >&3
  sleep "${DEMO_PACE:-0.4}"
done < "$DEMO/scans.txt"
sleep 0.5

say "6. A customer's batch of partition mail through the local API (what the cash-desk program does)"
if command -v curl >/dev/null; then
  api="http://127.0.0.1:$PORT/api"
  token=$("$BIN" token add demo-cashdesk --config "$DEMO/markd.yaml" 2>"$DEMO/token-add.log")
  call() { curl -sS --fail-with-body -H "Authorization: Bearer $token" "$@"; }
  # five letters of contract 1004417; the customer's list names four of them
  # and one that was not brought; one listed weight differs
  : > "$DEMO/batch-scans.txt"
  printf 'n;tracking;mail_class;weight_g;tariff_kop;serial\n' > "$DEMO/batch-list.csv"
  for i in 1 2 3 4 5; do
    s=$((7200000000 + i))
    issue "${k1[@]}" --serial $s --contract 1004417 >> "$DEMO/batch-scans.txt"
    trk=$(tail -1 "$DEMO/batch-scans.txt" | "$BIN" verify --config "$DEMO/markd.yaml" | sed -n 's/.*"tracking":\([0-9]*\).*/\1/p')
    w=20; [ $i = 3 ] && w=25
    [ $i -le 4 ] && printf '%d;%s;2;%d;10500;%d\n' $i "$trk" $w $s >> "$DEMO/batch-list.csv"
  done
  printf '6;42600000000619;2;20;10500;7200000099\n' >> "$DEMO/batch-list.csv"
  json=(-H "Content-Type: application/json")
  id=$(call -X POST "${json[@]}" -d '{"contract": 1004417}' "$api/batches" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
  call -X POST -H "Content-Type: text/csv" --data-binary @"$DEMO/batch-list.csv" "$api/batches/$id/expect" >/dev/null
  while IFS= read -r text; do
    call -X POST "${json[@]}" -d "{\"text\": \"$text\", \"batch\": \"$id\"}" "$api/scans" >/dev/null
  done < "$DEMO/batch-scans.txt"
  call -X POST "$api/batches/$id/close" > "$DEMO/batch.json"
  call -o "$DEMO/receipt.pdf" "$api/batches/$id/receipt.pdf"
  echo "   batch $id: $(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$DEMO/batch.json") accepted, paid $(sed -n 's/.*"paid":"\([^"]*\)".*/\1/p' "$DEMO/batch.json")"
  echo "   differences from the customer's list: $(grep -o '"kind":"[A-Z]*"' "$DEMO/batch.json" | cut -d'"' -f4 | sort | uniq -c | tr -s ' ' | sed 's/^ //' | paste -sd, - | sed 's/,/, /g')"
  echo "   receipt (A4, Russian): $DEMO/receipt.pdf, also at http://127.0.0.1:$PORT/review/batches"
else
  echo "   (skipped: curl is not installed; see docs/local-api.md)"
fi
if [ "$KEEP" = 1 ]; then
  echo
  echo "   The daemon keeps serving: open the pages above. Ctrl-C stops it."
  wait $daemon || true
else
  kill -TERM $daemon
  wait $daemon || true
  echo
  echo "   The daemon stopped (DEMO_KEEP=0): the pages above are gone. To serve them again:"
  echo "   $BIN run --config $DEMO/markd.yaml"
fi
kill $printer 2>/dev/null || true
# the stream's verdicts (stdout of markd run) and the batch's scans (the API)
stored=$(( $(wc -l < "$DEMO/verdicts.jsonl") + $(cat "$DEMO/batch-scans.txt" 2>/dev/null | wc -l) ))
echo
echo "   $stored verdicts stored in $DEMO/markd.db; log in $DEMO/markd.log"
