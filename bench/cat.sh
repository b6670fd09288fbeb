#!/bin/bash
# bench/cat.sh — evmaint cat, one day out of 90 days of history, against
# what an operator does without it: zcat of everything (every nightly
# archive's members through tar, every generation, the live log) piped to
# awk picking the day. The history is made by evmaint itself: 90 nights of
# `rotate` with rotate = 7, so 83 days are in nightly archives, 7 in the
# tree's generations. Not part of make check.
#
#	bench/cat.sh [-e EVMAINT] [-w DIR] [-s DAYSIZE] [-n RUNS] [-o FILE]
#
# Needs hyperfine, GNU tar, gzip, awk. Run as root (the tree is root's).
set -eu
set -o pipefail
# UTC: the generated lines carry +00:00, and no DST day is among the 90
export LC_ALL=C TZ=UTC

BENCH=$(cd "$(dirname "$0")" && pwd)
EVMAINT=$BENCH/../src/evmaint
WORK=/var/tmp/evmaint-bench-cat
DAYSIZE=2000000
RUNS=10
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	-e) EVMAINT=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
	-w) WORK=$2; shift 2 ;;
	-s) DAYSIZE=$2; shift 2 ;;
	-n) RUNS=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	*) echo "usage: $0 [-e EVMAINT] [-w DIR] [-s DAYSIZE] [-n RUNS] [-o FILE]" >&2; exit 64 ;;
	esac
done
for c in hyperfine tar gzip awk; do
	command -v "$c" >/dev/null || { echo "needs $c" >&2; exit 1; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
cat >evmaint.conf <<EOF
root = $WORK/event
archive_dir = $WORK/archives
state_file = $WORK/state/state
rotate = 7
EOF
evm() { "$EVMAINT" -c "$WORK/evmaint.conf" "$@"; }
EVMAINT_NOW="2026-08-01 00:00:00" evm init >/dev/null
LOG=$WORK/event/deploy/deploy.log

# day_text YYYY-MM-DD SEED: about DAYSIZE bytes of script lines over the day
day_text() {
	awk -v d="$1" -v seed="$2" -v size="$DAYSIZE" 'BEGIN {
		srand(seed)
		split("fetching release|restarting service|health check ok|" \
		    "copying files|retrying after timeout|config pushed|" \
		    "backup chunk written|checksum verified", m, "|")
		n = 0; pid = 4000
		while (n < size) {
			s = int(n / size * 86400)
			if (rand() < 0.01) pid = 1000 + int(rand() * 60000)
			line = sprintf("%sT%02d:%02d:%02d+00:00 deploy[%d]: %s host=web%02d id=%d took=%.3fs", d,
			    s / 3600, s / 60 % 60, s % 60, pid, m[1 + int(rand() * 8)],
			    int(rand() * 40), int(rand() * 1000000), rand() * 10)
			print line
			n += length(line) + 1
		}
	}'
}

echo "building 90 nights of history in $WORK ..." >&2
for i in $(seq 0 89); do
	day=$(date -d "2026-08-01 +$i days" +%F)
	next=$(date -d "2026-08-01 +$((i + 1)) days" +%F)
	day_text "$day" "$i" >>"$LOG"
	touch -d "$day 23:59:59" "$LOG"
	EVMAINT_NOW="$next 02:00:00" evm rotate >/dev/null
done
DAYSIZE=10000 day_text "$(date -d "2026-08-01 +90 days" +%F)" 90 >>"$LOG"
narc=$(find "$WORK/archives" -name 'event-*.tar' | wc -l)
ngen=$(find "$WORK/event/deploy" -name 'deploy.log.*' | wc -l)
hist=$(du -sb "$WORK/archives" "$WORK/event" | awk '{ s += $1 } END { print s }')
echo "history: $narc nightly archives, $ngen generations, $hist bytes on disk" >&2

# The operator's way: everything decompressed, oldest first, awk picks.
cat >"$WORK/zcat-all.sh" <<'EOF'
#!/bin/bash
# zcat-all.sh DAY: the day's lines the long way
set -eu -o pipefail
W=$(dirname "$0")
{
	for a in $(ls "$W"/archives/event-*.tar | sort); do
		tar -xOf "$a" --wildcards 'deploy/deploy.log-*.gz' | gzip -dc
	done
	for n in 7 6 5 4 3 2 1; do
		gzip -dc "$W/event/deploy/deploy.log.$n.gz"
	done
	cat "$W/event/deploy/deploy.log"
} | awk -v d="$1" 'substr($1, 1, 10) == d'
EOF
chmod +x "$WORK/zcat-all.sh"

ARCHDAY=2026-09-10	# day 41: in an archive
GENDAY=2026-10-26	# day 87: in a generation
for d in $ARCHDAY $GENDAY; do
	evm cat --since "$d" --until "$d" deploy >"$WORK/cat.$d"
	"$WORK/zcat-all.sh" "$d" >"$WORK/zcat.$d"
	cmp -s "$WORK/cat.$d" "$WORK/zcat.$d" ||
		{ echo "evmaint cat and zcat|awk differ for $d" >&2; exit 1; }
	echo "$d: $(wc -l <"$WORK/cat.$d") lines, the same from both" >&2
done

hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$WORK/h.json" \
	-n "evmaint cat, a day in an archive ($ARCHDAY)" \
	"$EVMAINT -c $WORK/evmaint.conf cat --since $ARCHDAY --until $ARCHDAY deploy" \
	-n "evmaint cat, a day in a generation ($GENDAY)" \
	"$EVMAINT -c $WORK/evmaint.conf cat --since $GENDAY --until $GENDAY deploy" \
	-n "zcat everything | awk ($ARCHDAY)" \
	"$WORK/zcat-all.sh $ARCHDAY" \
	-n "evmaint cat, all 90 days" \
	"$EVMAINT -c $WORK/evmaint.conf cat deploy" >&2

table=$(python3 - "$WORK/h.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[2]["median"]
print("| command | median | min | max | CPU (user+sys, mean) | vs zcat\\|awk |")
print("| --- | --- | --- | --- | --- | --- |")
for x in r:
    print("| %s | %.3f s | %.3f s | %.3f s | %.3f s | %.1fx |" % (x["command"].replace("|", "\\|"), x["median"],
          x["min"], x["max"], x["user"] + x["system"], base / x["median"]))
EOF
)
rss=$( { /usr/bin/time -f %M "$EVMAINT" -c "$WORK/evmaint.conf" cat deploy >/dev/null; } 2>&1 | tail -1)
{
	echo "## evmaint cat: one day out of 90 ($(date -u +%FT%RZ))"
	echo
	echo "- history: $narc nightly archives + $ngen generations + the live log, $hist bytes on disk, about $DAYSIZE bytes a day"
	echo "- machine: $(nproc) cores, $(uname -r); command: \`bench/cat.sh${OUT:+ -o $OUT}\`"
	echo "- peak RSS of \`evmaint cat deploy\` (all 90 days): ${rss} KiB"
	echo
	echo "$table"
} | tee ${OUT:+-a "$OUT"}
