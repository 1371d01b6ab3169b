#!/usr/bin/env bash
# bench/qr/warped.sh — draws qrdecode/testdata/qr-warped: issuer-signed marks
# (the ACCEPT vectors of ../shared/testdata/marks/vectors.jsonl) as camera
# frames (1280x720, gray) of codes the best decoders still miss: seen in
# perspective at about 2 px per module, wrapped around a cylinder, and on
# wrinkled paper. qrencode draws each code (EC level M, as issuer.QRPNG),
# ffmpeg warps it (perspective filter; geq for the cylinder and the
# wrinkles), blurs it a little as a lens does and sets it on a grey desk.
# The output is committed; rerun only to change the set.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
td=${MARKD_TESTDATA:-$root/../shared/testdata}
out=$root/qrdecode/testdata/qr-warped
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bg="color=c=0x8a8a86:s=1280x720,format=gray"
place() { # place SRC DST X Y: the warped card on the desk, a little lens blur (no sensor noise: it would make the PNGs 10× larger)
	ffmpeg -nostdin -loglevel error -y -f lavfi -i "$bg" -i "$1" -filter_complex \
		"[1]format=gray[c];[0][c]overlay=x=$3:y=$4,gblur=sigma=0.7" \
		-frames:v 1 -pix_fmt gray "$2"
}
i=0
echo "[" >"$out/manifest.json"
sep=""
grep -m 4 '"verdict":"ACCEPT"' "$td/marks/vectors.jsonl" | sed 's/.*"text":"\([^"]*\)".*/\1/' |
	while read -r text; do
		i=$((i + 1))
		qrencode -l M -s 2 -m 4 -o "$work/c2.png" "$text"
		qrencode -l M -s 3 -m 4 -o "$work/c3.png" "$text"
		# perspective, 2 px per module on the near side, 1.5 on the far one
		ffmpeg -nostdin -loglevel error -y -i "$work/c2.png" -vf \
			"pad=iw+24:ih+24:12:12:white,format=gray,perspective=x0=0:y0=0:x1=W*0.95:y1=H*0.12:x2=0:y2=H:x3=W*0.95:y3=H*0.88:sense=destination:interpolation=cubic" \
			"$work/p.png"
		place "$work/p.png" "$out/w$i-persp.png" $((300 + 90 * i)) $((160 + 40 * i))
		# tilted away: the top 0.7 as wide as the bottom, 2.5 px per module below
		ffmpeg -nostdin -loglevel error -y -i "$work/c2.png" -vf \
			"scale=iw*1.25:ih*1.25:flags=bicubic,pad=iw+24:ih+24:12:12:white,format=gray,perspective=x0=W*0.15:y0=H*0.1:x1=W*0.85:y1=H*0.1:x2=0:y2=H:x3=W:y3=H:sense=destination:interpolation=cubic" \
			"$work/t.png"
		place "$work/t.png" "$out/w$i-tilt.png" $((500 + 60 * i)) $((200 + 30 * i))
		# around a cylinder (a tube or a rolled parcel): 3 px per module in
		# the middle, squeezed and shaded towards the sides
		ffmpeg -nostdin -loglevel error -y -i "$work/c3.png" -vf \
			"pad=iw+24:ih+24:12:12:white,format=gray,geq=lum='if(lt(abs(X-W/2),W*0.49),p(W/2+W*0.55*asin((X-W/2)/(W*0.55))*0.93,Y)*(0.75+0.25*cos(asin((X-W/2)/(W*0.55)))),90)':interpolation=bilinear" \
			"$work/y.png"
		place "$work/y.png" "$out/w$i-cylinder.png" $((200 + 100 * i)) $((300 - 30 * i))
		# wrinkled paper: a smooth displacement of 1.5 modules
		ffmpeg -nostdin -loglevel error -y -i "$work/c3.png" -vf \
			"pad=iw+24:ih+24:12:12:white,format=gray,geq=lum='p(X+4*sin(Y/11+$i),Y+4*sin(X/15+2*$i))*(0.9+0.1*sin(X/15+Y/23))':interpolation=bilinear" \
			"$work/k.png"
		place "$work/k.png" "$out/w$i-wrinkle.png" $((650 - 70 * i)) $((120 + 50 * i))
		for k in persp tilt cylinder wrinkle; do
			echo "${sep}{\"file\":\"w$i-$k.png\",\"text\":\"$text\"}" >>"$out/manifest.json"
			sep=","
		done
	done
echo "]" >>"$out/manifest.json"
