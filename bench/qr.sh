#!/usr/bin/env bash
# bench/qr.sh — the camera decoding figures of issue 4: ms per frame at
# 1280×720 and 1920×1080 for markd's path (qrdecode, in-process Go) beside
# zxing-cpp (Debian libzxing-dev, in-process C++, bench/qr/zxbench.cpp) on
# the same raw gray frames, and the share of the QR sets each decodes, with
# zbarimg's share too. Frames: ../shared/testdata/qr and qr-hard, plus two
# frames without any code (ffmpeg testsrc2) to show the cost of an empty
# view, the common case for a counter camera.
#
# "ours/camera" is the camera source's mode (the timed one); "ours/decode"
# the thorough mode of `markd decode` (more steps, every deblurring
# direction; its ms column is a single run, for orientation only).
# "Decoded" is what one frame gives on a fresh decoder; the camera mode
# rations its expensive steps over consecutive frames, so its ms are the
# mean over QR_ITERS further calls.
#
# Env: QR_ITERS (decodes per frame and round, default 5), QR_ROUNDS
# (alternating rounds per frame, the fastest counts, default 3),
# MARKD_TESTDATA.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
td=${MARKD_TESTDATA:-$root/../shared/testdata}
iters=${QR_ITERS:-5}
rounds=${QR_ROUNDS:-3}
for tool in ffmpeg ffprobe g++ pkg-config zbarimg go; do
	command -v "$tool" >/dev/null || { echo "bench/qr.sh: $tool not installed" >&2; exit 1; }
done
[ -f "$td/qr/manifest.json" ] || { echo "bench/qr.sh: no test data at $td" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

g++ -O2 -std=c++17 -o "$work/zxbench" "$root/bench/qr/zxbench.cpp" \
	$(pkg-config --cflags --libs zxing 2>/dev/null || echo -lZXing)
(cd "$root" && go build -o "$work/qrbench" ./bench/qr/qrbench)

# One list line per frame: RAW W H TEXT; a side file maps RAW to set and source.
: >"$work/list"
: >"$work/meta"
for set in qr qr-hard; do
	sed -n 's/.*"file":"\([^"]*\)","text":"\([^"]*\)".*/\1 \2/p' "$td/$set/manifest.json" |
		while read -r file text; do
			src="$td/$set/$file"
			raw="$work/$set-$file.gray"
			wh=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$src")
			ffmpeg -nostdin -loglevel error -y -i "$src" -f rawvideo -pix_fmt gray "$raw"
			zb=0
			if zbarimg -q --raw "$src" 2>/dev/null | grep -qxF "$text"; then zb=1; fi
			echo "$raw ${wh%x*} ${wh#*x} $text" >>"$work/list"
			echo "$raw $set $file $zb" >>"$work/meta"
		done
done
for size in 1280x720 1920x1080; do
	raw="$work/nocode-$size.gray"
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=$size:rate=1" -frames:v 1 \
		-f rawvideo -pix_fmt gray "$raw"
	echo "$raw ${size%x*} ${size#*x} -" >>"$work/list"
	echo "$raw nocode nocode-$size 0" >>"$work/meta"
done

echo "# load before timing: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (timings scale with it)"
# Frame by frame, the two libraries alternate, $rounds rounds each, and
# the fastest round counts: on a shared machine the load comes and goes,
# and the minimum of several means is what each path costs when it gets
# the CPU, for both alike.
: >"$work/ours"
: >"$work/zx"
while read -r line; do
	best_o="" best_z=""
	for _ in $(seq "$rounds"); do
		o=$(echo "$line" | "$work/qrbench" -n "$iters")
		z=$(echo "$line" | "$work/zxbench" "$iters")
		if [ -z "$best_o" ] || awk -v a="$(echo "$o" | cut -f2)" -v b="$(echo "$best_o" | cut -f2)" 'BEGIN{exit !(a<b)}'; then best_o=$o; fi
		if [ -z "$best_z" ] || awk -v a="$(echo "$z" | cut -f2)" -v b="$(echo "$best_z" | cut -f2)" 'BEGIN{exit !(a<b)}'; then best_z=$z; fi
	done
	echo "$best_o" >>"$work/ours"
	echo "$best_z" >>"$work/zx"
done <"$work/list"
"$work/qrbench" -n 1 -thorough <"$work/list" | cut -f2,3 >"$work/thorough"

echo "# per frame: ms per decode (fastest of $rounds alternating rounds of $iters), 1 = expected text decoded"
paste "$work/list" "$work/ours" "$work/zx" "$work/meta" "$work/thorough" | awk -F'\t' '
function fmt(v) { return sprintf("%.2f", v) }
{
	split($1, l, " "); size = l[2] "x" l[3]
	ours_ms = $3; ours_ok = $4; step = $5; zx_ms = $7; zx_ok = $8
	split($9, m, " "); set = m[2]; file = m[3]; zb = m[4]; th_ms = $10; th_ok = $11
	printf "%-8s %-20s %-9s ours %7s ms %d %-15s zxing-cpp %7s ms %d  zbar %d  thorough %7s ms %d\n", set, file, size, fmt(ours_ms), ours_ok, step, fmt(zx_ms), zx_ok, zb, fmt(th_ms), th_ok
	if (set != "nocode") {
		n[set]++; o[set] += ours_ok; z[set] += zx_ok; b[set] += zb; th[set] += th_ok
	}
	ms_o[size] += ours_ms; ms_z[size] += zx_ms; cnt[size]++
	if (set != "nocode" && ours_ok && zx_ok) { both_o[size] += ours_ms; both_z[size] += zx_ms; both_n[size]++ }
	if (set == "nocode") { nc_o[size] = ours_ms; nc_z[size] = zx_ms }
}
END {
	print ""
	print "# decoded share of the QR sets"
	printf "%-8s %12s %12s %12s %12s\n", "set", "ours/camera", "zxing-cpp", "zbarimg", "ours/decode"
	for (s in n) printf "%-8s %5d/%-2d %3.0f%% %5d/%-2d %3.0f%% %5d/%-2d %3.0f%% %5d/%-2d %3.0f%%\n", s, o[s], n[s], 100*o[s]/n[s], z[s], n[s], 100*z[s]/n[s], b[s], n[s], 100*b[s]/n[s], th[s], n[s], 100*th[s]/n[s]
	print ""
	print "# ms per frame (mean over frames of that size; both = frames both decode; empty = no code in view)"
	printf "%-10s %9s %9s %7s | %9s %9s %7s | %9s %9s\n", "size", "ours", "zxing", "ratio", "ours/both", "zx/both", "ratio", "ours/empty", "zx/empty"
	for (s in cnt) {
		a = ms_o[s]/cnt[s]; c = ms_z[s]/cnt[s]
		bo = both_n[s] ? both_o[s]/both_n[s] : 0; bz = both_n[s] ? both_z[s]/both_n[s] : 0
		printf "%-10s %9s %9s %7s | %9s %9s %7s | %9s %9s\n", s, fmt(a), fmt(c), fmt(a/c), fmt(bo), fmt(bz), (bz ? fmt(bo/bz) : "-"), fmt(nc_o[s]), fmt(nc_z[s])
	}
}'
