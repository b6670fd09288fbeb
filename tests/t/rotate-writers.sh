#!/bin/bash
# Invariants 1 and 2 under live writers. Scripts append with ">>" (open
# without O_CREAT, write, close) while rotate --force runs back to back,
# with rotate = 3 so that generations expire into nightly archives during
# the test: no writer ever gets ENOENT or sees a live log with another mode
# or owner than 0640 root:root, and every line written is afterwards in the
# live log, a generation or an archive, exactly once. A writer holding its
# fd across rotations (a script that did "exec >>log") keeps writing into
# the generation, which is left uncompressed while it is open ("still open
# for writing") and compressed by the first run after the writer is gone.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/adv-lib.sh"

need_root # the live logs are root:root, checked by the writers
need_writer

# --- 1. four >> writers (two on one log), >= 30 forced rotations
t_setup "rotate = 3"
evm_run 0 init
# name:log:count:delay(us)
WRITERS="A:deploy/deploy.log:2500:1500
B:deploy/deploy.log:2500:1700
C:backup/backup.log:2000:2300
D:config_update/config_update.log:1500:3100"
pids=()
while IFS=: read -r p log n d; do
	t_bg "$WRITER" -d "$d" -m 0640 -u 0 -g 0 "$ROOT/$log" "$p" "$n" >"$T/writer.$p" 2>&1
	pids+=("$BG_PID")
done <<<"$WRITERS"

alive() {
	local p
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			return 0
		fi
	done
	return 1
}

base=$(date -d '2026-11-25 02:00:00' +%s)
runs=0
t0=$(now_s)
while [ "$runs" -lt 30 ] || alive; do
	runs=$((runs + 1))
	assert_lt "$(elapsed "$t0")" 300 "the writers did not finish within 300 s of rotations"
	# A line "E RUN" before each rotation, appended as the writers do (open
	# without O_CREAT, write, close), so that every rotation finds deploy.log
	# non-empty and generations expire into archives even when the writers
	# are done after a few slow rotations.
	echo "E $runs" | dd of="$ROOT/deploy/deploy.log" oflag=append conv=notrunc,nocreat status=none ||
		fail "cannot append to the live deploy.log before rotation $runs"
	at "@$((base + 60 * runs))" evm_run 0 rotate --force
done
took=$(elapsed "$t0")
alive_at_end=0
if [ "$runs" -gt 30 ]; then
	alive_at_end=1
fi
for p in "${pids[@]}"; do
	wait "$p" || true
done
while IFS=: read -r p log n d; do
	writer_ok "$T/writer.$p" "$n"
done <<<"$WRITERS"
ok "$runs rotate --force runs in ${took}s under 4 writers: no ENOENT, never a wrong mode or owner"

# One more run with the writers gone, so that nothing is left half-done.
at "@$((base + 60 * (runs + 1)))" evm_run 0 rotate --force
assert_no_tmp "$ROOT"
assert_no_tmp "$ARCH"
narch=$(archives_in "$ARCH" | wc -l)
[ "$narch" -ge 1 ] || fail "no nightly archive was written: expiry was not exercised"
for log in deploy/deploy.log backup/backup.log config_update/config_update.log; do
	assert_file "$ROOT/$log"
	assert_mode "$ROOT/$log" 0640
	assert_owner "$ROOT/$log" root:root
	ngen=$(find "$(dirname "$ROOT/$log")" -name "$(basename "$log").*" | wc -l)
	[ "$ngen" -le 3 ] || fail "$log has $ngen generations with rotate = 3"
done
for a in $(archives_in "$ARCH"); do
	(cd "$ARCH" && sha256sum -c --quiet "$a.sha256") >/dev/null 2>&1 || fail "$a does not match its sidecar"
done

collect_lines "$T/all" "$ROOT" "$ARCH"
assert_all_lines '^[ABCDE] [0-9]+$' "$T/all" "a line is torn or foreign"
while IFS=: read -r p log n d; do
	assert_lines_once "$T/all" "$p" "$n"
done <<<"$WRITERS"
assert_lines_once "$T/all" E "$runs"
ok "every line of every writer, and the $runs E lines, is in a live log, a generation or one of $narch archives, exactly once (writers alive to the end: $alive_at_end)"

