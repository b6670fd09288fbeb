#!/bin/bash
# Invariants 5 and 7 for rotate: whatever a hostile or careless hand left
# in the tree -- a symlink as a log, as a generation slot, as a directory, a
# hard-linked log, a fifo, a device, a world-writable directory, evmaint's
# own temporary prefix on a symlink, file names full of shell syntax -- is
# reported on stderr by its path and left alone (same inode, same bytes,
# nothing outside the tree changes), the run exits 1, and every other log is
# still rotated. No file name ever reaches a shell.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/adv-lib.sh"

need_root # init creates root:root files; mknod
need_tzdata

# stat_of PATH: type, inode, device numbers and mode of PATH itself.
stat_of() {
	stat -c '%F ino=%i dev=%t:%T mode=%a links=%h' -- "$1"
}

# rotated_ok REL CONTENT: REL was rotated: REL.1.gz holds CONTENT, REL is
# an empty 0640 root:root regular file.
rotated_ok() {
	assert_file "$ROOT/$1.1.gz" "$1 was not rotated"
	unz "$ROOT/$1.1.gz" >"$T/got"
	printf '%s' "$2" >"$T/want"
	assert_same "$T/got" "$T/want" "the generation of $1 does not hold the log's bytes"
	assert_file "$ROOT/$1" "the live log $1 is gone"
	assert_empty "$ROOT/$1" "the live log $1 is not empty after its rotation"
	assert_mode "$ROOT/$1" 0640
	assert_owner "$ROOT/$1" root:root
}

# --- 1. one tree holding every kind of foreign thing at once
t_setup
evm_run 0 init
O=$T/outside
mkdir -p "$O/dir"
printf 'outside target\n' >"$O/target.log"
printf 'outside slot\n' >"$O/slot"
printf 'outside x\n' >"$O/dir/x.log"
chmod 0666 "$O/target.log" "$O/slot" "$O/dir/x.log"

# deploy/deploy.log: a symlink to a file outside
rm "$ROOT/deploy/deploy.log"
ln -s "$O/target.log" "$ROOT/deploy/deploy.log"
# backup/backup.log: a real log whose generation slot 2 is a symlink outside
printf 'backup line 1\nbackup line 2\n' >>"$ROOT/backup/backup.log"
ln -s "$O/slot" "$ROOT/backup/backup.log.2.gz"
# newscript: a symlinked directory holding x.log outside
ln -s "$O/dir" "$ROOT/newscript"
# hard/hard.log: a log hard-linked to a file outside
mkdir -m 0750 "$ROOT/hard"
printf 'hard line\n' >"$ROOT/hard/hard.log"
chmod 0640 "$ROOT/hard/hard.log"
ln "$ROOT/hard/hard.log" "$O/hl"
# a fifo (no reader: opening it for reading would block) and a device
mkfifo -m 0640 "$ROOT/fifo.log"
mknod -m 0640 "$ROOT/dev.log" c 1 3
# open/open.log in a world-writable directory
mkdir -m 0750 "$ROOT/open"
printf 'open line\n' >"$ROOT/open/open.log"
chmod 0640 "$ROOT/open/open.log"
chmod 0777 "$ROOT/open"
# a log that must be rotated whatever else is wrong
printf 'config line\n' >>"$ROOT/config_update/config_update.log"
# names a shell would execute or split; the markers appear if one does
# shellcheck disable=SC2016 # literal on purpose: no shell may expand them
NAMES=(
	'$(touch PWNED1).log'
	'`touch PWNED2`.log'
	'a;b|c&.log'
	"x y'z\".log"
	$'nl\nname.log'
	'-rf .log'
	'*.log'
)
i=0
for n in "${NAMES[@]}"; do
	i=$((i + 1))
	printf 'line of name %d\n' "$i" >"$ROOT/$n"
	chmod 0640 "$ROOT/$n"
done
# a name whose relative path is a command with an absolute path:
# "$(touch $T/PWNED3).log", made of directories
NEST="\$(touch $T/PWNED3).log"
mkdir -p "$ROOT/$(dirname "$NEST")"
printf 'nested line\n' >"$ROOT/$NEST"
chmod 0640 "$ROOT/$NEST"

