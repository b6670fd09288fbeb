#!/bin/bash
# Issue 13, item 3: a tree copied or restored to its own path (cp -a: a new
# inode for every file and for the root) with a pending journal never leaves
# evmaint stuck. A night's rotation is killed before each rename and each
# unlink in turn; when that leaves a journal, the tree is copied away and
# back (cp -a, rm -rf) and rotate rerun: it replays the journal by the names
# the copy shows (exit 0, the same tree, archives and state as an
# uninterrupted night) or sets it aside (exit 1 once, saying where); the
# next run exits 0; no line is lost; no advice to run a command that cannot
# succeed.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/crash-lib.sh"
need strace tar zcat sha256sum
need_root

crash_setup
export EVMAINT_JOBS=1	# strace counts calls per thread: one thread, one order

crash_restore
at "$CRASH_NOW" evm_run 0 -q rotate
crash_listing >"$T/ref"
crash_expected_lines | LC_ALL=C sort >"$T/lines.want"

# evm_run_any ARG...: evm_run whatever the status, left in RC.
evm_run_any() {
	RC=0
	timeout -k 5 "${EVM_TIMEOUT:-60}" "$EVMAINT" -c "$T/evmaint.conf" "$@" \
		>"$T/out" 2>"$T/err" </dev/null || RC=$?
}

# copy_back: the tree (and its archives) copied away and back.
copy_back() {
	local old new
	old=$(stat -c %i "$ROOT")
	cp -a "$T/srv" "$T/away"
	# back while the original still holds its inodes: none is reused
	cp -a "$T/away" "$T/back"
	rm -rf "${T:?}/srv" "${T:?}/away"
	mv "$T/back" "$T/srv"
	new=$(stat -c %i "$ROOT")
	[ "$old" != "$new" ] || fail "the copy kept the root's inode ($old)"
}

# restore_in_place: the tree's files restored from a backup into its root
# (tar or rsync): the root keeps its inode, every file gets a new one, and
# the freed inodes may come back under other names.
restore_in_place() {
	local old new
	old=$(stat -c %i "$ROOT")
	tar -C "$ROOT" -cpf "$T/backup.tar" .
	find "$ROOT" -mindepth 1 -delete
	tar -C "$ROOT" -xpf "$T/backup.tar"
	rm -f "$T/backup.tar"
	new=$(stat -c %i "$ROOT")
	[ "$old" = "$new" ] || fail "the restore changed the root's inode ($old, $new)"
}

replayed=0
asides=0
restored=0
for sc in renameat2 unlinkat; do
	n=1
	while :; do
		rc=0
		crash_kill_before "$CRASH_NOW" "$sc" "$n" || rc=$?
		[ "$rc" = 137 ] || break
		what="killed before $sc call $n"
		n=$((n + 1))
		[ -f "$STATE.journal" ] || continue
		# every other crash: restored in place instead of copied
		if [ $((n % 2)) = 0 ]; then
			restore_in_place
			restored=$((restored + 1))
			what="$what, restored in place"
		else
			copy_back
		fi
		EVMAINT_NOW=$CRASH_NOW evm_run_any rotate
		assert_no_grep "run 'evmaint" "$T/err" "$what: advice"
		case $RC in
		0)
			replayed=$((replayed + 1))
			crash_listing >"$T/got"
			assert_same "$T/got" "$T/ref" "$what, copied back, rerun: as an uninterrupted night"
			;;
		1)
			asides=$((asides + 1))
			assert_fgrep "set aside as $STATE.journal.rejected-" "$T/err" "$what, copied back"
			rm -f "$STATE".journal.rejected-*
			;;
		*) fail "$what, copied back: exit $RC: $(cat "$T/err")" ;;
		esac
		assert_no_file "$STATE.journal" "$what, copied back: journal left"
		at "$CRASH_NOW" evm_run 0 -q rotate
		assert_no_tmp "$T/srv" "$what, copied back"
		crash_lines | LC_ALL=C sort >"$T/lines.got"
		LC_ALL=C comm -23 "$T/lines.want" "$T/lines.got" >"$T/lines.lost"
		[ ! -s "$T/lines.lost" ] ||
			fail "$what, copied back: $(wc -l <"$T/lines.lost") lines lost, first: $(head -3 "$T/lines.lost")"
	done