# --- 2. a writer holding its fd (exec >>log) across a rotation
t_setup
evm_run 0 init
N=3000
t_bg "$WRITER" -H -d 2000 -m 0640 -u 0 -g 0 "$ROOT/deploy/deploy.log" H "$N" >"$T/writer.H" 2>&1
HPID=$BG_PID
wait_until 5 test -s "$ROOT/deploy/deploy.log" || fail "the held writer wrote nothing"
printf 'backup line\n' >>"$ROOT/backup/backup.log"
at "2026-11-25 02:00:00" evm_run 0 rotate
# the lines in deploy.log.1 when the rotation ended, counted at once: the
# writer goes on adding to it ("none" when it is missing, which assert_file
# below reports)
at_rotation=$(wc -l 2>/dev/null <"$ROOT/deploy/deploy.log.1" || echo none)
kill -0 "$HPID" 2>/dev/null || fail "the held writer ended before the rotation was over (machine too slow?)"
assert_file "$ROOT/deploy/deploy.log.1" "deploy.log was not rotated, or its generation not left plain"
assert_no_file "$ROOT/deploy/deploy.log.1.gz" "the generation still open for writing was compressed"
assert_grep 'deploy/deploy\.log\.1: .*still open for writing' "$T/err" "no warning that deploy.log.1 is still open for writing"
assert_file "$ROOT/backup/backup.log.1.gz" "the other log was not rotated and compressed"
wait "$HPID" || fail "the held writer failed: $(cat "$T/writer.H")"
writer_ok "$T/writer.H" "$N"
after=$(wc -l <"$ROOT/deploy/deploy.log.1")
assert_eq "$after" "$N" "lines in deploy.log.1, which the held writer kept writing to"
[ "$at_rotation" -lt "$N" ] || fail "the writer had finished before the rotation: nothing was written after it"
assert_empty "$ROOT/deploy/deploy.log" "the held writer's lines went to the new live log"
seq 1 "$N" | sed 's/^/H /' >"$T/want.H"
assert_same "$ROOT/deploy/deploy.log.1" "$T/want.H" "deploy.log.1 does not hold every line of the held writer in order"
ok "a held writer: $((N - at_rotation)) of $N lines written after the rotation are in deploy.log.1, left uncompressed with a warning"

at "2026-11-26 02:00:00" evm_run 0 rotate
assert_no_grep 'still open' "$T/err" "a warning about a writer that is gone"
assert_no_file "$ROOT/deploy/deploy.log.1" "the plain generation is still there after the writer ended"
assert_file "$ROOT/deploy/deploy.log.1.gz" "the generation was not compressed once the writer ended"
unz "$ROOT/deploy/deploy.log.1.gz" >"$T/got.H"
assert_same "$T/got.H" "$T/want.H" "deploy.log.1.gz does not hold every line of the held writer"
gzip -t "$ROOT/deploy/deploy.log.1.gz" || fail "deploy.log.1.gz fails gzip -t"
assert_mode "$ROOT/deploy/deploy.log.1.gz" 0640
ok "after the writer exits, the next rotate compresses deploy.log.1 with all $N lines"

# --- 3. an expired generation still open for writing is not archived yet
t_setup
conf_add "[backup/backup.log]" "rotate = 1"
evm_run 0 init
B=$ROOT/backup/backup.log
echo "held 1" >>"$B"
exec 7>>"$B" # a script that did exec >>backup.log, still running
at "2026-11-25 02:00:00" evm_run 0 rotate
echo "later" >>"$B"
at "2026-11-26 02:00:00" evm_run 0 rotate
echo "held 2" >&7
assert_file "$B.2" "the held generation, expired (rotate = 1)"
assert_fgrep "backup/backup.log.2: expired but still open for writing" "$T/err" \
	"no warning naming the held generation"
assert_eq "$(find "$ARCH" -name 'event-*' | wc -l)" 0 "an archive of a generation still being written"
exec 7>&-
echo "last" >>"$B"
at "2026-11-27 02:00:00" evm_run 0 rotate
assert_no_file "$B.2"
assert_no_file "$B.3"
a=$(find "$ARCH" -name 'event-*.tar*' ! -name '*.sha256')
[ -n "$a" ] || fail "no archive once the writer was gone"
tar -xOf "$a" >"$T/held.out" 2>/dev/null
zcat -f "$T/held.out" >"$T/held.txt"
assert_fgrep "held 2" "$T/held.txt" "the line written to the expired generation is not in its archive"
ok "an expired generation still open for writing: kept with a warning, archived with every line once the writer is gone"

exit 0
