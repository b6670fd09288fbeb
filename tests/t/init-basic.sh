#!/bin/bash
# init on an empty location builds the whole tree with the contract's modes
# and owners; a second init changes nothing and says nothing; an existing
# log is never truncated or replaced.
. "$(dirname "$0")/common.sh"

need_root # init creates root:root directories and files

LOGS="deploy/deploy.log backup/backup.log config_update/config_update.log error.log"

# --- 1. a fresh location
t_setup
evm_run 0 init
for d in "$ROOT" "$ROOT/deploy" "$ROOT/backup" "$ROOT/config_update" "$ARCH"; do
	assert_dir "$d"
	assert_mode "$d" 0750
	assert_owner "$d" root:root
done
for l in $LOGS; do
	assert_file "$ROOT/$l"
	assert_mode "$ROOT/$l" 0640
	assert_owner "$ROOT/$l" root:root
	assert_empty "$ROOT/$l" "a new log must be empty"
	assert_grep "$l" "$T/out" "the creation of $l is not reported on stdout"
done
assert_file "$ROOT/README.md"
assert_nonempty "$ROOT/README.md"
assert_mode "$ROOT/README.md" 0640
assert_owner "$ROOT/README.md" root:root
assert_grep "$ARCH" "$ROOT/README.md" "README.md does not name the archive directory"
assert_grep 'zcat' "$ROOT/README.md" "README.md does not show how to read a generation"
assert_grep 'tar ' "$ROOT/README.md" "README.md does not show how to read an archive"
assert_dir "$(dirname "$STATE")" "the state directory was not created"
# evmaint's own files follow mode/group too (never group-writable)
assert_mode "$(dirname "$STATE")" 0750 "the state directory (dir_mode)"
assert_mode "$STATE.lock" 0640 "the lock file (mode)"
assert_owner "$STATE.lock" root:root
assert_empty "$T/err" "a clean init wrote to stderr"
assert_no_tmp "$T"
ok "init on an empty location creates the tree, logs, README.md, archive_dir and state dir"

# --- 2. the same with --json: one object, changed true, no errors
t_setup
evm_run 0 --json init
json_check "$T/out"
assert_json "$T/out" 'd["command"] == "init"'
assert_json "$T/out" 'd["changed"] is True' "a first init must say changed"
assert_json "$T/out" 'd["errors"] == []'
for l in $LOGS README.md; do
	assert_json "$T/out" "any('$l' in s for s in S(d['actions']))" "$l missing from the JSON actions"
	assert_file "$ROOT/$l"
done
ok "--json init on an empty location: valid JSON, changed true, every file an action"

# --- 3. a second init: silent, changed false, tree byte-identical
evm_run 0 init
snap twice -t "$T/srv"
evm_run 0 init
assert_empty "$T/out" "a second init printed action lines"
assert_empty "$T/err" "a second init wrote to stderr"
assert_unchanged twice -t "$T/srv"
evm_run 0 --json init
json_check "$T/out"
assert_json "$T/out" 'd["changed"] is False' "a second init must say changed false"
assert_json "$T/out" 'd["actions"] == []' "a second init listed actions"
assert_json "$T/out" 'd["errors"] == []'
assert_unchanged twice -t "$T/srv"
ok "init twice: no output, changed false, tree byte-identical"

# --- 4. logs with content are kept: same inode, same bytes
t_setup
evm_run 0 init
printf 'line one\nline two\n' >>"$ROOT/deploy/deploy.log"
printf 'ERROR something\n' >>"$ROOT/error.log"
ino_d=$(stat -c %i "$ROOT/deploy/deploy.log")
ino_e=$(stat -c %i "$ROOT/error.log")
sum_before=$(cat "$ROOT/deploy/deploy.log" "$ROOT/error.log" | sha256sum)
evm_run 0 init
assert_eq "$(stat -c %i "$ROOT/deploy/deploy.log")" "$ino_d" "deploy.log was replaced"
assert_eq "$(stat -c %i "$ROOT/error.log")" "$ino_e" "error.log was replaced"
assert_eq "$(cat "$ROOT/deploy/deploy.log" "$ROOT/error.log" | sha256sum)" "$sum_before" \
	"init changed the content of a log"
ok "init keeps the inode and content of logs that have content"

# --- 5. a tree that predates evmaint (logrotate's era): adopted as it is
t_setup
mkdir -p "$ROOT/deploy" "$ROOT/backup"
chmod 0750 "$ROOT" "$ROOT/deploy" "$ROOT/backup"
seq 1 1000 >"$ROOT/deploy/deploy.log"
chmod 0640 "$ROOT/deploy/deploy.log"
echo "local notes" >"$ROOT/README.md"
chmod 0640 "$ROOT/README.md"
ino=$(stat -c %i "$ROOT/deploy/deploy.log")
sum=$(sha256sum <"$ROOT/deploy/deploy.log")
evm_run 0 init
assert_eq "$(stat -c %i "$ROOT/deploy/deploy.log")" "$ino" "an existing deploy.log was replaced"
assert_eq "$(sha256sum <"$ROOT/deploy/deploy.log")" "$sum" "an existing deploy.log was changed"
assert_no_grep 'deploy/deploy.log' "$T/out" "an existing, correct deploy.log was reported as changed"
assert_eq "$(cat "$ROOT/README.md")" "local notes" "init replaced an existing README.md"
assert_file "$ROOT/backup/backup.log"
assert_file "$ROOT/config_update/config_update.log"
assert_no_tmp "$T"
ok "init on an existing tree keeps existing logs and README.md, adds what is missing"

exit 0
