#!/bin/bash
# bench/run.sh: evmaint against logrotate 3.21 on identical copies of
# generated script-log trees (see bench/README.md). Not part of make check.
#
#   bench/run.sh [-e EVMAINT] [-w WORKDIR] [-n RUNS] [--big-size SIZE]
#                [--only typical,equal,bigsmall,big,steady,steady-big,many,many40k,nothing]
#                [-o RESULTS_TABLE.md] [--autogroup-nice N]
#                [--scale DIV] [--many-counts N1,N2] [--settle SECONDS]
#
# Per workload and round, in this order: evmaint rotate --force, logrotate -f
# with gzip, logrotate -f with pigz (if installed), and the zlib and
# libdeflate yardsticks; each tool on a fresh copy of the same master tree,
# copied and synced before the clock starts. Prints median wall and CPU
# seconds, peak RSS, the .gz bytes each tool wrote against gzip -6's, the
# logrotate/evmaint ratio of every pair, and the limits: input bytes / (cores
# x single-core zlib level-6, or libdeflate level-6 in 2 MiB blocks,
# throughput on the same content, same run). --scale, --many-counts and
# --settle are for quick trial runs (see bench/README.md).
# Needs root (the trees are root:root 0640, as in production).

set -euo pipefail
export LC_ALL=C

BENCH=$(cd "$(dirname "$0")" && pwd)
EVM=${EVMAINT:-$BENCH/../src/evmaint}
WORK=/var/tmp/evmaint-bench
RUNS=5
BIG=1G
ONLY=typical,equal,bigsmall,big,steady,steady-big,many,many40k,nothing
OUT=
SCALE=1
MANY_N=10000
MANY40K_N=40000
SETTLE=31
NOTHING_ROUNDS=9	# side-by-side rounds of the nothing-to-do comparison
AGNICE=
CORES=$(nproc)
ARGS=("$@")

usage() {
	sed -n '2,19s/^# \{0,1\}//p' "$0"
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
	--scale) SCALE=$2; shift 2 ;;
	--many-counts) MANY_N=${2%%,*}; MANY40K_N=${2#*,}; shift 2 ;;
	--settle) SETTLE=$2; shift 2 ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done

die() {
	echo "bench: $*" >&2
	exit 1
}

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number"
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || die "--scale wants a positive number"
[[ $SETTLE =~ ^[0-9]+$ ]] || die "--settle wants a number of seconds"
for n in "$MANY_N" "$MANY40K_N"; do
	[[ $n =~ ^[1-9][0-9]*00$ ]] || die "--many-counts wants two multiples of 100, as 10000,40000"
done
# the 8th night is the typical workload (its master has a week of history)
ONLY=${ONLY//night8/typical}

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
# shellcheck disable=SC2046 # pkg-config's words are separate arguments
cc -O2 -o "$WORK/deflate6" "$BENCH/deflate6.c" $(pkg-config --cflags --libs libdeflate)
cc -O2 -o "$WORK/fsfloor" "$BENCH/fsfloor.c" -lpthread

bytes() { # bytes SIZE: 512M -> 536870912
	numfmt --from=iec "$1"
}

scaled() { # scaled SIZE: SIZE's bytes / --scale
	echo $(($(bytes "$1") / SCALE))
}

iec() { # iec BYTES: 52428800 -> 50M
	numfmt --to=iec "$1"
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

# A master tree per workload: W/master-WL/{root,archives,state}. Every log
# of every workload but equal has seven gzipped generations a day apart (a
# week of history), so that each rotation is an 8th night: it expires one
# generation per log, which evmaint archives (verified tar + sidecar) and
# logrotate deletes. equal's logs have none: a first night, nothing expires.
LOGS4="deploy/deploy.log backup/backup.log config_update/config_update.log error.log"

is_many() { # is_many WORKLOAD: true for the many-files workloads
	[ "$1" = many ] || [ "$1" = many40k ]
}

many_n() { # many_n WORKLOAD: how many logs
	if [ "$1" = many40k ]; then echo "$MANY40K_N"; else echo "$MANY_N"; fi
}

hist() { # hist WORKLOAD: generations each log has before the run
	if [ "$1" = equal ]; then echo 0; else echo 7; fi
}

sizes4() { # sizes4 WORKLOAD: the four logs' sizes in bytes, in LOGS4 order
	local s
	case $1 in
	typical | equal | steady) s=$(scaled 50M); echo "$s $s $s $s" ;;
	bigsmall) echo "$(scaled 160M) $(scaled 16M) $(scaled 16M) $(scaled 8M)" ;;
	big | steady-big) s=$(bytes "$BIG"); echo "$s $s $s $s" ;;
	nothing) echo "1M 1M 1M 1M" ;;
	esac
}

