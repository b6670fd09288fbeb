#!/bin/bash
# Invariant 5 for init: a symlink, fifo, device or hard-linked file where a
# directory or log should be is reported (stderr, error.log in the
# contract's format, exit 1) and left alone; nothing outside the tree
# changes; everything else is still done.
. "$(dirname "$0")/common.sh"

need_root # init creates root:root directories and files

# --- 1. deploy/ is a symlink to a directory outside holding deploy.log
t_setup
mkdir -p "$ROOT" "$T/outside"
chmod 0750 "$ROOT"
printf 'outside data\n' >"$T/outside/deploy.log"
chmod 0666 "$T/outside/deploy.log"
chmod 0777 "$T/outside"
ln -s "$T/outside" "$ROOT/deploy"
snap out -t "$T/outside"
evm_run 1 init
assert_unchanged out -t "$T/outside"
assert_eq "$(readlink "$ROOT/deploy")" "$T/outside" "the symlink was changed"
assert_grep 'deploy' "$T/err" "stderr does not name deploy"
for l in backup/backup.log config_update/config_update.log error.log README.md; do
	assert_file "$ROOT/$l" "other logs must still be created"
done
assert_mode "$ROOT/error.log" 0640
assert_errlog 'deploy'
assert_all_lines "$ERRLOG_RE" "$ROOT/error.log" "an error.log line is not in the contract's format"
assert_dir "$ARCH" "archive_dir must still be created"
assert_no_tmp "$T"
ok "a symlinked deploy/ is not followed: reported (stderr, error.log), exit 1, the rest done"

# --- 2. the same run again: still refused, nothing outside changes
evm_run 1 init
assert_unchanged out -t "$T/outside"
assert_grep 'deploy' "$T/err"
ok "a second init still refuses the symlinked directory"

# --- 3. the error.log line, exactly: the run's clock, local offset
need_tzdata
t_setup
mkdir -p "$ROOT" "$T/outside"
chmod 0750 "$ROOT"
ln -s "$T/outside" "$ROOT/deploy"
at "2026-11-25 02:00:01" evm_run 1 init
assert_grep '^2026-11-25T02:00:01\+01:00 evmaint\[[0-9]+\]: ERROR .*deploy' "$ROOT/error.log" \
	"error.log line not stamped like 2026-11-25T02:00:01+01:00 evmaint[PID]: ERROR"
at "2026-07-14 12:30:00" evm_run 1 init
assert_grep '^2026-07-14T12:30:00\+02:00 evmaint\[[0-9]+\]: ERROR .*deploy' "$ROOT/error.log" \
	"error.log line in summer time not stamped +02:00"
assert_eq "$(grep -c 'ERROR.*deploy' "$ROOT/error.log")" 2 "each run appends exactly one line per error"
ok "error.log lines: 2026-11-25T02:00:01+01:00 evmaint[PID]: ERROR <message>, summer +02:00"

# --- 4. --json: the error is in "errors"
evm_run 1 --json init
json_check "$T/out"
assert_json "$T/out" 'len(d["errors"]) == 1' "expected exactly one error"
assert_json "$T/out" 'any("deploy" in s for s in S(d["errors"]))' "the JSON error does not name deploy"
ok "--json: the symlinked directory is in errors"

# --- 5. a symlink, a fifo, a hard link where logs should be
t_setup
evm_run 0 init
mkdir "$T/outside"
printf 'target\n' >"$T/outside/target.log"
chmod 0666 "$T/outside/target.log"
rm "$ROOT/deploy/deploy.log" "$ROOT/backup/backup.log"
ln -s "$T/outside/target.log" "$ROOT/deploy/deploy.log"
mkfifo -m 0666 "$ROOT/backup/backup.log"
chmod 0644 "$ROOT/config_update/config_update.log"
ln "$ROOT/config_update/config_update.log" "$T/outside/hardlink"
snap odd -t "$T/outside" "$ROOT/deploy" "$ROOT/backup" "$ROOT/config_update"
EVM_TIMEOUT=${EVM_TIMEOUT:-10} evm_run 1 init
assert_unchanged odd -t "$T/outside" "$ROOT/deploy" "$ROOT/backup" "$ROOT/config_update"
assert_grep 'deploy/deploy\.log' "$T/err" "the symlinked log is not reported"
assert_grep 'backup/backup\.log' "$T/err" "the fifo is not reported"
assert_grep 'config_update/config_update\.log' "$T/err" "the hard-linked log is not reported"
assert_errlog 'deploy/deploy\.log'
assert_errlog 'backup/backup\.log'
assert_errlog 'config_update/config_update\.log'
ok "a symlink, a fifo and a hard link where logs should be: reported, left alone, no blocking"

# --- 6. the same with --json, under a hard time limit (a fifo must not block)
EVM_TIMEOUT=${EVM_TIMEOUT:-10} evm_run 1 --json init
json_check "$T/out"
for l in deploy/deploy.log backup/backup.log config_update/config_update.log; do
	assert_json "$T/out" "any('$l' in s for s in S(d['errors']))" "$l is not in the JSON errors"
done
assert_unchanged odd -t "$T/outside" "$ROOT/deploy" "$ROOT/backup" "$ROOT/config_update"
ok "--json lists the symlink, fifo and hard link as errors"

# --- 7. things found in the tree, not configured: a symlinked directory
#        holding a *.log, a symlink named *.log, a device named *.log
t_setup
evm_run 0 init
mkdir "$T/outside"
printf 'x\n' >"$T/outside/evil.log"
chmod 0666 "$T/outside/evil.log"
ln -s "$T/outside" "$ROOT/evil"
mkdir -m 0750 "$ROOT/newscript"
ln -s "$T/outside/evil.log" "$ROOT/newscript/newscript.log"
dev=
if mknod "$ROOT/dev.log" c 1 3 2>/dev/null; then
	dev=1
fi
snap found -t "$T/outside"
EVM_TIMEOUT=${EVM_TIMEOUT:-10} evm_run 1 init
assert_unchanged found -t "$T/outside"
assert_eq "$(readlink "$ROOT/newscript/newscript.log")" "$T/outside/evil.log" "the symlinked log was changed"
assert_grep 'newscript/newscript\.log' "$T/err" "a symlink named *.log in the tree is not reported"
if [ -n "$dev" ]; then
	assert_grep 'dev\.log' "$T/err" "a device named *.log in the tree is not reported"
	[ -c "$ROOT/dev.log" ] || fail "the device was replaced"
fi
ok "unconfigured symlinks and devices in the tree are not followed; *.log ones are reported"

exit 0
