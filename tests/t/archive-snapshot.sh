#!/bin/bash
# evmaint archive: a snapshot of the whole tree now. One event-STAMP.tar.gz
# with a NAME.sha256 sidecar (gzip -t, sha256sum -c, GNU tar and bsdtar all
# accept it) holding every live log, every generation and README.md under
# the tree's own names, so that extracting it recreates the tree byte for
# byte; the tree itself does not change. A missing archive_dir is an error
# (exit 1, nothing created); the lock is taken (75, or --wait), and an
# archive waiting for a concurrent rotate sees the tree as that run left it.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/adv-lib.sh"

need_root # init creates root:root files
need_tzdata
need tar bsdtar gzip sha256sum flock

# tar_members ARCHIVE TOOL: the member names as TOOL lists them, sorted,
# directories left out.
tar_members() {
	case $2 in
	gnu) tar -tf "$1" ;;
	bsd) bsdtar -tf "$1" ;;
	esac | grep -v '/$' | LC_ALL=C sort
}

# tree_files DIR: the relative paths of the regular files below DIR, sorted.
tree_files() {
	(cd "$1" && find . -type f -printf '%P\n') | LC_ALL=C sort
}

# check_snapshot ARCHIVE: sidecar, gzip, both tars, members == tree files,
# extraction by both tars == the tree byte for byte.
check_snapshot() {
	local a=$1 name tool
	name=$(basename "$a")
	case $name in
	event-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]*.tar.gz) ;;
	*) fail "snapshot name $name is not event-YYYYMMDDTHHMMSS[.N].tar.gz" ;;
	esac
	assert_file "$a" "the snapshot is missing"
	assert_file "$a.sha256" "the snapshot has no sidecar"
	gzip -t "$a" 2>"$T/gz.err" || fail "gzip -t rejects $name: $(cat "$T/gz.err")"
	(cd "$(dirname "$a")" && sha256sum -c "$name.sha256") >"$T/sum.out" 2>&1 ||
		fail "sha256sum -c rejects $name.sha256: $(cat "$T/sum.out")"
	tree_files "$ROOT" >"$T/files.want"
	for tool in gnu bsd; do
		tar_members "$a" "$tool" >"$T/members.$tool" || fail "$tool tar cannot list $name"
		assert_same "$T/members.$tool" "$T/files.want" "members of $name ($tool tar) vs the tree's files"
	done
	file_sums "$ROOT" >"$T/sums.want"
	rm -rf "$T/x.gnu" "$T/x.bsd"
	mkdir "$T/x.gnu" "$T/x.bsd"
	tar -xzf "$a" -C "$T/x.gnu" || fail "GNU tar cannot extract $name"
	bsdtar -xf "$a" -C "$T/x.bsd" || fail "bsdtar cannot extract $name"
	for tool in gnu bsd; do
		file_sums "$T/x.$tool" >"$T/sums.$tool"
		assert_same "$T/sums.$tool" "$T/sums.want" "extracting $name ($tool tar) does not recreate the tree's files"
	done
}

# --- 1. a tree with live logs and generations, at depth 1 and 2
t_setup
evm_run 0 init
mkdir -m 0750 "$ROOT/newscript" "$ROOT/newscript/sub"
: >"$ROOT/newscript/sub/deep.log"
chmod 0640 "$ROOT/newscript/sub/deep.log"
for day in 20 21 22 23 24; do
	put_lines "$ROOT/deploy/deploy.log" "deploy $day" 1 200
	put_lines "$ROOT/newscript/sub/deep.log" "deep $day" 1 50
	if [ $((day % 2)) = 0 ]; then
		put_lines "$ROOT/backup/backup.log" "backup $day" 1 30
	fi
	at "2026-11-$day 02:00:00" evm_run 0 rotate
done
put_lines "$ROOT/deploy/deploy.log" "deploy live" 1 100
put_lines "$ROOT/backup/backup.log" "backup live" 1 10
put_lines "$ROOT/newscript/sub/deep.log" "deep live" 1 5
assert_file "$ROOT/deploy/deploy.log.3.gz" "setup: no third generation"
snap tree -t "$ROOT"
snap arch -t "$ARCH"

at "2026-11-25 10:00:00" evm_run 0 archive
A=$ARCH/event-20261125T100000.tar.gz
assert_fgrep "$A" "$T/out" "stdout does not print the snapshot's path"
assert_unchanged tree -t "$ROOT"
assert_eq "$(cd "$ARCH" && find . -type f -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ')" \
	"$(basename "$A") $(basename "$A").sha256 " "archive_dir should hold the snapshot and its sidecar, nothing else"
assert_mode "$A" 0640
assert_owner "$A" root:root
check_snapshot "$A"
unz "$T/x.gnu/deploy/deploy.log.3.gz" >"$T/g3"
seq 1 200 | sed 's/^/deploy 22 /' >"$T/g3.want"
assert_same "$T/g3" "$T/g3.want" "deploy/deploy.log.3.gz in the snapshot does not hold day 22's lines"
ok "archive: $(basename "$A") with sidecar; gzip -t, sha256sum -c, GNU tar and bsdtar accept it; it holds the tree under its own names; the tree is untouched"

