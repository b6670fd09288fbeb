#!/bin/bash
# bench/flood.sh — a log that repeats itself at length: evmaint's rotation
# against gzip -6 and pigz -6 on the same file, time and size.
#
# A script stuck in a loop writes one line over and over; such a log
# deflates a thousand to one, and the engine deflates it as one stream, as
# gzip does, instead of a member per 2 MiB block (see gzb_seq_start). This
# shows what that costs and saves: ROUNDS rotations of a fresh copy of the
# log (one line, SIZE bytes, as its only log), `evmaint -q rotate -f` timed
# with /usr/bin/time, beside `gzip -6 -c` and `pigz -6 -c` of the same file.
#
#   bench/flood.sh -e build/src/evmaint [-e OTHER...] [-s MB] [-r ROUNDS] [-w DIR]
#
# As root. Prints a Markdown table: median seconds and the .gz bytes.
set -euo pipefail

BINS=()
SIZE=200
ROUNDS=5
WORK=${TMPDIR:-/tmp}
while getopts e:s:r:w: o; do
	case $o in
	e) BINS+=("$OPTARG") ;;
	s) SIZE=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	w) WORK=$OPTARG ;;
	*) echo "usage: $0 -e EVMAINT... [-s MB] [-r ROUNDS] [-w DIR]" >&2; exit 64 ;;
	esac
done
[ "${#BINS[@]}" -gt 0 ] || { echo "usage: $0 -e EVMAINT... [-s MB] [-r ROUNDS] [-w DIR]" >&2; exit 64; }
[ "$(id -u)" = 0 ] || { echo "$0: run as root" >&2; exit 1; }

d=$(mktemp -d "$WORK/evmaint-flood.XXXXXX")
trap 'rm -rf "$d"' EXIT
cat >"$d/evmaint.conf" <<EOF
root = $d/root
archive_dir = $d/archives
state_file = $d/state/evmaint.state
logs = x/x.log
EOF
python3 - "$d/flood" "$SIZE" <<'PY'
import sys
line = b"2026-11-25T02:00:01+01:00 backup[4242]: stderr: rsync: connection refused, retrying\n"
open(sys.argv[1], "wb").write(line * (int(sys.argv[2]) * 1024 * 1024 // len(line)))
PY

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "$SIZE MiB of one line, $ROUNDS rounds, medians; $(nproc) cores"
echo
echo "| tool | seconds | .gz bytes |"
echo "| --- | ---: | ---: |"
for bin in "${BINS[@]}"; do
	: >"$d/times"
	for _ in $(seq 1 "$ROUNDS"); do
		rm -rf "$d/root" "$d/archives" "$d/state"
		"$bin" -q -c "$d/evmaint.conf" init
		cp "$d/flood" "$d/root/x/x.log"
		sync
		/usr/bin/time -f %e -a -o "$d/times" "$bin" -q -c "$d/evmaint.conf" rotate -f
	done
	cmp -s <(gzip -dc "$d/root/x/x.log.1.gz") "$d/flood" ||
		{ echo "$0: $bin: x.log.1.gz is not the log" >&2; exit 1; }
	printf '| evmaint (%s) | %s | %d |\n' "$bin" "$(median <"$d/times")" \
		"$(stat -c %s "$d/root/x/x.log.1.gz")"
done
cp "$d/flood" "$d/x.log.1"
for tool in gzip pigz; do
	command -v "$tool" >/dev/null || continue
	: >"$d/times"
	for _ in $(seq 1 "$ROUNDS"); do
		/usr/bin/time -f %e -a -o "$d/times" "$tool" -6 -c "$d/x.log.1" >"$d/out.gz"
	done
	printf '| %s -6 | %s | %d |\n' "$tool" "$(median <"$d/times")" "$(stat -c %s "$d/out.gz")"
done