done
[ "$replayed" -ge 5 ] || fail "only $replayed copied trees replayed ($asides set aside)"
[ "$restored" -ge 3 ] || fail "only $restored trees restored in place"
ok "$replayed copied or restored trees ($restored restored in place, the root's inode kept) with a pending journal replayed as if never copied, $asides set aside; none stuck, no line lost"

# A copy whose names fit no point of the rotation (a file where the shift
# has not put one yet): set aside, exit 1 once, then all is well.
crash_kill_before "$CRASH_NOW" renameat2 1 || true
assert_file "$STATE.journal"
assert_grep '^ren deploy.log.2.gz deploy.log.3.gz ' "$STATE.journal"
assert_file "$ROOT/deploy/.evmaint-tmp.deploy.log"
copy_back
echo planted | gzip -n >"$ROOT/deploy/deploy.log.3.gz"
at "$CRASH_NOW" evm_run 1 rotate
assert_fgrep "log deploy/deploy.log: its generations are not where" "$T/err"
assert_fgrep "set aside as $STATE.journal.rejected-20261103T020000" "$T/err"
assert_no_grep "run 'evmaint" "$T/err"
assert_no_file "$STATE.journal"
at "$CRASH_NOW" evm_run 0 -q rotate
assert_no_tmp "$T/srv"
crash_lines | LC_ALL=C sort >"$T/lines.got"
LC_ALL=C comm -23 "$T/lines.want" "$T/lines.got" >"$T/lines.lost"
[ ! -s "$T/lines.lost" ] || fail "copy set aside: $(wc -l <"$T/lines.lost") lines lost"
ok "a copy that fits no point of the rotation: set aside once, the next run rotates, no line lost"

# A name the replay must rename onto, taken since the crash (the tree not
# copied): the replay never renames over it, so retrying cannot succeed.
# That log's rotation is left undone (exit 1 once), the journal goes, and
# the next night runs; no line is lost.
crash_kill_before "$CRASH_NOW" renameat2 1 || true
assert_grep '^ren deploy.log.2.gz deploy.log.3.gz ' "$STATE.journal"
zcat "$ROOT/deploy/deploy.log.2.gz" | gzip -n >"$ROOT/deploy/deploy.log.3.gz"
at "$CRASH_NOW" evm_run 1 rotate
assert_fgrep "rename deploy.log.2.gz -> deploy.log.3.gz: deploy.log.3.gz exists; leaving the rest of the interrupted rotation undone" "$T/err"
assert_no_file "$STATE.journal"
at "2026-11-04 02:00:00" evm_run_any rotate
{ [ "$RC" != 75 ] && [ ! -f "$STATE.journal" ]; } || fail "the night after: exit $RC, journal $(ls "$STATE".journal* 2>&1)"
crash_lines | LC_ALL=C sort >"$T/lines.got"
LC_ALL=C comm -23 "$T/lines.want" "$T/lines.got" >"$T/lines.lost"
[ ! -s "$T/lines.lost" ] || fail "a name taken: $(wc -l <"$T/lines.lost") lines lost"
ok "a name taken since the crash: that log's replay stops once (exit 1), the journal goes, the next night runs; no line lost"

# The tree copied to a path of its own while the original stays: the
# journal's tree is still there, and running on it finishes the journal.
crash_kill_before "$CRASH_NOW" renameat2 3 || true
assert_file "$STATE.journal"
cp -a "$ROOT" "$T/other"
at "$CRASH_NOW" evm_run 1 --root "$T/other" rotate
assert_fgrep "run 'evmaint --root $ROOT rotate'" "$T/err"
assert_file "$STATE.journal"
at "$CRASH_NOW" evm_run 0 -q --root "$ROOT" rotate
crash_listing >"$T/got"
assert_same "$T/got" "$T/ref" "the advice followed"
ok "a journal of a tree still at another path: the advice names it, and following it works"

