#!/bin/bash
# init repairs what drifted: modes and owners of logs, directories and
# archive_dir, each repair reported (stdout, --json actions); content and
# inodes stay, and the next init has nothing left to do.
. "$(dirname "$0")/common.sh"

need_root # init creates root:root directories and files

# damage: the drift an operator's chmod -R or a script's umask leaves
damage() {
	printf 'kept\n' >>"$ROOT/deploy/deploy.log"
	chmod 0666 "$ROOT/deploy/deploy.log"
	chmod 0777 "$ROOT/backup"
	chmod 0755 "$ARCH"
	chmod 0755 "$ROOT"
	# a new script's log, never configured: managed all the same
	mkdir "$ROOT/newscript"
	chmod 0750 "$ROOT/newscript"
	printf 'new\n' >"$ROOT/newscript/newscript.log"
	chmod 0644 "$ROOT/newscript/newscript.log"
}

check_repaired() {
	assert_mode "$ROOT/deploy/deploy.log" 0640 "a 0666 log was not repaired"
	assert_mode "$ROOT/backup" 0750 "a 0777 directory was not repaired"
	assert_mode "$ARCH" 0750 "archive_dir was not repaired"
	assert_mode "$ROOT" 0750 "root was not repaired"
	assert_mode "$ROOT/newscript/newscript.log" 0640 "an unconfigured *.log was not repaired"
	assert_eq "$(cat "$ROOT/deploy/deploy.log")" "kept" "repair changed a log's content"
	assert_eq "$(cat "$ROOT/newscript/newscript.log")" "new" "repair changed a log's content"
}

# --- 1. human output: one line per repair
t_setup
evm_run 0 init
damage
ino=$(stat -c %i "$ROOT/deploy/deploy.log")
evm_run 0 init
check_repaired
assert_eq "$(stat -c %i "$ROOT/deploy/deploy.log")" "$ino" "repair replaced the log"
assert_grep 'deploy/deploy\.log' "$T/out" "the repair of deploy/deploy.log is not reported"
assert_grep 'backup([^/]|$)' "$T/out" "the repair of the backup directory is not reported"
assert_grep "$ARCH" "$T/out" "the repair of archive_dir is not reported"
assert_grep 'newscript/newscript\.log' "$T/out" "the repair of newscript.log is not reported"
assert_empty "$T/err"
assert_no_grep 'backup/backup\.log' "$T/out" "a correct log was reported as repaired"
ok "init repairs a 0666 log, a 0777 dir, root, archive_dir and an unconfigured log, one line each"

# --- 2. converged: the next init is silent and changes nothing
snap rep -t "$T/srv"
evm_run 0 init
assert_empty "$T/out" "init after a repair still had something to do"
assert_unchanged rep -t "$T/srv"
ok "init after a repair has nothing left to do"

# --- 3. --json lists every repair as an action
t_setup
evm_run 0 init
damage
evm_run 0 --json init
json_check "$T/out"
check_repaired
assert_json "$T/out" 'd["changed"] is True'
assert_json "$T/out" 'd["errors"] == []'
for p in deploy/deploy.log backup "$ARCH" newscript/newscript.log; do
	assert_json "$T/out" "any(s == '$p' or s.endswith('/$p') for s in S(d['actions']))" \
		"$p is not among the JSON actions"
done
assert_json "$T/out" 'len(d["actions"]) == 5' "expected exactly 5 repair actions"
ok "--json init lists each repair as an action"

# --- 4. a log's wrong owner and group are repaired too; a directory
#        someone else owns is not taken over (tests/t/trust-tree.sh)
if getent passwd nobody >/dev/null && getent group nogroup >/dev/null; then
	t_setup
	evm_run 0 init
	chown nobody:nogroup "$ROOT/error.log"
	chown root:nogroup "$ROOT/config_update"
	evm_run 0 init
	assert_owner "$ROOT/error.log" root:root "a log's owner was not repaired"
	assert_owner "$ROOT/config_update" root:root "a directory's group was not repaired"
	assert_mode "$ROOT/error.log" 0640
	assert_grep 'error\.log' "$T/out" "the owner repair of error.log is not reported"
	assert_grep 'config_update([^/]|$)' "$T/out" "the group repair of config_update is not reported"
	ok "init repairs a log's wrong owner and group, and a directory's group"
else
	echo "skipped: owner repair (needs user nobody and group nogroup)"
fi

# --- 5. a missing log and a missing directory are recreated, reported
t_setup
evm_run 0 init
rm "$ROOT/backup/backup.log"
rm -r "$ROOT/config_update"
evm_run 0 init
assert_file "$ROOT/backup/backup.log"
assert_mode "$ROOT/backup/backup.log" 0640
assert_dir "$ROOT/config_update"
assert_mode "$ROOT/config_update" 0750
assert_file "$ROOT/config_update/config_update.log"
assert_grep 'backup/backup\.log' "$T/out"
assert_grep 'config_update/config_update\.log' "$T/out"
assert_no_tmp "$T"
ok "init recreates a deleted log and a deleted directory"

# --- 6. root that cannot be listed (an I/O error): init says nothing in it
# is touched, and touches nothing in it, though it repairs root's own mode
if command -v strace >/dev/null 2>&1; then
	t_setup
	evm_run 0 init
	chmod 0644 "$ROOT/error.log" "$ROOT/deploy/deploy.log"
	chmod 0755 "$ROOT"
	rc=0
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -y -P "$ROOT" -o "$T/trace" \
		-e trace=getdents64 -e inject=getdents64:error=EIO:when=1 \
		"$EVMAINT" -c "$T/evmaint.conf" init >"$T/out" 2>"$T/err" </dev/null || rc=$?
	assert_eq "$rc" 1 "init with its root unreadable"
	assert_grep "$ROOT.*INJECTED" "$T/trace" "the fault did not hit the root's listing"
	assert_fgrep "cannot read directory: Input/output error; nothing in it is touched this run" "$T/err"
	assert_mode "$ROOT/error.log" 0644 "a log in the unread root was repaired"
	assert_mode "$ROOT/deploy/deploy.log" 0644 "a log below the unread root was repaired"
	evm_run 0 init
	assert_mode "$ROOT/error.log" 0640
	assert_mode "$ROOT/deploy/deploy.log" 0640
	ok "root unreadable: init exits 1 and touches nothing in it, as it says; the next init repairs"
else
	echo "note: no strace: the unreadable-root case is not run"
fi

exit 0
