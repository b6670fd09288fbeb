#!/bin/bash
# bench/blocks.sh: the block-size sweep of issue 16. Generates one script
# log (bench/genlog.c, the benchmark's generator) and compresses it with
# bench/blocks.c: libdeflate level 6 in independent gzip members of each
# block size, on THREADS threads. Not part of make check; any user.
#
#   bench/blocks.sh [-w WORKDIR] [-s LOG_SIZE] [-t THREADS] [-n ROUNDS]
#                   [-o RESULTS.md] [BLOCK_SIZE...]
#
# Defaults: -w /var/tmp/evmaint-bench, -s 200M, -t $(nproc), -n 3, block
# sizes 256K 512K 1M 2M 4M. Each round runs every size in turn; prints the
# median wall and CPU seconds (user + system, all threads) per size, the
# output bytes against gzip -6 on the same log, and checks that the members
# of the last size decompress to the log.

set -euo pipefail
export LC_ALL=C

BENCH=$(cd "$(dirname "$0")" && pwd)
WORK=/var/tmp/evmaint-bench
SIZE=200M
THREADS=$(nproc)
ROUNDS=3
OUT=
ARGS=("$@")

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "$0"
	exit 64
}

while getopts w:s:t:n:o:h opt; do
	case $opt in
	w) WORK=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	t) THREADS=$OPTARG ;;
	n) ROUNDS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(256K 512K 1M 2M 4M)

die() {
	echo "blocks: $*" >&2
	exit 1
}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "-t wants a positive number"
mkdir -p "$WORK"
cc -O2 -o "$WORK/genlog" "$BENCH/genlog.c" -lz
# shellcheck disable=SC2046 # pkg-config's words are separate arguments
cc -O2 -o "$WORK/blocks" "$BENCH/blocks.c" $(pkg-config --cflags --libs libdeflate) -lpthread

# the log, generated once per size (not timed), and what gzip -6 makes of it
LOG=$WORK/blocks-$SIZE.log
if [ ! -f "$LOG.gzip6" ]; then
	echo "blocks: generating a $SIZE log (not timed)..." >&2
	"$WORK/genlog" "$SIZE" 1 deploy "$LOG"
	gzip -6 -c "$LOG" | wc -c >"$LOG.gzip6"
fi
input=$(stat -c %s "$LOG")
g6=$(cat "$LOG.gzip6")

"$WORK/blocks" -t "$THREADS" -r "$ROUNDS" -o "$WORK/blocks.out.gz" "$LOG" "${SIZES[@]}" >"$WORK/blocks.raw"
gzip -dc "$WORK/blocks.out.gz" | cmp -s - "$LOG" ||
	die "the ${SIZES[-1]} members do not decompress to the log"
rm -f "$WORK/blocks.out.gz"

median() { # median < numbers, one a line
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

TABLE=$WORK/blocks.md
{
	echo "## Block-size sweep, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1), $(uname -sr); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- input: $LOG, $input B (bench/genlog.c, seed 1); gzip -6 -c of it: $g6 B ($(gzip --version | head -1))"
	echo "- libdeflate $(pkg-config --modversion libdeflate) level 6, independent gzip members, $THREADS threads, rounds: $ROUNDS (sizes in turn), medians; output thrown away"
	echo "- command: \`bench/blocks.sh$(printf ' %q' "${ARGS[@]}")\`"
	echo
	echo "| block | median wall s | median CPU s | MB/s (wall) | output bytes | output / gzip -6 |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
	for s in "${SIZES[@]}"; do
		b=$(numfmt --from=iec "${s^^}")
		w=$(awk -v b="$b" '$2 == b { print $3 }' "$WORK/blocks.raw" | median)
		c=$(awk -v b="$b" '$2 == b { print $4 }' "$WORK/blocks.raw" | median)
		o=$(awk -v b="$b" '$2 == b { print $5 }' "$WORK/blocks.raw" | median)
		printf '| %s | %.3f | %.2f | %.1f | %.0f | %.4f |\n' "$s" "$w" "$c" \
			"$(awk -v i="$input" -v w="$w" 'BEGIN { print i / w / 1e6 }')" "$o" \
			"$(awk -v o="$o" -v g="$g6" 'BEGIN { print o / g }')"
	done
	echo
	echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TABLE"

cat "$TABLE"
if [ -n "$OUT" ]; then
	cat "$TABLE" >>"$OUT"
fi
