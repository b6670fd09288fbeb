#!/bin/bash
# bench/run.sh: evmaint against logrotate 3.21 on identical copies of
# generated script-log trees (see bench/README.md). Not part of make check.
#
#   bench/run.sh [-e EVMAINT] [-w WORKDIR] [-n RUNS] [--big-size SIZE]
#                [--only typical,big,many,nothing] [-o RESULTS_TABLE.md]
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
CORES=$(nproc)
ARGS=("$@")

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "$0"
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
	-h | --help) usage ;;
	*) usage ;;
	esac
done

die() {
	echo "bench: $*" >&2
	exit 1
}

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

bytes() { # bytes SIZE: 512M -> 536870912
	numfmt --from=iec "$1"
}

median() { # median < numbers, one a line
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ----------------------------------------------------------- the trees

# A master tree per workload: W/master/{root,archives,state}, every log with
# seven gzipped generations a day apart (a week of history), so that each
# rotation expires one generation per log: evmaint archives it (verified
# tar + sidecar), logrotate deletes it.
LOGS4="deploy/deploy.log backup/backup.log config_update/config_update.log error.log"

make_four() { # make_four DIR SIZE
	local d=$1 size=$2 rel seed=1
	for rel in $LOGS4; do
		mkdir -p "$d/root/$(dirname "$rel")"
		"$WORK/genlog" -g 7 "$size" "$seed" "$(basename "$rel" .log)" "$d/root/$rel"
		seed=$((seed + 1))
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
	if [ -f "$d/.done" ]; then
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
	touch "$d/.done"
}

# The configurations point into W/run, where each timed copy lives.
write_configs() {
	local r=$WORK/run c
	cat >"$WORK/evmaint.conf" <<-EOF
		root = $r/root
		archive_dir = $r/archives
		state_file = $r/state/evmaint.state
	EOF
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

fresh_copy() { # fresh_copy WORKLOAD: W/run as the master, on disk
	rm -rf "$WORK/run"
	cp -a "$WORK/master-$1" "$WORK/run"
	sync
}

tool_cmd() { # tool_cmd TOOL: the command line, in CMD[]
	case $1 in
	evmaint) CMD=("$EVM" -c "$WORK/evmaint.conf" rotate --force) ;;
	lr-gzip) CMD=(logrotate -f -s "$WORK/run/state/logrotate.state" "$WORK/logrotate-gzip.conf") ;;
	lr-pigz) CMD=(logrotate -f -s "$WORK/run/state/logrotate.state" "$WORK/logrotate-pigz.conf") ;;
	esac
}