# steady, steady-big: typical's and big's trees as seven nights after evmaint
# took over, the generations that expire written by evmaint (2 MiB members,
# which its archive check inflates with libdeflate); genlog writes one zlib
# member a file, as logrotate's gzip would have.
steady_base() { # steady_base WORKLOAD: the workload its tree is copied from
	case $1 in
	steady) echo typical ;;
	steady-big) echo big ;;
	esac
}

spec() { # spec WORKLOAD: what its master is made of (a change rebuilds it)
	if is_many "$1"; then
		echo "$1 v2 $(many_n "$1") x 10K g7"
	elif [ -n "$(steady_base "$1")" ]; then
		echo "$1 v2 $(sizes4 "$1") g$(hist "$1") LOG.7.gz by evmaint"
	else
		echo "$1 v2 $(sizes4 "$1") g$(hist "$1")"
	fi
}

describe() { # describe WORKLOAD: the heading's words for it
	local night="8th night: 7 generations exist, the oldest archived (evmaint: tar + verify) / deleted (logrotate)"
	local s n
	read -r -a s <<<"$(sizes4 "$1")"
	case $1 in
	typical) echo "4 logs x $(iec "${s[0]}"), night8 = $night" ;;
	equal) echo "4 logs x $(iec "${s[0]}"), 1st night: no generations yet, nothing expires" ;;
	bigsmall) echo "one big log and three small: $(iec "${s[0]}") + $(iec "${s[1]}") + $(iec "${s[2]}") + $(iec "${s[3]}"), $night" ;;
	big) echo "4 logs x $(iec "${s[0]}"), $night" ;;
	steady | steady-big) echo "$(steady_base "$1")'s tree, its 4 LOG.7.gz written by evmaint (as seven nights after it took over), $night" ;;
	many | many40k)
		n=$(many_n "$1")
		echo "$n logs x 10K in $((n / 100)) directories of 100, $night"
		;;
	nothing) echo "the four logs empty, their week kept: nothing to do" ;;
	esac
}

make_four() { # make_four DIR WORKLOAD: the four logs, generated in parallel
	local d=$1 wl=$2 rel seed=1 pids=() p g i=0 s
	read -r -a s <<<"$(sizes4 "$wl")"
	g=()
	[ "$(hist "$wl")" = 0 ] || g=(-g "$(hist "$wl")")
	for rel in $LOGS4; do
		mkdir -p "$d/root/$(dirname "$rel")"
		"$WORK/genlog" "${g[@]}" "${s[$i]}" "$seed" "$(basename "$rel" .log)" "$d/root/$rel" &
		pids+=($!)
		seed=$((seed + 1))
		i=$((i + 1))
	done
	for p in "${pids[@]}"; do
		wait "$p" || die "genlog failed"
	done
}

many_dirs() { # many_dirs WORKLOAD: its directory numbers, job00..job99 for 10,000
	seq -w 0 $(($(many_n "$1") / 100 - 1))
}

make_many_dir() { # make_many_dir DIR I: job$I, 100 logs of 10 KB
	local d=$1 i=$2 k
	mkdir -p "$d/root/job$i"
	for k in $(seq -w 0 99); do
		"$WORK/genlog" -g 7 10K "1$i$k" "job$i" "$d/root/job$i/task$k.log" || return 1
	done
}

make_many() { # make_many DIR WORKLOAD: N logs of 10 KB, 100 a directory
	local d=$1 wl=$2 i
	rm -f "$d/.failed"
	for i in $(many_dirs "$wl"); do
		while [ "$(jobs -rp | wc -l)" -ge "$CORES" ]; do
			wait -n || :
		done
		{ make_many_dir "$d" "$i" || : >"$d/.failed"; } &
	done
	wait
	[ ! -e "$d/.failed" ] || die "genlog failed"
}

# evm_history DIR: each log's LOG.7.gz replaced by evmaint's compression of
# the same data (a rotation in a scratch tree), same mtime and mode.
evm_history() {
	local d=$1 rel g n h=$WORK/hist
	for rel in $LOGS4; do
		g=$d/root/$rel.7.gz
		n=$(basename "$rel")
		rm -rf "$h"
		mkdir -p "$h/root" "$h/archives" "$h/state"
		printf 'root = %s/root\narchive_dir = %s/archives\nstate_file = %s/state/evmaint.state\n' \
			"$h" "$h" "$h" >"$h/evmaint.conf"
		zcat "$g" >"$h/root/$n"
		# (it warns that the other logs are missing: a tree of one)
		"$EVM" -c "$h/evmaint.conf" -q rotate --force 2>"$h/stderr" ||
			die "evmaint could not compress $rel.7.gz's data: $(cat "$h/stderr")"
		cmp -s <(zcat "$g") <(zcat "$h/root/$n.1.gz") ||
			die "evmaint's $rel.7.gz differs from genlog's once inflated"
		chmod --reference="$g" "$h/root/$n.1.gz"
		touch -r "$g" "$h/root/$n.1.gz"
		mv "$h/root/$n.1.gz" "$g"
	done
	rm -rf "$h"
}