snap out -t "$O"
snap dirs -t "$ROOT/deploy" "$ROOT/backup" "$ROOT/hard" "$ROOT/open"
fifo_was=$(stat_of "$ROOT/fifo.log")
dev_was=$(stat_of "$ROOT/dev.log")
link_was=$(stat_of "$ROOT/newscript")

EVM_TIMEOUT=${EVM_TIMEOUT:-20} at "2026-11-25 02:00:00" evm_run 1 rotate

assert_unchanged out -t "$O"
assert_unchanged dirs -t "$ROOT/deploy" "$ROOT/backup" "$ROOT/hard" "$ROOT/open"
assert_eq "$(stat_of "$ROOT/fifo.log")" "$fifo_was" "the fifo was replaced or changed"
assert_eq "$(stat_of "$ROOT/dev.log")" "$dev_was" "the device was replaced or changed"
assert_eq "$(stat_of "$ROOT/newscript")" "$link_was" "the directory symlink was replaced"
assert_eq "$(readlink "$ROOT/newscript")" "$O/dir" "the directory symlink points elsewhere"
assert_no_file "$O/dir/x.log.1.gz" "x.log outside the tree was rotated through the symlink"
assert_no_file "$O/dir/x.log.1" "x.log outside the tree was rotated through the symlink"
assert_no_file "$ROOT/fifo.log.1" "the fifo was rotated"
assert_no_file "$ROOT/dev.log.1" "the device was rotated"
ok "nothing outside changed; the symlinks, the hard link, the fifo, the device and the 0777 directory are untouched"

assert_grep 'deploy/deploy\.log: .*symlink' "$T/err" "the symlinked log is not reported"
assert_grep 'backup/backup\.log\.2\.gz: .*symlink' "$T/err" "the symlinked generation slot is not reported"
assert_grep 'backup/backup\.log: .*not rotated' "$T/err" "it is not said that backup.log was not rotated"
assert_grep 'hard/hard\.log: .*(hard link|links)' "$T/err" "the hard-linked log is not reported"
assert_grep 'fifo\.log: .*fifo' "$T/err" "the fifo is not reported"
assert_grep 'dev\.log: .*device' "$T/err" "the device is not reported"
assert_grep 'open/open\.log: .*(0777|writable)' "$T/err" "the log in the 0777 directory is not reported"
assert_grep 'open/open\.log: .*init' "$T/err" "the message does not say that evmaint init repairs it"
assert_errlog 'deploy/deploy\.log'
assert_errlog 'backup/backup\.log\.2\.gz'
assert_errlog 'hard/hard\.log'
ok "each refusal is on stderr and in error.log, naming its path"

rotated_ok config_update/config_update.log 'config line
'
i=0
for n in "${NAMES[@]}"; do
	i=$((i + 1))
	rotated_ok "$n" "line of name $i
"
done
rotated_ok "$NEST" 'nested line
'
ok "every other log was rotated, shell-syntax and newline names as plain names"

left=$(find "$T" / /tmp -maxdepth 1 -name 'PWNED[0-9]' -print; find "$T" -name 'PWNED[0-9]' -print)
[ -z "$left" ] || fail "a file name was executed by a shell: $left"
assert_no_tmp "$ROOT"
ok "no file name reached a shell (no PWNED marker anywhere)"

# --- 2. a rerun the next day: the same refusals, still nothing outside
#        changes, the shell names are rotated again
for n in "${NAMES[@]}"; do
	printf 'second\n' >>"$ROOT/$n"
done
EVM_TIMEOUT=${EVM_TIMEOUT:-20} at "2026-11-26 02:00:00" evm_run 1 --json rotate
json_check "$T/out"
assert_unchanged out -t "$O"
assert_unchanged dirs -t "$ROOT/deploy" "$ROOT/backup" "$ROOT/hard" "$ROOT/open"
for l in deploy/deploy.log backup/backup.log.2.gz hard/hard.log fifo.log dev.log open/open.log; do
	L=$l assert_json "$T/out" 'any(env["L"] in s for s in S(d["errors"]))' "$l is not among the JSON errors"
