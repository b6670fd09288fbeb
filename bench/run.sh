#!/bin/bash
# bench/run.sh: evmaint against logrotate 3.21 on identical copies of
# generated script-log trees (see bench/README.md). Not part of make check.
#
#   bench/run.sh [-e EVMAINT] [-w WORKDIR] [-n RUNS] [--big-size SIZE]
#                [--only typical,big,many,nothing] [-o RESULTS_TABLE.md]
#                [--autogroup-nice N]
#
# Per workload and round, in this order: evmaint rotate --force, logrotate -f
# with gzip, logrotate -f with pigz (if installed), and the zlib yardstick;
# each tool on a fresh copy of the same master tree, copied and synced
# before the clock starts. Prints median wall and CPU seconds, peak RSS, the
# logrotate/evmaint ratio of every pair, and the limit: input bytes / (cores
# x single-core zlib level-6 throughput on the same content, same run).
# Needs root (the trees are root:root 0640, as in production).

set -euo pipefail
export LC_ALL=C

BENCH=$(cd "$(dirname "$0")" && pwd)
EVM=${EVMAINT:-$BENCH/../src/evmaint}
WORK=/var/tmp/evmaint-bench
RUNS=5
BIG=1G
ONLY=typical,big,many,nothing
OUT=
AGNICE=
CORES=$(nproc)
ARGS=("$@")

usage() {
	sed -n '2,15s/^# \{0,1\}//p' "$0"
	exit 64
}

while [ $# -gt 0 ]; do
	case $1 in
	-e | --evmaint) EVM=$2; shift 2 ;;
	-w | --work) WORK=$2; shift 2 ;;
	-n | --runs) RUNS=$2; shift 2 ;;
	--big-size) BIG=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	-o | --out) OUT=$2; shift 2 ;;
	--autogroup-nice) AGNICE=$2; shift 2 ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done

die() {
	echo "bench: $*" >&2
	exit 1
}

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number"

# With the kernel's autogroup scheduling (CONFIG_SCHED_AUTOGROUP, on in
# Debian), nice only ranks processes within one session: another session's
# "nice -n 19" jobs still get an equal share of the CPUs against ours, and
# a CPU-bound benchmark measures that share instead of the tools. This runs
# the whole benchmark (every tool alike) in a session of its own and gives
# that session's group the nice value N, which touches no other process.
if [ -n "$AGNICE" ] && [ -z "${BENCH_OWN_SESSION:-}" ]; then
	[[ $AGNICE =~ ^-?[0-9]+$ ]] || die "--autogroup-nice wants a number"
	export BENCH_OWN_SESSION=1
	exec setsid -w "$0" "${ARGS[@]}"
fi
if [ -n "$AGNICE" ]; then
	[ -w /proc/self/autogroup ] || die "no /proc/self/autogroup: run without --autogroup-nice"
	echo "$AGNICE" >/proc/self/autogroup
fi
[ "$(id -u)" = 0 ] || die "needs root: the trees are root:root, as logrotate's create 640 root root wants"
[ -x "$EVM" ] || die "no evmaint at $EVM (build it, or -e PATH)"
EVM=$(cd "$(dirname "$EVM")" && pwd)/$(basename "$EVM")
command -v logrotate >/dev/null || die "logrotate is not installed"
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (apt-get install time)"
PIGZ=$(command -v pigz || true)
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# ----------------------------------------------------------------- tools

cc -O2 -o "$WORK/genlog" "$BENCH/genlog.c" -lz
cc -O2 -o "$WORK/zlib6" "$BENCH/zlib6.c" -lz
cc -O2 -o "$WORK/fsfloor" "$BENCH/fsfloor.c" -lpthread

bytes() { # bytes SIZE: 512M -> 536870912
	numfmt --from=iec "$1"
}

