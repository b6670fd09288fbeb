#!/bin/bash
# owner and group from the config are given to every directory and file
# init creates (and repaired to), not root:root.
. "$(dirname "$0")/common.sh"

need_root
getent passwd nobody >/dev/null || skip "needs a user 'nobody'"
getent group nogroup >/dev/null || skip "needs a group 'nogroup'"

# --- 1. a fresh location
t_setup "owner = nobody" "group = nogroup"
evm_run 0 init
for d in "$ROOT" "$ROOT/deploy" "$ROOT/backup" "$ROOT/config_update" "$ARCH"; do
	assert_dir "$d"
	assert_owner "$d" nobody:nogroup
	assert_mode "$d" 0750
done
for f in deploy/deploy.log backup/backup.log config_update/config_update.log error.log README.md; do
	assert_file "$ROOT/$f"
	assert_owner "$ROOT/$f" nobody:nogroup
	assert_mode "$ROOT/$f" 0640
done
# evmaint's own state directory and lock: the group, but root keeps them,
# since the journal there steers renames in the tree
assert_owner "$(dirname "$STATE")" root:nogroup "the state directory"
assert_owner "$STATE.lock" root:nogroup "the lock file"
echo line >>"$ROOT/deploy/deploy.log"
evm_run 0 rotate
assert_owner "$STATE" root:nogroup "the state file"
assert_mode "$STATE" 0640 "the state file"
assert_empty "$T/err"
ok "owner = nobody, group = nogroup: every created directory and file is nobody:nogroup; the state files root:nogroup"

# --- 2. converged: a second init does nothing
snap own -t "$T/srv"
evm_run 0 init
assert_empty "$T/out" "a second init with owner = nobody still had something to do"
assert_unchanged own -t "$T/srv"
ok "owner = nobody: a second init changes nothing"

# --- 3. a tree made for root:root is handed over to nobody:nogroup
t_setup
evm_run 0 init
conf_add "owner = nobody" "group = nogroup"
evm_run 0 init
for f in "$ROOT" "$ROOT/deploy" "$ROOT/deploy/deploy.log" "$ROOT/error.log" "$ARCH"; do
	assert_owner "$f" nobody:nogroup "init did not give $f to the configured owner"
done
assert_grep 'deploy/deploy\.log' "$T/out" "the owner change is not reported"
ok "changing owner/group in the config: init repairs the existing tree's owners"

exit 0