make_nothing() { # make_nothing DIR: the four logs empty, their week kept
	local d=$1 rel
	make_four "$d" nothing
	for rel in $LOGS4; do
		: >"$d/root/$rel"
	done
}

sample_log() { # sample_log WORKLOAD: one log checked after each run, relative to root
	if is_many "$1"; then
		echo "job$(many_dirs "$1" | head -1)/task00.log"
	else
		echo deploy/deploy.log
	fi
}

# What gzip -6 makes of the master's live logs: gzip -6 -c LOG | wc -c,
# summed (gzip stores each log's name in its header, as it does for a file).
gzip6_bytes() { # gzip6_bytes DIR
	# shellcheck disable=SC2016 # the inner script expands its own "$f"
	find "$1/root" -name '*.log' -size +0 -print0 |
		xargs -0 -r -P "$CORES" -n 100 sh -c 'for f; do gzip -6 -c "$f" | wc -c; done' sh |
		awk '{ b += $1 } END { printf "%.0f\n", b }'
}

master() { # master WORKLOAD: builds it once; the directory is reused
	local wl=$1 d=$WORK/master-$1
	# kept per spec: a rerun with other sizes or counts rebuilds it
	if [ -f "$d/.done" ] && [ "$(cat "$d/.done")" = "$(spec "$wl")" ]; then
		return
	fi
	rm -rf "$d"
	mkdir -p "$d/archives" "$d/state"
	echo "bench: generating the $wl tree (not timed)..." >&2
	case $wl in
	typical | equal | bigsmall | big) make_four "$d" "$wl" ;;
	steady | steady-big)
		master "$(steady_base "$wl")"
		rm -rf "$d"
		cp -a "$WORK/master-$(steady_base "$wl")" "$d"
		rm -f "$d/.done"
		evm_history "$d"
		;;
	many | many40k) make_many "$d" "$wl" ;;
	nothing) make_nothing "$d" ;;
	esac
	chown -R root:root "$d"
	find "$d" -type d -exec chmod 0750 {} +
	gzip6_bytes "$d" >"$d/.gzip6"
	spec "$wl" >"$d/.done"
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
				# pigz's default is already every online CPU;
				# said explicitly, so the table can say it
				echo "    compresscmd $PIGZ"
				echo "    compressoptions -6 -p $CORES"
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
# tool run next pays for the removals of the one before. So within a round
# the copies of a run with many files are not deleted but moved aside, and
# are deleted at the start of the next round, before its first copy is
# made; and every such run starts only once the last removals (the
# previous tool's own, or those) are $SETTLE s old (31 by default).