median() { # median < numbers, one a line
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

med_of() { # med_of "space separated numbers"
	tr ' ' '\n' <<<"$1" | grep . | median
}

max_of() { # max_of "space separated numbers"
	tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -1
}

# ----------------------------------------------------------- the trees

# A master tree per workload: W/master/{root,archives,state}, every log with
# seven gzipped generations a day apart (a week of history), so that each
# rotation expires one generation per log: evmaint archives it (verified
# tar + sidecar), logrotate deletes it.
LOGS4="deploy/deploy.log backup/backup.log config_update/config_update.log error.log"

make_four() { # make_four DIR SIZE: the four logs, generated in parallel
	local d=$1 size=$2 rel seed=1 pids=() p
	for rel in $LOGS4; do
		mkdir -p "$d/root/$(dirname "$rel")"
		"$WORK/genlog" -g 7 "$size" "$seed" "$(basename "$rel" .log)" "$d/root/$rel" &
		pids+=($!)
		seed=$((seed + 1))
	done
	for p in "${pids[@]}"; do
		wait "$p" || die "genlog failed"
	done
}

make_many() { # make_many DIR: 10,000 logs of 10 KB in 100 directories
	local d=$1 i k
	for i in $(seq -w 0 99); do
		mkdir -p "$d/root/job$i"
		for k in $(seq -w 0 99); do
			"$WORK/genlog" -g 7 10K "1$i$k" "job$i" "$d/root/job$i/task$k.log"
		done
	done
}

make_nothing() { # make_nothing DIR: the four logs empty, their week kept
	local d=$1 rel
	make_four "$d" 1M
	for rel in $LOGS4; do
		: >"$d/root/$rel"
	done
}

master() { # master WORKLOAD: builds it once; the directory is reused
	local wl=$1 d=$WORK/master-$1
	# the big tree is kept per size: a rerun with another size rebuilds it
	if [ -f "$d/.done" ] && { [ "$wl" != big ] || [ "$(cat "$d/.done")" = "$BIG" ]; }; then
		return
	fi
	rm -rf "$d"
	mkdir -p "$d/archives" "$d/state"
	echo "bench: generating the $wl tree (not timed)..." >&2
	case $wl in
	typical) make_four "$d" 50M ;;
	big) make_four "$d" "$BIG" ;;
	many) make_many "$d" ;;
	nothing) make_nothing "$d" ;;
	esac
	chown -R root:root "$d"
	find "$d" -type d -exec chmod 0750 {} +
	echo "$BIG" >"$d/.done"
}

# The configurations point into W/run, where each timed copy lives.
write_configs() {
	local r=$WORK/run c
	cat >"$WORK/evmaint.conf" <<-EOF2
		root = $r/root
		archive_dir = $r/archives
		state_file = $r/state/evmaint.state
	EOF2
	for c in gzip pigz; do
		{
			echo "$r/root/*.log $r/root/*/*.log {"
			echo "    rotate 7"
			echo "    compress"
			if [ "$c" = pigz ]; then
				echo "    compresscmd $PIGZ"
				echo "    compressoptions -6"
			fi
			echo "    create 640 root root"
			echo "    notifempty"
			echo "    missingok"
			echo "}"
		} >"$WORK/logrotate-$c.conf"
	done
}

# ------------------------------------------------------------- running

# ext4 without a journal (as here) skips an inode freed less than 30 s ago
# when it allocates one (recently_deleted() in fs/ext4/ialloc.c): after tens
# of thousands of removals, every file created scans past them, and the
# tool run next pays for the removals of the one before. So the copies of a
# run with many files are deleted after the workload, and such a run starts
# only once the last removals (the previous tool's own) are 31 s old.
SETTLE=31

fresh_copy() { # fresh_copy WORKLOAD: W/run as the master, on disk
	if [ -d "$WORK/run" ] && [ "$1" = many ]; then
		mkdir -p "$WORK/trash"
		mv "$WORK/run" "$WORK/trash/run.$EPOCHREALTIME"
	fi
	rm -rf "$WORK/run"
	cp -a "$WORK/master-$1" "$WORK/run"
	rm -f "$WORK/run/.done"
	sync
	if [ "$1" = many ]; then
		sleep "$SETTLE"
	fi
}

empty_trash() {
	rm -rf "$WORK/trash"
}

tool_cmd() { # tool_cmd TOOL: the command line, in CMD[]
	case $1 in
	evmaint) CMD=("$EVM" -c "$WORK/evmaint.conf" rotate --force) ;;
	lr-gzip) CMD=(logrotate -f -s "$WORK/run/state/logrotate.state" "$WORK/logrotate-gzip.conf") ;;
	lr-pigz) CMD=(logrotate -f -s "$WORK/run/state/logrotate.state" "$WORK/logrotate-pigz.conf") ;;
	fsfloor) CMD=("$WORK/fsfloor" "$WORK/run/root" "$CORES") ;;
	esac
}