# A crash of the tree itself (not copied) whose names read like another
# point of the rotation: an empty log rotated (notifempty off) leaves an
# empty generation beside a live log that a script writes to after the
# crash. The replay goes by the journal's inodes, which account for every
# step: a line written after the crash stays in the live log when the
# exchange was done before it, and goes with the generation when not.
t_setup "notifempty = no" "dateext = yes" "delaycompress = yes" "logs = app/app.log"
at "2026-11-01 02:00:00" evm_run 0 -q init
echo "day1 line" >>"$ROOT/app/app.log"
at "2026-11-01 02:00:00" evm_run 0 -q rotate
cp -a "$T/srv" "$T/srv.0"
cp -a "$T/var" "$T/var.0"
checked=0
for n in 1 2 3 4 5 6; do
	rm -rf "${T:?}/srv" "${T:?}/var"
	cp -a "$T/srv.0" "$T/srv"
	cp -a "$T/var.0" "$T/var"
	rc=0
	{ ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		EVMAINT_NOW="2026-11-02 02:00:00" strace -f -o /dev/null \
		-e inject=renameat2:signal=SIGKILL:when="$n" \
		"$EVMAINT" -c "$T/evmaint.conf" -q rotate >/dev/null 2>&1 </dev/null; } 2>/dev/null || rc=$?
	[ "$rc" = 137 ] || break
	[ -f "$STATE.journal" ] || continue
	prep=$(awk '$1 == "xchg" { print $5 }' "$STATE.journal")
	swapped=no
	[ "$(stat -c %i "$ROOT/app/app.log")" != "$prep" ] || swapped=yes
	echo "after the crash" >>"$ROOT/app/app.log"
	at "2026-11-02 03:00:00" evm_run 0 -q rotate
	if [ "$swapped" = yes ]; then
		assert_grep '^after the crash$' "$ROOT/app/app.log" \
			"killed before renameat2 $n, after the exchange: the line written since left the live log"
	else
		assert_no_grep '^after the crash$' "$ROOT/app/app.log" \
			"killed before renameat2 $n, before the exchange: the line written since stayed in the live log"
	fi
	checked=$((checked + 1))
done
[ "$checked" -ge 2 ] || fail "only $checked crashes left a journal"
ok "$checked crashes of a tree whose empty generation reads like an earlier point: replayed by the journal's inodes"

# A plain generation 1 (delaycompress, compress = no) is still there while
# the new empty log has its temporary name: the shift moves it on to 2
# first. A copy or restore at such a point replays (exit 0, as an
# uninterrupted night), not "the new empty log and app.log.1 both exist".
for opt in "delaycompress = yes" "compress = no"; do
	t_setup "rotate = 2" "$opt" "logs = app/app.log"
	at "2026-11-01 01:00:00" evm_run 0 -q init
	for d in 1 2; do
		seq -f "app d$d %g" 1 100 >>"$ROOT/app/app.log"
		at "2026-11-0$d 02:00:00" evm_run 0 -q rotate
	done
	seq -f "app d3 %g" 1 100 >>"$ROOT/app/app.log"
	crash_snapshot
	crash_restore
	at "2026-11-03 02:00:00" evm_run 0 -q rotate
	crash_listing >"$T/ref"
	checked=0
	for sc in renameat2 unlinkat; do
		n=1
		while :; do
			rc=0
			crash_kill_before "2026-11-03 02:00:00" "$sc" "$n" || rc=$?
			[ "$rc" = 137 ] || break
			n=$((n + 1))
			[ -f "$STATE.journal" ] || continue
			if [ $((n % 2)) = 0 ]; then restore_in_place; else copy_back; fi
			[ -z "${JC_DEBUG:-}" ] || { echo "DEBUG $sc $((n - 1))"; ls -a "$ROOT/app"; cat "$STATE.journal"; }
			at "2026-11-03 02:00:00" evm_run 0 rotate
			crash_listing >"$T/got"
			assert_same "$T/got" "$T/ref" "$opt: killed before $sc call $((n - 1)), copied or restored"
			checked=$((checked + 1))
		done
	done
	[ "$checked" -ge 2 ] || fail "$opt: only $checked crashes left a journal"
	ok "$opt: $checked crashes with a plain generation 1, copied or restored: replayed as an uninterrupted night"
done

exit 0