fresh_copy() { # fresh_copy WORKLOAD: W/run as the master, on disk
	if [ -d "$WORK/run" ] && is_many "$1"; then
		mkdir -p "$WORK/trash"
		mv "$WORK/run" "$WORK/trash/run.$EPOCHREALTIME"
	fi
	rm -rf "$WORK/run"
	cp -a "$WORK/master-$1" "$WORK/run"
	rm -f "$WORK/run/.done" "$WORK/run/.gzip6"
	sync
	if is_many "$1"; then
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

# What a run must have left: every non-empty log rotated and compressed;
# on an 8th night nothing at .8 and, for evmaint, a published, verified
# archive; on a first night (equal) no .2.gz and no archive.
check_run() { # check_run WORKLOAD TOOL
	local wl=$1 tool=$2 f n want=1
	f=$WORK/run/root/$(sample_log "$wl")
	if [ "$wl" = nothing ]; then
		if [ -e "$f.8.gz" ] || [ -s "$f" ] || [ ! -e "$f.7.gz" ] || [ -e "$f.1" ]; then
			die "$tool on $wl: the tree changed"
		fi
		return
	fi
	if [ ! -s "$f.1.gz" ] || [ -e "$f.1" ]; then
		die "$tool on $wl: $f not rotated as expected"
	fi
	if [ "$(hist "$wl")" = 7 ]; then
		if [ -e "$f.8.gz" ] || [ ! -e "$f.7.gz" ]; then
			die "$tool on $wl: $f's oldest generation not expired as expected"
		fi
	else
		want=0
		[ ! -e "$f.2.gz" ] || die "$tool on $wl: $f.2.gz on a first night"
	fi
	n=$(find "$WORK/run/root" -name '*.log.1' | wc -l)
	[ "$n" = 0 ] || die "$tool on $wl: $n generations left uncompressed"
	if [ "$tool" = evmaint ]; then
		n=$(find "$WORK/run/archives" -name 'event-*.tar*' ! -name '*.sha256' | wc -l)
		[ "$n" = "$want" ] || die "evmaint on $wl: $n archives, not $want"
		if [ "$want" = 1 ]; then
			(cd "$WORK/run/archives" && sha256sum --quiet -c ./*.sha256) ||
				die "evmaint on $wl: the sidecar does not match"
		fi
	fi
}

# The first round also proves the compressed data is the log, byte for
# byte, and that evmaint's archive holds the expired generations.
check_content() { # check_content WORKLOAD TOOL
	local wl=$1 tool=$2 f a
	f=$(sample_log "$wl")
	[ "$wl" = nothing ] && return
	[ "$tool" = fsfloor ] && return # its .gz holds no deflate data, by design
	gzip -dc "$WORK/run/root/$f.1.gz" | cmp -s - "$WORK/master-$wl/root/$f" ||
		die "$tool on $wl: $f.1.gz does not hold the log"
	if [ "$tool" = evmaint ] && [ "$(hist "$wl")" = 7 ]; then
		a=$(find "$WORK/run/archives" -name 'event-*.tar*' ! -name '*.sha256')
		tar -xOf "$a" --wildcards "${f}-*" | cmp -s - "$WORK/master-$wl/root/$f.7.gz" ||
			die "evmaint on $wl: the archive does not hold $f.7.gz"
	fi
}

# The bytes of the .gz generations the run wrote: each log's new LOG.1.gz
# (on an 8th night the old .1.gz is .2.gz by then), summed.
gz_out() {
	find "$WORK/run/root" -name '*.log.1.gz' -printf '%s\n' |
		awk '{ b += $1 } END { printf "%.0f\n", b }'
}

declare -A WALL DUR CPU RSS OUTB

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
	if [ "$wl" != nothing ] && [ "$tool" != fsfloor ]; then
		OUTB[$wl,$tool]+="$(gz_out) "
	fi
	printf 'bench: %-8s round %d %-8s %8.3f s wall %8.3f s to durable\n' "$wl" "$round" "$tool" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		"$(awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }')" >&2
}

# Input bytes and single-core zlib-6 CPU seconds over the workload's logs.
zlib_yardstick() { # zlib_yardstick WORKLOAD
	find "$WORK/master-$1/root" -name '*.log' -size +0 -print0 |
		xargs -0 -r "$WORK/zlib6" | awk '{ b += $1; s += $2 } END { printf "%.0f %.3f\n", b, s }'
}

# Single-core libdeflate-6 CPU seconds, in independent 2 MiB gzip members,
# and the bytes those members come to, over the workload's logs.
deflate_yardstick() { # deflate_yardstick WORKLOAD
	find "$WORK/master-$1/root" -name '*.log' -size +0 -print0 |
		xargs -0 -r "$WORK/deflate6" | awk '{ s += $2; o += $3 } END { printf "%.3f %.0f\n", s, o }'
}

# ------------------------------------------------------------- results

TABLE=$WORK/table.md
declare -A YARD

verdict() { # verdict OK_EXPR_RESULT: met or missed
	if [ "$1" = 1 ]; then echo "**met**"; else echo "**missed**"; fi
}

ratio_of() { # ratio_of A B: A / B, two decimals
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

at_least() { # at_least X T: verdict of X >= T
	verdict "$(awk -v x="$1" -v t="$2" 'BEGIN { print (x >= t) }')"
}

at_most() { # at_most X T: verdict of X <= T
	verdict "$(awk -v x="$1" -v t="$2" 'BEGIN { print (x <= t) }')"
}

report() { # report WORKLOAD TOOLS...
	local wl=$1 tool input zs ds dout g6 limit dlimit i r ratios list em ew er w ob og eo fl lg
	shift
	read -r input zs ds dout <<<"${YARD[$wl]}"
	g6=$(cat "$WORK/master-$wl/.gzip6")
	{
		echo
		echo "### $wl — $(describe "$wl") ($(iec "$input") to compress, $RUNS rounds)"
		echo
		echo "| tool | median wall s | median CPU s | peak RSS MiB (max of runs) | median wall to durable s | new .gz bytes (median) | .gz / gzip -6 | logrotate/evmaint wall (median of pairs) | per pair |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	} >>"$TABLE"
	read -r -a ew <<<"${WALL[$wl,evmaint]}"
	for tool in "$@"; do
		read -r -a w <<<"${WALL[$wl,$tool]}"
		ratios=""
		list=""
		for i in "${!w[@]}"; do
			r=$(ratio_of "${w[$i]}" "${ew[$i]}")
			ratios+="$r"$'\n'
			list+="$r "
		done
		if [ "$tool" = evmaint ]; then
			r="—"
			list="—"
		else
			r=$(printf '%s' "$ratios" | median | awk '{ printf "%.2fx", $1 }')
			RATIO[$wl,$tool]=${r%x}
		fi
		ob="—"
		og="—"
		if [ -n "${OUTB[$wl,$tool]:-}" ]; then
			ob=$(med_of "${OUTB[$wl,$tool]}" | awk '{ printf "%.0f", $1 }')
			[ "$g6" -gt 0 ] && og=$(awk -v a="$ob" -v b="$g6" 'BEGIN { printf "%.4f", a / b }')
		fi
		printf '| %s | %.3f | %.2f | %.1f | %.3f | %s | %s | %s | %s |\n' "$tool" \
			"$(med_of "${WALL[$wl,$tool]}")" \
			"$(med_of "${CPU[$wl,$tool]}")" \
			"$(max_of "${RSS[$wl,$tool]}" | awk '{ print $1 / 1024 }')" \
			"$(med_of "${DUR[$wl,$tool]}")" \
			"$ob" "$og" "$r" "$list" >>"$TABLE"
	done
	em=$(med_of "${WALL[$wl,evmaint]}")
	er=$(max_of "${RSS[$wl,evmaint]}")
	MEDWALL[$wl]=$em
	MEDCPU[$wl]=$(med_of "${CPU[$wl,evmaint]}")
	MAXRSS[$wl]=$er
	if [ "$input" -gt 0 ]; then
		limit=$(awk -v s="$zs" -v c="$CORES" 'BEGIN { printf "%.3f", s / c }')
		LIMIT[$wl]=$(ratio_of "$em" "$limit")
		dlimit=$(awk -v s="$ds" -v c="$CORES" 'BEGIN { printf "%.3f", s / c }')
		DLIMIT[$wl]=$(ratio_of "$em" "$dlimit")
		eo=$(med_of "${OUTB[$wl,evmaint]}" | awk '{ printf "%.0f", $1 }')
		{
			echo
			printf 'zlib level 6, one core, this content, median of the rounds: %.1f MB/s; limit = %s B / (%d cores x that) = **%.3f s**; evmaint median wall / limit = **%.2f**\n' \
				"$(awk -v b="$input" -v s="$zs" 'BEGIN { print b / s / 1e6 }')" "$input" "$CORES" "$limit" \
				"${LIMIT[$wl]}"
			echo
			printf 'libdeflate level 6 in independent 2 MiB gzip members (bench/deflate6.c), one core, this content, median of the rounds: %.1f MB/s; libdeflate limit = %s B / (%d cores x that) = **%.3f s**; evmaint median wall / libdeflate limit = **%.2f**\n' \
				"$(awk -v b="$input" -v s="$ds" 'BEGIN { print b / s / 1e6 }')" "$input" "$CORES" "$dlimit" \
				"${DLIMIT[$wl]}"
			echo
			# shellcheck disable=SC2016 # the backquotes are Markdown
			printf 'output: `gzip -6 -c LOG | wc -c` over the live logs, summed: **%s B**; libdeflate level 6 in 2 MiB members: %s B (%s of gzip -6); evmaint wrote %s B (%s of gzip -6)\n' \
				"$g6" "$dout" "$(awk -v a="$dout" -v b="$g6" 'BEGIN { printf "%.4f", a / b }')" \
				"$eo" "$(awk -v a="$eo" -v b="$g6" 'BEGIN { printf "%.4f", a / b }')"
		} >>"$TABLE"
	fi
	# the issues' targets, where this workload has one
	{
		echo
		echo "- target peak RSS <= 16 MiB: $(awk -v r="$er" 'BEGIN { printf "%.1f", r / 1024 }') MiB, $(at_most "$er" 16384)"
		if [ "$input" -gt 0 ]; then
			echo "- target evmaint .gz bytes <= gzip -6 (issue 16, default build): $eo B against $g6 B = $(awk -v a="$eo" -v b="$g6" 'BEGIN { printf "%.4f", a / b }'), $(at_most "$eo" "$g6")"
		fi
		case $wl in
		typical | equal | bigsmall | big | steady | steady-big)
			echo "- target >= 3x faster wall than logrotate+gzip (issue 16): ${RATIO[$wl,lr-gzip]}x, $(at_least "${RATIO[$wl,lr-gzip]}" 3)"
			if [ -n "${RATIO[$wl,lr-pigz]:-}" ]; then
				echo "- target >= 1.5x faster wall than logrotate+pigz (issue 16; pigz -6 -p $CORES): ${RATIO[$wl,lr-pigz]}x, $(at_least "${RATIO[$wl,lr-pigz]}" 1.5)"
			else
				echo "- target >= 1.5x faster wall than logrotate+pigz (issue 16): **not measured**, pigz is not installed"
			fi
			;;
		esac
		case $wl in
		equal)
			echo "- target within 1.3x of the libdeflate limit (issue 16, equal logs, 1st night): ${DLIMIT[$wl]}x, $(at_most "${DLIMIT[$wl]}" 1.3)"
			;;
		typical | big | steady | steady-big)
			echo "- target within 1.3x of the libdeflate limit (issue 16, equal logs, 8th night: the limit counts no archive work): ${DLIMIT[$wl]}x, $(at_most "${DLIMIT[$wl]}" 1.3)"
			;;
		esac
		case $wl in
		big)
			echo "- target >= 1.8x faster wall than logrotate+gzip (issue 6): ${RATIO[$wl,lr-gzip]}x, $(at_least "${RATIO[$wl,lr-gzip]}" 1.8)"
			echo "- target within 1.15x of the zlib limit (issue 6): ${LIMIT[$wl]}x, $(at_most "${LIMIT[$wl]}" 1.15)"
			;;
		many | many40k)
			if [ "$wl" = many ]; then
				echo "- target >= 20x faster wall than logrotate+gzip (issue 6): ${RATIO[$wl,lr-gzip]}x, $(at_least "${RATIO[$wl,lr-gzip]}" 20)"
			fi
			if [ -n "${WALL[$wl,fsfloor]:-}" ]; then
				fl=$(med_of "${WALL[$wl,fsfloor]}")
				lg=$(med_of "${WALL[$wl,lr-gzip]}")
				echo "- file-system floor (fsfloor row: this night's renames, creates, reads, writes, unlinks and one syncfs, on $CORES threads, and nothing else: no deflate, no fsync, no stat, no verification): $(printf '%.3f' "$fl") s median; logrotate+gzip / floor = **$(ratio_of "$lg" "$fl")x**, the most any tool could gain on this file system; 20x would need $(awk -v a="$lg" 'BEGIN { printf "%.3f", a / 20 }') s"
				echo "- evmaint above the floor: $(awk -v e="$em" -v f="$fl" 'BEGIN { printf "%.3f", e - f }') s, for deflate (limit $limit s), fsyncs, journal, checks and the verified archive"
				if [ "$wl" = many ]; then
					echo "- target evmaint within 1.5x of the file-system floor at $(many_n many) logs (issue 16): evmaint / floor = $(ratio_of "$em" "$fl")x, $(at_most "$(ratio_of "$em" "$fl")" 1.5)"
				else
					echo "- evmaint / file-system floor at $(many_n many40k) logs: $(ratio_of "$em" "$fl")x (the 1.5x target is at $(many_n many))"
				fi
			fi
			if [ "$wl" = many40k ]; then
				if [ -n "${MEDWALL[many]:-}" ]; then
					local t
					t=$(awk -v a="$MANY40K_N" -v b="$MANY_N" 'BEGIN { printf "%.2f", 1.1 * a / b }')
					r=$(ratio_of "$em" "${MEDWALL[many]}")
					echo "- target cost of $(many_n many40k) logs / cost of $(many_n many) <= ${t}x (1.1 x the ratio of the counts; issue 16), evmaint median wall: $(printf '%.3f' "$em") s / $(printf '%.3f' "${MEDWALL[many]}") s = ${r}x, $(at_most "$r" "$t"); median CPU $(ratio_of "${MEDCPU[many40k]}" "${MEDCPU[many]}")x, peak RSS $(ratio_of "$er" "${MAXRSS[many]}")x"
				else
					echo "- target cost of $(many_n many40k) logs / cost of $(many_n many) <= 4.4x (issue 16): **not measured**, many was not run in this invocation (--only many,many40k)"
				fi
			fi
			;;
		nothing)
			echo "- target <= 5 ms wall: $(awk -v e="$em" 'BEGIN { printf "%.1f", e * 1000 }') ms median through /usr/bin/time (its fork and exec included), $(at_most "$em" 0.005); see hyperfine below"
			;;
		esac
	} >>"$TABLE"
}

nothing_precise() { # hyperfine for the millisecond case, if installed
	local k lr r v em_meds=() lr_meds=() ratios=() first
	command -v hyperfine >/dev/null || return 0
	fresh_copy nothing
	tool_cmd evmaint
	# the first evmaint run creates the lock file; later ones find it
	"${CMD[@]}" >/dev/null
	lr=$(printf '%q ' logrotate -f -s "$WORK/run/state/logrotate.state" "$WORK/logrotate-gzip.conf")
	hyperfine -N --warmup 10 --runs 100 --export-markdown "$WORK/hf.md" \
		--export-json "$WORK/hf.json" \
		-n "evmaint rotate --force" "$(printf '%q ' "${CMD[@]}")" \
		-n "logrotate -f (gzip)" "$lr" \
		-n "/bin/true" "/bin/true" >&2
	# A few milliseconds drift with the machine between one command's 100
	# runs and the other's: the comparison is made in NOTHING_ROUNDS short
	# rounds, their order alternating, and judged on the median of the
	# rounds' ratios.
	for ((k = 1; k <= NOTHING_ROUNDS; k++)); do
		if ((k % 2)); then
			hyperfine -N --warmup 3 --runs 30 --export-json "$WORK/hfr.json" \
				-n evmaint "$(printf '%q ' "${CMD[@]}")" -n logrotate "$lr" >&2
			first=evmaint
		else
			hyperfine -N --warmup 3 --runs 30 --export-json "$WORK/hfr.json" \
				-n logrotate "$lr" -n evmaint "$(printf '%q ' "${CMD[@]}")" >&2
			first=logrotate
		fi
		em_meds+=("$(jq -r '.results[] | select(.command == "evmaint") | .median' "$WORK/hfr.json")")
		lr_meds+=("$(jq -r '.results[] | select(.command == "logrotate") | .median' "$WORK/hfr.json")")
		ratios+=("$(ratio_of "${em_meds[-1]}" "${lr_meds[-1]}")")
		echo "nothing round $k ($first first): evmaint $(awk -v m="${em_meds[-1]}" 'BEGIN { printf "%.2f", m * 1000 }') ms, logrotate $(awk -v m="${lr_meds[-1]}" 'BEGIN { printf "%.2f", m * 1000 }') ms" >&2
	done
	{
		echo
		echo "hyperfine -N, warm, 100 runs each (median: $(jq -r '.results[] | "\(.command) \(.median * 1000 | . * 100 | round / 100) ms"' "$WORK/hf.json" | paste -sd ';' | sed 's/;/; /g')):"
		echo
		cat "$WORK/hf.md"
		echo
		v=$(jq -r '.results[0].median <= 0.005 | if . then 1 else 0 end' "$WORK/hf.json")
		echo "- target <= 5 ms wall (hyperfine median): $(jq -r '.results[0].median * 1000 | . * 100 | round / 100' "$WORK/hf.json") ms, $(verdict "$v")"
		echo
		echo "Side by side: $NOTHING_ROUNDS rounds of hyperfine -N (3 warm-up runs, then 30 runs of each), the order alternating, evmaint first in odd rounds:"
		echo
		echo "| round | evmaint median ms | logrotate -f (gzip) median ms | evmaint / logrotate |"
		echo "| ---: | ---: | ---: | ---: |"
		for ((k = 0; k < NOTHING_ROUNDS; k++)); do
			printf '| %d | %.2f | %.2f | %s |\n' $((k + 1)) \
				"$(awk -v m="${em_meds[k]}" 'BEGIN { print m * 1000 }')" \
				"$(awk -v m="${lr_meds[k]}" 'BEGIN { print m * 1000 }')" "${ratios[k]}"
		done
		r=$(printf '%s\n' "${ratios[@]}" | median)
		echo
		echo "- target no slower than logrotate's own nothing-to-do run, side by side (issue 16): median of the rounds' evmaint / logrotate = ${r}x, $(at_most "$r" 1.00)"
	} >>"$TABLE"
}

# ---------------------------------------------------------------- main

write_configs
TOOLS=(evmaint lr-gzip)
[ -n "$PIGZ" ] && TOOLS+=(lr-pigz)
declare -A RATIO LIMIT DLIMIT MEDWALL MEDCPU MAXRSS

# The big one needs its master and one working copy, plus the outputs.
if [[ ,$ONLY, == *,big,* ]] && [ "$(cat "$WORK/master-big/.done" 2>/dev/null)" != "$(spec big)" ]; then
	need=$(($(bytes "$BIG") * 4 * 2 * 19 / 10 / 1048576 + 1024))
	avail=$(df -m --output=avail "$WORK" | tail -1)
	[ "$avail" -gt "$need" ] ||
		die "big: needs about $need MiB in $WORK, $avail free: use --big-size 512M (or -w elsewhere)"
fi
# The many ones hold, at once, their master, the run and a round's copies
# (about 40 KiB and 8 inodes a log each, on 4 KiB blocks).
for wl in many many40k; do
	[[ ,$ONLY, == *,$wl,* ]] || continue
	n=$(($(many_n "$wl") * (${#TOOLS[@]} + 3)))
	need=$((n * 40 / 1024 + 1024))
	avail=$(df -m --output=avail "$WORK" | tail -1)
	[ "$avail" -gt "$need" ] || die "$wl: needs about $need MiB in $WORK, $avail free"
	need=$((n * 8 + 10000))
	avail=$(df --output=iavail "$WORK" | tail -1)
	[ "$avail" -gt "$need" ] || die "$wl: needs about $need inodes in $WORK, $avail free"
done

zlib_version=$(printf '#include <zlib.h>\n#include <stdio.h>\nint main(void) { puts(zlibVersion()); return 0; }\n' |
	cc -x c -o "$WORK/zver" - -lz && "$WORK/zver")
# the binary names libdeflate's functions (linked, or to load them on first
# use) only when built with it
if grep -q -a libdeflate_alloc_compressor "$EVM"; then
	evm_deflate="libdeflate"
else
	evm_deflate="zlib alone (built without libdeflate)"
fi
{
	echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "- machine: $CORES cores ($(grep -c '^processor' /proc/cpuinfo) in /proc/cpuinfo), $(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr)"
	echo "- filesystem of the trees: $(df -T "$WORK" | awk 'NR == 2 { print $2 }'), $WORK"
	echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); scheduling: autogroup $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?'), this run's $(cat /proc/self/autogroup 2>/dev/null || echo 'group unknown')"
	echo "- evmaint: $("$EVM" --version | head -1) ($EVM), compresses with $evm_deflate, EVMAINT_JOBS=${EVMAINT_JOBS:-unset}"
	echo "- $(logrotate --version 2>&1 | head -1), $(gzip --version | head -1)${PIGZ:+, $(pigz --version 2>&1) (compresscmd of logrotate, compressoptions -6 -p $CORES)}"
	echo "- zlib $zlib_version (run time), libdeflate $(pkg-config --modversion libdeflate) (the yardstick's), libarchive $(dpkg-query -W -f '${Version}' libarchive13 2>/dev/null || echo '?'), nettle $(dpkg-query -W -f '${Version}' libnettle8 2>/dev/null || echo '?')"
	echo "- command: \`bench/run.sh$(printf ' %q' "${ARGS[@]}")\`"
	echo "- caches: every run starts from a fresh copy made with cp -a and synced (its data hot in the page cache, as a log written during the day is); wall = the tool's own exit, \"to durable\" adds a sync after it; many, many40k: $SETTLE s pause before each run (see fresh_copy)"
	echo "- .gz bytes: the sizes of the LOG.1.gz each run wrote (the new generations), summed; gzip -6: \`gzip -6 -c LOG | wc -c\` over the master's live logs, summed"
} >"$TABLE"

for wl in typical equal bigsmall big steady steady-big many many40k nothing; do
	[[ ,$ONLY, == *,$wl,* ]] || continue
	master "$wl"
	zsv=""
	WLTOOLS=("${TOOLS[@]}")
	is_many "$wl" && WLTOOLS+=(fsfloor)
	for round in $(seq 1 "$RUNS"); do
		# the last round's removals, done before this round's first
		# copy and its pause (see fresh_copy)
		if is_many "$wl" && [ -d "$WORK/run" ]; then
			mkdir -p "$WORK/trash"
			mv "$WORK/run" "$WORK/trash/run.$EPOCHREALTIME"
		fi
		empty_trash
		for tool in "${WLTOOLS[@]}"; do
			run_one "$wl" "$tool" "$round"
		done
		# the yardsticks in the same rounds, under the same load
		if [ "$wl" != nothing ]; then
			zsv+="$(zlib_yardstick "$wl") $(deflate_yardstick "$wl")"$'\n'
		fi
	done
	if [ "$wl" != nothing ]; then
		YARD[$wl]="$(head -1 <<<"$zsv" | cut -d' ' -f1) $(cut -d' ' -f2 <<<"$zsv" | grep . | median) $(cut -d' ' -f3 <<<"$zsv" | grep . | median) $(head -1 <<<"$zsv" | cut -d' ' -f4)"
	else
		YARD[$wl]="0 0 0 0"
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