# What a run must have left: every non-empty log rotated and compressed,
# nothing at .8; for evmaint also a published, verified archive.
check_run() { # check_run WORKLOAD TOOL
	local wl=$1 tool=$2 f n
	f=$WORK/run/root/deploy/deploy.log
	[ "$wl" = many ] && f=$WORK/run/root/job00/task00.log
	if [ "$wl" = nothing ]; then
		if [ -e "$f.8.gz" ] || [ -s "$f" ] || [ ! -e "$f.7.gz" ] || [ -e "$f.1" ]; then
			die "$tool on $wl: the tree changed"
		fi
		return
	fi
	if [ ! -s "$f.1.gz" ] || [ -e "$f.1" ] || [ -e "$f.8.gz" ] || [ ! -e "$f.7.gz" ]; then
		die "$tool on $wl: $f not rotated as expected"
	fi
	n=$(find "$WORK/run/root" -name '*.log.1' | wc -l)
	[ "$n" = 0 ] || die "$tool on $wl: $n generations left uncompressed"
	if [ "$tool" = evmaint ]; then
		n=$(find "$WORK/run/archives" -name 'event-*.tar*' ! -name '*.sha256' | wc -l)
		[ "$n" = 1 ] || die "evmaint on $wl: $n archives"
		(cd "$WORK/run/archives" && sha256sum --quiet -c ./*.sha256) ||
			die "evmaint on $wl: the sidecar does not match"
	fi
}

# The first round also proves the compressed data is the log, byte for
# byte, and that evmaint's archive holds the expired generations.
check_content() { # check_content WORKLOAD TOOL
	local wl=$1 tool=$2 f=deploy/deploy.log a
	[ "$wl" = many ] && f=job00/task00.log
	[ "$wl" = nothing ] && return
	[ "$tool" = fsfloor ] && return # its .gz holds no deflate data, by design
	gzip -dc "$WORK/run/root/$f.1.gz" | cmp -s - "$WORK/master-$wl/root/$f" ||
		die "$tool on $wl: $f.1.gz does not hold the log"
	if [ "$tool" = evmaint ]; then
		a=$(find "$WORK/run/archives" -name 'event-*.tar*' ! -name '*.sha256')
		tar -xOf "$a" --wildcards "${f}-*" | cmp -s - "$WORK/master-$wl/root/$f.7.gz" ||
			die "evmaint on $wl: the archive does not hold $f.7.gz"
	fi
}

declare -A WALL DUR CPU RSS

run_one() { # run_one WORKLOAD TOOL ROUND
	local wl=$1 tool=$2 round=$3 t0 t1 t2 rc=0
	fresh_copy "$wl"
	tool_cmd "$tool"
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%U %S %M' -o "$WORK/time.out" "${CMD[@]}" \
		>"$WORK/out.$tool" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	# evmaint fsyncs what it writes, logrotate does not: the time until
	# the result is on disk, for comparison (not a target)
	sync
	t2=$EPOCHREALTIME
	[ "$rc" = 0 ] || { cat "$WORK/out.$tool" >&2; die "$tool on $wl: exit $rc"; }
	check_run "$wl" "$tool"
	if [ "$round" = 1 ]; then
		check_content "$wl" "$tool"
	fi
	WALL[$wl,$tool]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') "
	DUR[$wl,$tool]+="$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.4f", b - a }') "
	CPU[$wl,$tool]+="$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/time.out") "
	RSS[$wl,$tool]+="$(awk '{ print $3 }' "$WORK/time.out") "
	printf 'bench: %-8s round %d %-8s %8.3f s wall %8.3f s to durable\n' "$wl" "$round" "$tool" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		"$(awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }')" >&2
}

# Input bytes and single-core zlib-6 CPU seconds over the workload's logs.
zlib_yardstick() { # zlib_yardstick WORKLOAD
	find "$WORK/master-$1/root" -name '*.log' -size +0 -print0 |
		xargs -0 -r "$WORK/zlib6" | awk '{ b += $1; s += $2 } END { printf "%.0f %.3f\n", b, s }'
}

# ------------------------------------------------------------- results

TABLE=$WORK/table.md
declare -A YARD

verdict() { # verdict OK_EXPR_RESULT: met or missed
	if [ "$1" = 1 ]; then echo "**met**"; else echo "**missed**"; fi
}

report() { # report WORKLOAD TOOLS...
	local wl=$1 tool input zs limit i r ratios list em ew er w v
	shift
	read -r input zs <<<"${YARD[$wl]}"
	{
		echo
		echo "### $wl ($(numfmt --to=iec "$input") to compress, $RUNS rounds)"
		echo
		echo "| tool | median wall s | median CPU s | peak RSS MiB (max of runs) | median wall to durable s | logrotate/evmaint wall (median of pairs) | per pair |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
	} >>"$TABLE"
	read -r -a ew <<<"${WALL[$wl,evmaint]}"
	for tool in "$@"; do
		read -r -a w <<<"${WALL[$wl,$tool]}"
		ratios=""
		list=""
		for i in "${!w[@]}"; do
			r=$(awk -v a="${w[$i]}" -v b="${ew[$i]}" 'BEGIN { printf "%.2f", a / b }')
			ratios+="$r"$'\n'
			list+="$r "
		done
		if [ "$tool" = evmaint ]; then
			r="—"
			list="—"
		else
			r=$(printf '%s' "$ratios" | median)x
			RATIO[$wl,$tool]=${r%x}
		fi
		printf '| %s | %.3f | %.2f | %.1f | %.3f | %s | %s |\n' "$tool" \
			"$(med_of "${WALL[$wl,$tool]}")" \
			"$(med_of "${CPU[$wl,$tool]}")" \
			"$(max_of "${RSS[$wl,$tool]}" | awk '{ print $1 / 1024 }')" \
			"$(med_of "${DUR[$wl,$tool]}")" \
			"$r" "$list" >>"$TABLE"
	done
	em=$(med_of "${WALL[$wl,evmaint]}")
	er=$(max_of "${RSS[$wl,evmaint]}")
	if [ "$input" -gt 0 ]; then
		limit=$(awk -v s="$zs" -v c="$CORES" 'BEGIN { printf "%.3f", s / c }')
		LIMIT[$wl]=$(awk -v e="$em" -v l="$limit" 'BEGIN { printf "%.2f", e / l }')
		{
			echo
			printf 'zlib level 6, one core, this content, median of the rounds: %.1f MB/s; limit = %s B / (%d cores x that) = **%.3f s**; evmaint median wall / limit = **%.2f**\n' \
				"$(awk -v b="$input" -v s="$zs" 'BEGIN { print b / s / 1e6 }')" "$input" "$CORES" "$limit" \
				"${LIMIT[$wl]}"
		} >>"$TABLE"
	fi
	# the issue's targets, where this workload has one
	{
		echo
		v=$(awk -v r="$er" 'BEGIN { print (r <= 16384) }')
		echo "- target peak RSS <= 16 MiB: $(awk -v r="$er" 'BEGIN { printf "%.1f", r / 1024 }') MiB, $(verdict "$v")"
		case $wl in
		big)
			v=$(awk -v r="${RATIO[$wl,lr-gzip]}" 'BEGIN { print (r >= 1.8) }')
			echo "- target >= 1.8x faster wall than logrotate+gzip: ${RATIO[$wl,lr-gzip]}x, $(verdict "$v")"
			v=$(awk -v r="${LIMIT[$wl]}" 'BEGIN { print (r <= 1.15) }')
			echo "- target within 1.15x of the limit: ${LIMIT[$wl]}x, $(verdict "$v")"
			;;
		many)
			v=$(awk -v r="${RATIO[$wl,lr-gzip]}" 'BEGIN { print (r >= 20) }')
			echo "- target >= 20x faster wall than logrotate+gzip: ${RATIO[$wl,lr-gzip]}x, $(verdict "$v")"
			if [ -n "${WALL[$wl,fsfloor]:-}" ]; then
				local fl lg
				fl=$(med_of "${WALL[$wl,fsfloor]}")
				lg=$(med_of "${WALL[$wl,lr-gzip]}")
				echo "- file-system floor (fsfloor row: this night's renames, creates, reads, writes, unlinks and one syncfs, on $CORES threads, and nothing else: no deflate, no fsync, no stat, no verification): $(printf '%.3f' "$fl") s median; logrotate+gzip / floor = **$(awk -v a="$lg" -v b="$fl" 'BEGIN { printf "%.2f", a / b }')x**, the most any tool could gain on this file system; 20x would need $(awk -v a="$lg" 'BEGIN { printf "%.3f", a / 20 }') s"
				echo "- evmaint above the floor: $(awk -v e="$em" -v f="$fl" 'BEGIN { printf "%.3f", e - f }') s, for deflate (limit $limit s), fsyncs, journal, checks and the verified archive"
			fi
			;;
		nothing)
			v=$(awk -v e="$em" 'BEGIN { print (e <= 0.005) }')
			echo "- target <= 5 ms wall: $(awk -v e="$em" 'BEGIN { printf "%.1f", e * 1000 }') ms median through /usr/bin/time (its fork and exec included), $(verdict "$v"); see hyperfine below"
			;;
		esac
	} >>"$TABLE"
}

nothing_precise() { # hyperfine for the millisecond case, if installed
	command -v hyperfine >/dev/null || return 0
	fresh_copy nothing
	tool_cmd evmaint
	# the first evmaint run creates the lock file; later ones find it
	"${CMD[@]}" >/dev/null
	hyperfine -N --warmup 10 --runs 100 --export-markdown "$WORK/hf.md" \
		--export-json "$WORK/hf.json" \
		-n "evmaint rotate --force" "$(printf '%q ' "${CMD[@]}")" \
		-n "logrotate -f (gzip)" "logrotate -f -s $WORK/run/state/logrotate.state $WORK/logrotate-gzip.conf" \
		-n "/bin/true" "/bin/true" >&2
	{
		echo
		echo "hyperfine -N, warm, 100 runs each (median: $(jq -r '.results[] | "\(.command) \(.median * 1000 | . * 100 | round / 100) ms"' "$WORK/hf.json" | paste -sd ';' | sed 's/;/; /g')):"
		echo
		cat "$WORK/hf.md"
		echo
		v=$(jq -r '.results[0].median <= 0.005 | if . then 1 else 0 end' "$WORK/hf.json")
		echo "- target <= 5 ms wall (hyperfine median): $(jq -r '.results[0].median * 1000 | . * 100 | round / 100' "$WORK/hf.json") ms, $(verdict "$v")"
	} >>"$TABLE"
}

# ---------------------------------------------------------------- main

write_configs
TOOLS=(evmaint lr-gzip)
[ -n "$PIGZ" ] && TOOLS+=(lr-pigz)
declare -A RATIO LIMIT

# The big one needs its master and one working copy, plus the outputs.
if [[ ,$ONLY, == *,big,* ]] && [ "$(cat "$WORK/master-big/.done" 2>/dev/null)" != "$BIG" ]; then
	need=$(($(bytes "$BIG") * 4 * 2 * 19 / 10 / 1048576 + 1024))
	avail=$(df -m --output=avail "$WORK" | tail -1)
	[ "$avail" -gt "$need" ] ||
		die "big: needs about $need MiB in $WORK, $avail free: use --big-size 512M (or -w elsewhere)"
fi

zlib_version=$(printf '#include <zlib.h>\n#include <stdio.h>\nint main(void) { puts(zlibVersion()); return 0; }\n' |
	cc -x c -o "$WORK/zver" - -lz && "$WORK/zver")
{
	echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "- machine: $CORES cores ($(grep -c '^processor' /proc/cpuinfo) in /proc/cpuinfo), $(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr)"
	echo "- filesystem of the trees: $(df -T "$WORK" | awk 'NR == 2 { print $2 }'), $WORK"
	echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); scheduling: autogroup $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?'), this run's $(cat /proc/self/autogroup 2>/dev/null || echo 'group unknown')"
	echo "- evmaint: $("$EVM" --version | head -1) ($EVM), EVMAINT_JOBS=${EVMAINT_JOBS:-unset}"
	echo "- $(logrotate --version 2>&1 | head -1), $(gzip --version | head -1)${PIGZ:+, $(pigz --version 2>&1)}"
	echo "- zlib $zlib_version (run time), libarchive $(dpkg-query -W -f '${Version}' libarchive13 2>/dev/null || echo '?'), nettle $(dpkg-query -W -f '${Version}' libnettle8 2>/dev/null || echo '?')"
	echo "- command: \`bench/run.sh$(printf ' %q' "${ARGS[@]}")\`"
	echo "- caches: every run starts from a fresh copy made with cp -a and synced (its data hot in the page cache, as a log written during the day is); wall = the tool's own exit, \"to durable\" adds a sync after it; many: $SETTLE s pause before each run (see fresh_copy)"
} >"$TABLE"

for wl in typical big many nothing; do
	[[ ,$ONLY, == *,$wl,* ]] || continue
	master "$wl"
	zsv=""
	WLTOOLS=("${TOOLS[@]}")
	[ "$wl" = many ] && WLTOOLS+=(fsfloor)
	for round in $(seq 1 "$RUNS"); do
		for tool in "${WLTOOLS[@]}"; do
			run_one "$wl" "$tool" "$round"
		done
		# the yardstick in the same rounds, under the same load
		if [ "$wl" != nothing ]; then
			zsv+="$(zlib_yardstick "$wl")"$'\n'
		fi
	done
	if [ "$wl" != nothing ]; then
		YARD[$wl]="$(head -1 <<<"$zsv" | cut -d' ' -f1) $(cut -d' ' -f2 <<<"$zsv" | grep . | median)"
	else
		YARD[$wl]="0 0"
	fi
	report "$wl" "${WLTOOLS[@]}"
	if [ "$wl" = nothing ]; then
		nothing_precise
	fi
	rm -rf "$WORK/run"
	empty_trash
done
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$TABLE"

cat "$TABLE"
if [ -n "$OUT" ]; then
	cat "$TABLE" >>"$OUT"
fi