done
assert_json "$T/out" 'any(s.endswith("nl\\x0aname.log.1") or s.endswith("nl\nname.log.1") for s in S(d["actions"]))' \
	"the name with a newline is not among the actions"
for n in "${NAMES[@]}"; do
	[ "$(unz "$ROOT/$n.1.gz")" = second ] || fail "$n was not rotated the second day"
	assert_file "$ROOT/$n.2.gz" "the first generation of $n was not shifted"
done
ok "the next day: same refusals in --json (valid with a newline in a name), the rest rotated again"

# --- 3. symlinks (and a hard link) carrying evmaint's temporary prefix,
#        with the very names a rotation of deploy.log and the compression
#        of backup.log.1 would use
t_setup
evm_run 0 init
O=$T/outside
mkdir -p "$O/dir"
printf 'victim\n' >"$O/victim"
printf 'victim 2\n' >"$O/dir/v"
printf 'hl victim\n' >"$O/hl"
chmod 0666 "$O/victim" "$O/hl"
printf 'deploy line\n' >>"$ROOT/deploy/deploy.log"
printf 'backup line\n' >>"$ROOT/backup/backup.log"
printf 'config line\n' >>"$ROOT/config_update/config_update.log"
ln -s "$O/victim" "$ROOT/deploy/.evmaint-tmp.deploy.log"
ln -s "$O/victim" "$ROOT/backup/.evmaint-tmp.backup.log.1.gz"
ln -s "$O/dir" "$ROOT/.evmaint-tmp.dirlink"
ln "$O/hl" "$ROOT/config_update/.evmaint-tmp.config_update.log.1.gz"
TMPS=(deploy/.evmaint-tmp.deploy.log backup/.evmaint-tmp.backup.log.1.gz
	.evmaint-tmp.dirlink config_update/.evmaint-tmp.config_update.log.1.gz)
for p in "${TMPS[@]}"; do
	stat_of "$ROOT/$p"
done >"$T/tmps.before"
snap out -t "$O"
EVM_TIMEOUT=${EVM_TIMEOUT:-20} at "2026-11-25 02:00:00" evm_run 1 rotate
for p in "${TMPS[@]}"; do
	assert_grep "$(printf '%s' "$p" | sed 's/[.]/\\./g'): " "$T/err" "$p is not reported"
done
assert_eq "$(readlink "$ROOT/deploy/.evmaint-tmp.deploy.log" || echo REMOVED)" "$O/victim" \
	"the planted symlink deploy/.evmaint-tmp.deploy.log (the name rotate prepares deploy.log's new file under) was removed or replaced, though reported as left alone"
assert_eq "$(readlink "$ROOT/backup/.evmaint-tmp.backup.log.1.gz" || echo REMOVED)" "$O/victim" \
	"the planted symlink backup/.evmaint-tmp.backup.log.1.gz (the name compression writes backup.log.1.gz under) was removed or replaced, though reported as left alone"
for p in "${TMPS[@]}"; do
	stat_of "$ROOT/$p" 2>&1 || true
done >"$T/tmps.after"
assert_same "$T/tmps.before" "$T/tmps.after" "a planted .evmaint-tmp.* entry was removed or replaced"
assert_unchanged out -t "$O"
assert_file "$ROOT/config_update/config_update.log.1.gz" "config_update.log was not rotated and compressed"
[ "$(unz "$ROOT/config_update/config_update.log.1.gz")" = 'config line' ] || fail "config_update.log.1.gz holds the wrong data"
ok ".evmaint-tmp.* symlinks and hard links are reported and left alone (not removed, not followed)"

