#!/bin/bash
# A tree with many logs takes other paths than the four of a fresh
# install: one syncfs instead of an fsync per file, the renames of all
# rotations and the removals of archived generations spread over threads
# (from 64 logs on). Invariants 1, 3 and 4 on those paths: three nights
# keep every line exactly once; then a night killed at points inside each
# of those phases, with two threads, and rerun, ends as an uninterrupted
# night does.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/crash-lib.sh"
need strace tar zcat sha256sum
need_root

# Two threads whatever the machine: the threaded paths run on one core too,
# and the kill points below stay where they are on many cores.
export EVMAINT_JOBS=2
JOBS="job1 job2 job3 job4 job5"
TASKS=20	# 5 x 20 + the four standard logs: 104 logs

t_setup "rotate = 2"
evm_run 0 -q init
for j in $JOBS; do
	mkdir -m 0750 "$ROOT/$j"
	for k in $(seq 1 "$TASKS"); do
		install -m 0640 /dev/null "$ROOT/$j/task$k.log"
	done
done

write_night() { # write_night N: every log gets its lines of night N
	local n=$1 j k
	for j in $JOBS; do
		for k in $(seq 1 "$TASKS"); do
			seq -f "$j/task$k d$n %g" 1 $((200 + k * 10)) >>"$ROOT/$j/task$k.log"
		done
	done
	seq -f "deploy d$n %g" 1 3000 >>"$ROOT/deploy/deploy.log"
	echo "error d$n" >>"$ROOT/error.log"
}

expected_lines() { # expected_lines N: every line of nights 1..N
	local n j k
	for n in $(seq 1 "$1"); do
		for j in $JOBS; do
			for k in $(seq 1 "$TASKS"); do
				seq -f "$j/task$k d$n %g" 1 $((200 + k * 10))
			done
		done
		seq -f "deploy d$n %g" 1 3000
		echo "error d$n"
	done
}

# Three nights, threads as the machine has them.
for n in 1 2 3; do
	write_night "$n"
	at "2026-11-0$n 02:00:00" evm_run 0 rotate
done
assert_eq "$(grep -c '^rotated job' "$T/out")" 100 "night 3 rotated the 100 task logs"
assert_eq "$(grep -c '^removed job.*: archived in event-20261103T020000.tar' "$T/out")" 100 \
	"night 3 archived and removed each task log's night-1 generation"
wrote=$(grep -n '^wrote event-20261103T020000.tar: archive of ' "$T/out" | cut -d: -f1 || true)
first_rm=$(grep -n -m1 '^removed job' "$T/out" | cut -d: -f1)
if [ -z "$wrote" ] || [ "$wrote" -ge "$first_rm" ]; then
	fail "the archive is said written (line ${wrote:-none}) after the removals it allows (line $first_rm)"
fi
assert_eq "$(find "$ROOT" -name '*.log.1.gz' | wc -l)" 102 "every log written to has its .1.gz"
assert_eq "$(find "$ROOT" \( -name '*.log.3*' -o -name '*.log.1' -o -name '.evmaint-tmp.*' \) | wc -l)" 0 \
	"nothing beyond rotate = 2, nothing left plain, no temporary file"
(cd "$ARCH" && sha256sum -c --quiet ./*.sha256) || fail "a sidecar does not match"
evm_run 0 verify
crash_lines | LC_ALL=C sort >"$T/lines.got"
expected_lines 3 | LC_ALL=C sort >"$T/lines.want"
assert_same "$T/lines.got" "$T/lines.want" "three nights: every line once"
ok "three nights over 104 logs: every line exactly once, 100 generations archived"

# Night 4: the reference, then killed at points in each threaded phase.
write_night 4
mkdir "$T/init"
cp -a "$T/srv" "$T/var" "$T/init/"
NIGHT="2026-11-04 02:00:00"
at "$NIGHT" evm_run 0 -q rotate
crash_listing >"$T/ref"
assert_eq "$(grep -c '^archive event-20261104T020000.tar ' "$T/ref")" 102 \
	"the reference night archived the night-2 generations"

# strace counts calls per thread, and the threads share the work as they
# come: the points are ones the main thread reaches whatever it was given.
# renameat2: the shifts and exchanges (spread over the threads), then the
# 104 .gz publications (main thread: calls 1-104 are always reached);
# unlinkat: the 104 plain copies (main thread), then the archived
# generations (threads); syncfs: before the journal, before publishing.
killed=0
for point in renameat2:1 renameat2:60 renameat2:100 \
	unlinkat:5 unlinkat:60 unlinkat:100 syncfs:1 syncfs:2; do
	if crash_kill_at "$NIGHT" "${point%:*}" "${point#*:}"; then
		killed=$((killed + 1))
	else
		fail "the run ended before ${point%:*} call ${point#*:}"
	fi
done
# And at instants spread over the run, which land in the threaded renames
# and removals as often as anywhere else.
crash_restore
t0=$(now_s)
at "$NIGHT" evm_run 0 -q rotate
dur=$(elapsed "$t0")
random_kills=0
for i in 1 2 3 4 5 6; do
	if crash_kill_after "$NIGHT" "$(awk -v d="$dur" -v i="$i" 'BEGIN { printf "%.3f", d * i / 7 }')"; then
		random_kills=$((random_kills + 1))
	fi
done
killed=$((killed + random_kills))
ok "$killed kills (8 before fixed calls of the threaded and batched phases, $random_kills at instants of the run), each rerun converged"
crash_restore
at "$NIGHT" evm_run 0 -q rotate
crash_lines | LC_ALL=C sort >"$T/lines.got"
expected_lines 4 | LC_ALL=C sort >"$T/lines.want"
assert_same "$T/lines.got" "$T/lines.want" "four nights: every line once"
ok "four nights: every line once"
