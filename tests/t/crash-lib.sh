#!/bin/bash
# shellcheck shell=bash
#
# Shared by the crash and fault tests: a tree with history (rotate = 2, so
# every run shifts, compresses and archives), a copy of its initial state to
# restart from, and a listing of everything that matters after a run: every
# file of the tree with the SHA-256 of its decompressed content, every
# archive's members, the state file, and no journal or temporary file.

# shellcheck disable=SC2034 # read by the tests that source this
CRASH_NOW="2026-11-03 02:00:00"

# crash_history [backup]: a fresh $T (rotate = 2, initialised) with two
# nights of history, each rotated at 02:00 of its day: 50000 lines of
# deploy.log, 20000 of backup.log when "backup" is given, one of error.log.
crash_history() {
	local d
	t_setup "rotate = 2"
	evm_run 0 -q init
	for d in 1 2; do
		seq -f "deploy d$d %g" 1 50000 >>"$ROOT/deploy/deploy.log"
		if [ "${1:-}" = backup ]; then
			seq -f "backup d$d %g" 1 20000 >>"$ROOT/backup/backup.log"
		fi
		echo "error d$d" >>"$ROOT/error.log"
		at "2026-11-0$d 02:00:00" evm_run 0 -q rotate
	done
}

# crash_history_lines [backup]: the lines crash_history wrote, in order.
crash_history_lines() {
	local d
	for d in 1 2; do
		seq -f "deploy d$d %g" 1 50000
		if [ "${1:-}" = backup ]; then
			seq -f "backup d$d %g" 1 20000
		fi
		echo "error d$d"
	done
}

# crash_snapshot: keeps a pristine copy of the tree and the state in
# $T/init, for crash_restore.
crash_snapshot() {
	mkdir "$T/init"
	cp -a "$T/srv" "$T/var" "$T/init/"
}

# crash_setup: crash_history with backup.log's, a third night's writes (a
# few MB) and the snapshot.
crash_setup() {
	crash_history backup
	seq -f "deploy d3 %g" 1 300000 >>"$ROOT/deploy/deploy.log"
	seq -f "backup d3 %g" 1 20000 >>"$ROOT/backup/backup.log"
	seq -f "config d3 %g" 1 5000 >>"$ROOT/config_update/config_update.log"
	echo "error d3" >>"$ROOT/error.log"
	crash_snapshot
}

crash_restore() {
	rm -rf "${T:?}/srv" "${T:?}/var"
	cp -a "$T/init/srv" "$T/init/var" "$T/"
}

# crash_listing: what a run left, as text, for comparing two runs (one
# python3 process: see crash_listing.py).
crash_listing() {
	python3 "$TESTDIR/crash_listing.py" "$ROOT" "$ARCH" "$STATE" "$T"
}

# crash_lines: every line written, as found in live logs, generations and
# archives (sorted, with duplicates kept, so a loss or a copy shows).
crash_lines() {
	local f a x
	find "$ROOT" -type f \( -name '*.log' -o -name '*.log.[0-9]*' \) ! -name '.evmaint-tmp.*' |
		while IFS= read -r f; do
			case $f in
			*.gz) zcat "$f" ;;
			*) cat "$f" ;;
			esac
		done
	for a in "$ARCH"/event-*; do
		case $a in *.sha256) continue ;; esac
		[ -e "$a" ] || continue
		x=$T/x
		rm -rf "$x"
		mkdir "$x"
		tar -xf "$a" -C "$x"
		find "$x" -type f -name '*.gz' -exec zcat {} +
		find "$x" -type f ! -name '*.gz' -exec cat {} +
		rm -rf "$x"
	done
}

# The lines crash_setup wrote, in the same form.
crash_expected_lines() {
	crash_history_lines backup
	seq -f "deploy d3 %g" 1 300000
	seq -f "backup d3 %g" 1 20000
	seq -f "config d3 %g" 1 5000
	echo "error d3"
}

# crash_members: crash_listing with archive members listed by what they
# hold, not by which archive holds them (after an I/O error a generation may
# expire one run later, into the next night's archive).
# Given a file holding a listing already made, it reads that instead.
crash_members() {
	if [ -n "${1:-}" ]; then cat "$1"; else crash_listing; fi | sed -E 's/^archive [^ ]+ /member /; s/^sidecar [^ ]+ ok$/sidecar ok/' |
		LC_ALL=C sort -u
}