# What a run must have left: every non-empty log rotated and compressed,
# nothing at .8; for evmaint also a published, verified archive.
check_run() { # check_run WORKLOAD TOOL
	local wl=$1 tool=$2 f n
	f=$WORK/run/root/deploy/deploy.log
	[ "$wl" = many ] && f=$WORK/run/root/job00/task00.log
	if [ "$wl" = nothing ]; then
		[ ! -e "$f.8.gz" ] && [ ! -s "$f" ] && [ -e "$f.7.gz" ] ||
			die "$tool on $wl: the tree changed"
		return
	fi
	[ -s "$f.1.gz" ] && [ ! -e "$f.1" ] && [ ! -e "$f.8.gz" ] && [ -e "$f.7.gz" ] ||
		die "$tool on $wl: $f not rotated as expected"
	if [ "$tool" = evmaint ]; then
		n=$(find "$WORK/run/archives" -name 'event-*.tar*' ! -name '*.sha256' | wc -l)
		[ "$n" = 1 ] || die "evmaint on $wl: $n archives"
		(cd "$WORK/run/archives" && sha256sum --quiet -c ./*.sha256) ||
			die "evmaint on $wl: the sidecar does not match"
	fi
}

# The first round also proves the compressed data is the log, byte for byte.
check_content() { # check_content WORKLOAD TOOL
	local wl=$1 tool=$2 f=deploy/deploy.log
	[ "$wl" = many ] && f=job00/task00.log
	[ "$wl" = nothing ] && return
	gzip -dc "$WORK/run/root/$f.1.gz" | cmp -s - "$WORK/master-$wl/root/$f" ||
		die "$tool on $wl: $f.1.gz does not hold the log"
}

declare -A WALL CPU RSS

run_one() { # run_one WORKLOAD TOOL ROUND
	local wl=$1 tool=$2 round=$3 t0 t1 rc=0
	fresh_copy "$wl"
	tool_cmd "$tool"
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%U %S %M' -o "$WORK/time.out" "${CMD[@]}" \
		>"$WORK/out.$tool" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	[ "$rc" = 0 ] || { cat "$WORK/out.$tool" >&2; die "$tool on $wl: exit $rc"; }
	check_run "$wl" "$tool"
	[ "$round" = 1 ] && check_content "$wl" "$tool"
	WALL[$wl,$tool]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') "
	CPU[$wl,$tool]+="$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/time.out") "
	RSS[$wl,$tool]+="$(awk '{ print $3 }' "$WORK/time.out") "
	printf 'bench: %-8s round %d %-8s %8.3f s wall\n' "$wl" "$round" "$tool" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" >&2
}

# Input bytes and single-core zlib-6 CPU seconds over the workload's logs.
zlib_yardstick() { # zlib_yardstick WORKLOAD
	find "$WORK/master-$1/root" -name '*.log' -size +0 -print0 |
		xargs -0 -r "$WORK/zlib6" | awk '{ b += $1; s += $2 } END { printf "%d %.3f\n", b, s }'
}

# ------------------------------------------------------------- results

TABLE=$WORK/table.md
: >"$TABLE"

report() { # report WORKLOAD TOOLS...
	local wl=$1 tool ew ratios r input zs limit
	shift
	read -r input zs <<<"${YARD[$wl]}"
	{
		echo
		echo "### $wl ($(numfmt --to=iec "$input") to compress, $RUNS rounds)"
		echo
		echo "| tool | median wall s | median CPU s | peak RSS MiB | logrotate/evmaint (median of pairs) | per pair |"
		echo "| --- | ---: | ---: | ---: | ---: | --- |"
	} >>"$TABLE"
	ew=(${WALL[$wl,evmaint]})
	for tool in "$@"; do
		local w=(${WALL[$wl,$tool]}) i list=""
		ratios=""
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
		fi
		printf '| %s | %.3f | %.2f | %.1f | %s | %s |\n' "$tool" \
			"$(tr ' ' '\n' <<<"${WALL[$wl,$tool]}" | grep . | median)" \
			"$(tr ' ' '\n' <<<"${CPU[$wl,$tool]}" | grep . | median)" \
			"$(tr ' ' '\n' <<<"${RSS[$wl,$tool]}" | grep . | sort -n | tail -1 | awk '{ print $1 / 1024 }')" \
			"$r" "$list" >>"$TABLE"
	done
	if [ "$input" -gt 0 ]; then
		limit=$(awk -v b="$input" -v s="$zs" -v c="$CORES" 'BEGIN { printf "%.3f", s / c }')
		{
			echo
			printf 'zlib level 6, one core, this content, median of the rounds: %.1f MB/s; limit = %s B / (%d cores x that) = **%.3f s**; evmaint median wall / limit = **%.2f**\n' \
				"$(awk -v b="$input" -v s="$zs" 'BEGIN { print b / s / 1e6 }')" "$input" "$CORES" "$limit" \
				"$(awk -v e="$(tr ' ' '\n' <<<"${WALL[$wl,evmaint]}" | grep . | median)" -v l="$limit" 'BEGIN { print e / l }')"
		} >>"$TABLE"
	fi
}

nothing_precise() { # hyperfine for the millisecond case, if installed
	command -v hyperfine >/dev/null || return 0
	fresh_copy nothing
	tool_cmd evmaint
	# the first evmaint run creates the lock file; later ones find it
	"${CMD[@]}" >/dev/null
	hyperfine -N --warmup 10 --runs 100 --export-markdown "$WORK/hf.md" \
		-n "evmaint rotate --force" "$(printf '%q ' "${CMD[@]}")" \
		-n "logrotate -f (gzip)" "logrotate -f -s $WORK/run/state/logrotate.state $WORK/logrotate-gzip.conf" \
		-n "/bin/true" "/bin/true" >&2
	{
		echo
		echo "hyperfine -N, warm, 100 runs each:"
		echo
		cat "$WORK/hf.md"
	} >>"$TABLE"
}

# ---------------------------------------------------------------- main

write_configs
TOOLS=(evmaint lr-gzip)
[ -n "$PIGZ" ] && TOOLS+=(lr-pigz)

# The big one needs its master and one working copy, plus the outputs.
if [[ ,$ONLY, == *,big,* ]] && [ ! -f "$WORK/master-big/.done" ]; then
	need=$(($(bytes "$BIG") * 4 * 2 * 19 / 10 / 1048576 + 1024))
	avail=$(df -m --output=avail "$WORK" | tail -1)
	[ "$avail" -gt "$need" ] ||
		die "big: needs about $need MiB in $WORK, $avail free: use --big-size 512M (or -w elsewhere)"
fi

declare -A YARD
{
	echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "- machine: $CORES cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr)"
	echo "- filesystem of the trees: $(df -T "$WORK" | awk 'NR == 2 { print $2 }'), $WORK"
	echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- evmaint: $("$EVM" --version | head -1) ($EVM)"
	echo "- $(logrotate --version 2>&1 | head -1), $(gzip --version | head -1)${PIGZ:+, $(pigz --version 2>&1)}, zlib $(awk '/define ZLIB_VERSION /{ print $3 }' /usr/include/zlib.h | tr -d '"')"
	echo "- command: \`bench/run.sh$(printf ' %q' "${ARGS[@]}")\`"
} >"$TABLE"

for wl in typical big many nothing; do
	[[ ,$ONLY, == *,$wl,* ]] || continue
	master "$wl"
	zsv=""
	for round in $(seq 1 "$RUNS"); do
		for tool in "${TOOLS[@]}"; do
			run_one "$wl" "$tool" "$round"
		done
		# the yardstick in the same rounds, under the same load
		[ "$wl" != nothing ] && zsv+="$(zlib_yardstick "$wl")"$'\n'
	done
	if [ "$wl" != nothing ]; then
		YARD[$wl]="$(head -1 <<<"$zsv" | cut -d' ' -f1) $(cut -d' ' -f2 <<<"$zsv" | grep . | median)"
	else
		YARD[$wl]="0 0"
	fi
	report "$wl" "${TOOLS[@]}"
	[ "$wl" = nothing ] && nothing_precise
	rm -rf "$WORK/run"
done
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$TABLE"

cat "$TABLE"
if [ -n "$OUT" ]; then
	cat "$TABLE" >>"$OUT"
fi