# --- 1b. progress: on a TTY (script(1) gives it one) bytes, rate and files
#         on stderr; off a TTY (above) nothing of the sort
assert_no_grep 'snapshot .* of .*files' "$T/err" "progress printed without a TTY"
need script
EVMAINT_NOW="2026-11-25 10:01:00" script -qec "$EVMAINT -c $T/evmaint.conf archive" /dev/null </dev/null >"$T/tty.out" 2>&1 ||
	fail "archive on a TTY failed: $(cat "$T/tty.out")"
assert_grep 'evmaint: snapshot [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B, [0-9]+/[0-9]+ files, [0-9.]+ [KMG]?i?B/s' "$T/tty.out" \
	"no progress (bytes of total, rate, files) on a TTY"
check_snapshot "$ARCH/event-20261125T100100.tar.gz"
ok "archive on a TTY shows progress (bytes of total, rate, files) on stderr; off a TTY none"

# --- 2. --json: "archive" names the new snapshot, which is complete too
snap tree -t "$ROOT"
at "2026-11-25 10:05:00" evm_run 0 --json archive
json_check "$T/out"
J=$(json_get "$T/out" 'd["archive"]')
assert_eq "$J" "$ARCH/event-20261125T100500.tar.gz" "--json 'archive'"
check_snapshot "$J"
assert_unchanged tree -t "$ROOT"
# the same second again: another name, the first one kept
at "2026-11-25 10:05:00" evm_run 0 --json archive
J2=$(json_get "$T/out" 'd["archive"]')
[ "$J2" != "$J" ] || fail "a second snapshot in the same second reused the name $J"
check_snapshot "$J2"
check_snapshot "$J"
ok "--json archive: \"archive\" is the snapshot's path; a second one in the same second gets its own name"

# --- 3. archive_dir missing: exit 1, a message, nothing created
rm -rf "$ARCH"
# error.log gets the error (the contract's output rule); nothing else changes
SUBS=("$ROOT/deploy" "$ROOT/backup" "$ROOT/config_update" "$ROOT/newscript" "$ROOT/README.md")
snap tree -t "${SUBS[@]}"
at "2026-11-25 10:10:00" evm_run 1 archive
assert_fgrep "$ARCH" "$T/err" "the message does not name archive_dir"
assert_no_file "$ARCH" "archive created archive_dir"
assert_unchanged tree -t "${SUBS[@]}"
assert_errlog 'archive_dir'
assert_eq "$(find "$(dirname "$ARCH")" -mindepth 1 -maxdepth 1 -printf '%f ')" "event " "something was created next to the missing archive_dir"
at "2026-11-25 10:10:00" evm_run 1 --json archive
json_check "$T/out"
assert_json "$T/out" 'len(d["errors"]) >= 1 and "archive" not in d' "--json: no error, or an archive path, for a missing archive_dir"
assert_no_file "$ARCH"
ok "archive_dir missing: exit 1 naming it, nothing created, the tree untouched"

# --- 4. the lock: 75 at once while held; --wait waits and succeeds
mkdir -m 0750 "$ARCH"
hold_lock 600
snap arch -t "$ARCH"
t0=$(now_s)
evm_run 75 archive
# The holder holds for 600 s: exiting within EVM_LOCK_BOUND (default 5 s, a
# margin for a loaded machine and sanitizer start-up; make check-valgrind
# raises it) proves archive did not wait for it.
assert_lt "$(elapsed "$t0")" "${EVM_LOCK_BOUND:-5}" \
	"archive facing a held lock must exit 75 at once, without waiting for the holder"
assert_unchanged arch -t "$ARCH"
kill "$HOLDER_PID"
wait "$HOLDER_PID" || true
wait_until 5 lock_is_free "$STATE.lock" || fail "the holder did not let go"
hold_lock 60
t0=$(now_s)
release_lock_in 1
at "2026-11-25 10:15:00" evm_run 0 archive --wait 10
took=$(elapsed "$t0")
assert_ge "$took" 1 "archive --wait returned before the holder let go (${took}s)"
check_snapshot "$ARCH/event-20261125T101500.tar.gz"
ok "archive while the lock is held: 75 at once; with --wait it waited ${took}s and succeeded"

# --- 5. a rotate of a big log running, and archive --wait 30 meanwhile:
#        both succeed, and the snapshot is the tree the rotate left
t_setup
evm_run 0 init
seq 1 2500000 | sed 's/^/deploy big line /' >>"$ROOT/deploy/deploy.log"
put_lines "$ROOT/backup/backup.log" backup 1 1000
t_bg env EVMAINT_NOW="2026-11-25 02:00:00" "$EVMAINT" -c "$T/evmaint.conf" rotate >"$T/rot.out" 2>"$T/rot.err"
RPID=$BG_PID
held=0
if wait_until 5 lock_is_held "$STATE.lock"; then
	held=1
fi
at "2026-11-25 02:00:30" evm_run 0 archive --wait 30
arc_out=$(cat "$T/out")
rrc=0
wait "$RPID" || rrc=$?
[ "$rrc" = 0 ] || fail "the concurrent rotate exited $rrc: $(cat "$T/rot.err")"
assert_file "$ROOT/deploy/deploy.log.1.gz" "the rotate did not finish its work"
assert_no_tmp "$ROOT"
case $arc_out in
*"$ARCH/event-20261125T020030.tar.gz"*) ;;
*) fail "archive --wait 30 did not print its snapshot: $arc_out" ;;
esac
check_snapshot "$ARCH/event-20261125T020030.tar.gz"
ok "rotate (45 MB, lock seen held: $held) and archive --wait 30 at once: both exit 0; the snapshot is the rotated tree"

exit 0