# crash_kill_before NOW SYSCALL N: the tree restored from $T/init, the
# night NOW's run killed before its Nth SYSCALL (strace -e
# inject=SYSCALL:signal=SIGKILL:when=N; strace counts per thread); returns
# the run's exit status, 137 when the kill landed. LeakSanitizer cannot
# work under ptrace: the run skips it.
crash_kill_before() {
	local when=$1 sc=$2 n=$3 rc=0
	crash_restore
	# (the braces keep bash's "Killed" notice out of the test's log)
	{ ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		EVMAINT_NOW="$when" strace -f -o /dev/null \
		-e inject="$sc":signal=SIGKILL:when="$n" \
		"$EVMAINT" -c "$T/evmaint.conf" -q rotate >/dev/null 2>&1 </dev/null; } 2>/dev/null || rc=$?
	return "$rc"
}

# crash_kill_at NOW SYSCALL N: crash_kill_before, then rerun; 0 when the
# run was killed there and the rerun left what $T/ref lists, 1 when the
# run finished before reaching call N.
crash_kill_at() {
	local when=$1 sc=$2 n=$3 rc=0
	crash_kill_before "$when" "$sc" "$n" || rc=$?
	if [ "$rc" != 137 ]; then
		[ "$rc" = 0 ] || fail "$sc#$n: not killed, yet exit $rc"
		return 1
	fi
	at "$when" evm_run 0 -q rotate
	crash_listing >"$T/got"
	assert_same "$T/got" "$T/ref" "killed before $sc call $n, then rerun"
	return 0
}

# crash_kill_after NOW DELAY: the night NOW's run killed DELAY seconds in,
# as a power cut would, then rerun; the rerun must leave what $T/ref lists.
# 0 when the kill landed, 1 when the run had ended before. evmaint is this
# shell's own child, so that wait returns only once it is gone and its lock
# with it (through timeout(1), a dying grandchild could still hold it). The
# kill landed only when the run died of it (status 137): kill also succeeds
# on a run that has already ended but is not yet reaped.
crash_kill_after() {
	local when=$1 delay=$2 pid rc=0 landed=1
	crash_restore
	EVMAINT_NOW="$when" "$EVMAINT" -c "$T/evmaint.conf" -q rotate \
		>/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "$delay"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" = 137 ]; then
		landed=0
	fi
	at "$when" evm_run 0 -q rotate
	crash_listing >"$T/got"
	assert_same "$T/got" "$T/ref" "killed after ${delay}s, then rerun"
	return "$landed"
}

# crash_kill_spread NOW DUR COUNT [random]: COUNT crash_kill_after runs of
# the night NOW, whose uninterrupted run took DUR seconds, each rerun
# checked against $T/ref; CRASH_LANDED is how many kills landed mid-run.
# The kills fall at the middles of COUNT equal slices of DUR, so that every
# phase of the run is hit whatever the machine's speed; with "random", at
# pseudo-random instants up to 1.1 DUR, seeded by the kill's number (the
# same instants every time).
crash_kill_spread() {
	local when=$1 dur=$2 count=$3 how=${4:-even} i delay
	CRASH_LANDED=0
	for i in $(seq 1 "$count"); do
		case $how in
		even) delay=$(awk -v d="$dur" -v i="$i" -v n="$count" 'BEGIN { printf "%.3f", d * (i - 0.5) / n }') ;;
		random) delay=$(awk -v d="$dur" -v s="$i" 'BEGIN { srand(s * 7919); printf "%.3f", rand() * d * 1.1 }') ;;
		*) fail "crash_kill_spread: no spread '$how' (even or random)" ;;
		esac
		if crash_kill_after "$when" "$delay"; then
			CRASH_LANDED=$((CRASH_LANDED + 1))
		fi
	done
}

# crash_kill_landing NOW DUR COUNT MIN: crash_kill_spread until MIN kills in
# all have landed mid-run, at most three rounds. A reference run timed on a
# busy machine is longer than the runs killed once it is quiet, and a kill
# after the end tests nothing: each further round is spread over a run
# timed again, now. CRASH_LANDED is the total.
crash_kill_landing() {
	local when=$1 dur=$2 count=$3 min=$4 total=0 round t0
	for round in 1 2 3; do
		crash_kill_spread "$when" "$dur" "$count"
		total=$((total + CRASH_LANDED))
		[ "$total" -lt "$min" ] || break
		[ "$round" -lt 3 ] || break
		crash_restore
		t0=$(now_s)
		at "$when" evm_run 0 -q rotate
		dur=$(elapsed "$t0")
	done
	CRASH_LANDED=$total
	assert_ge "$CRASH_LANDED" "$min" "kills that landed mid-run, in $round round(s) of $count"
}