# --- 4. a world-writable directory: its logs refused until init repairs it
t_setup
evm_run 0 init
mkdir -m 0750 "$ROOT/open"
printf 'open line\n' >"$ROOT/open/open.log"
chmod 0640 "$ROOT/open/open.log"
chmod 0777 "$ROOT/open" "$ROOT/backup"
printf 'backup line\n' >>"$ROOT/backup/backup.log"
printf 'deploy line\n' >>"$ROOT/deploy/deploy.log"
snap open -t "$ROOT/open" "$ROOT/backup"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_unchanged open -t "$ROOT/open" "$ROOT/backup"
assert_grep 'open/open\.log: .*(0777|writable)' "$T/err" "the log in the 0777 directory is not reported"
assert_grep 'backup/backup\.log: .*(0777|writable)' "$T/err" "the configured log in the 0777 directory is not reported"
rotated_ok deploy/deploy.log 'deploy line
'
evm_run 0 init
assert_mode "$ROOT/open" 0750 "init did not repair the 0777 directory"
assert_mode "$ROOT/backup" 0750 "init did not repair the 0777 directory"
at "2026-11-26 02:00:00" evm_run 0 rotate
rotated_ok open/open.log 'open line
'
rotated_ok backup/backup.log 'backup line
'
ok "a 0777 directory: its logs refused with a message, others rotated; after init they rotate"

# --- 5. a symlinked directory alone (a new script's directory pointing
#        outside): not followed, and mentioned by its path on stderr (as
#        tree.c's walk promises); the rest of the run is normal
t_setup
evm_run 0 init
O=$T/outside
mkdir -p "$O/dir"
printf 'outside x\n' >"$O/dir/newscript.log"
ln -s "$O/dir" "$ROOT/newscript"
printf 'deploy line\n' >>"$ROOT/deploy/deploy.log"
snap out -t "$O"
RC=0
EVMAINT_NOW="2026-11-25 02:00:00" timeout "${EVM_TIMEOUT:-20}" "$EVMAINT" -c "$T/evmaint.conf" rotate >"$T/out" 2>"$T/err" || RC=$?
case $RC in
0 | 1) ;;
*) fail "rotate with a symlinked directory in the tree exited $RC: $(cat "$T/err")" ;;
esac
assert_unchanged out -t "$O"
assert_eq "$(readlink "$ROOT/newscript")" "$O/dir" "the directory symlink was changed"
rotated_ok deploy/deploy.log 'deploy line
'
assert_grep 'newscript' "$T/err" "the symlinked directory newscript is silently skipped, not reported"
ok "a symlinked directory is not followed and is reported by its path"

# --- 6. a configured log's directory replaced by a symlink (or a file):
# the log is refused, not "missing" for an init that refuses the symlink in
# turn; rotate exits 1 each night and status --check is CRITICAL naming it
t_setup
evm_run 0 init
mkdir -m 0750 "$T/elsewhere"
echo "not ours" >"$T/elsewhere/backup.log"
rm -r "$ROOT/backup"
ln -s "$T/elsewhere" "$ROOT/backup"
rm -r "$ROOT/config_update"
echo "a file" >"$ROOT/config_update"
snap out -t "$T/elsewhere"
echo "a line" >>"$ROOT/error.log"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "backup/backup.log: its directory backup is a symlink where a directory should be: left alone" "$T/err"
assert_fgrep "config_update/config_update.log: its directory config_update is a regular file where a directory should be: left alone" "$T/err"
assert_no_grep "init' creates it" "$T/err" "a symlinked directory called missing"
assert_file "$ROOT/error.log.1.gz" "the other logs not rotated"
# error.log took this run's errors before its rotation: the size said is
# the one rotated (the compression reads it), not the scan's
rsz=$(sed -n 's/^rotated error\.log: \(.*\) -> error\.log\.1$/\1/p' "$T/out")
csz=$(sed -n 's/^compressed error\.log\.1: \(.*\) -> .*/\1/p' "$T/out")
if [ -z "$rsz" ] || [ "$rsz" != "$csz" ]; then
	fail "error.log said rotated at '$rsz' but compressed at '$csz'"
fi
assert_unchanged out -t "$T/elsewhere"
EVMAINT_LOGROTATE_CONF=/dev/null/none at "2026-11-25 03:00:00" evm_run 2 status --check
assert_grep "^EVMAINT CRITICAL - .*refused: backup/backup\.log its directory backup is a symlink" "$T/out"
ok "a log's directory replaced by a symlink or a file: refused, exit 1, CRITICAL"

exit 0
