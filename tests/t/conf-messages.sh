#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Messages name what is at fault: the line of a NUL byte in the config,
# every `logs` entry named like a generation (not only the first), the
# archive_dir that cannot be written (not only a temporary name in it).
# And a `logs` list of 60,000 entries is handled in linear time: the
# de-duplication and the scan's merge of configured logs are hashed or
# sorted once, not quadratic.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root
need python3

# --- 1. a NUL byte: file and line
t_setup "rotate = 3"
printf 'compress = yes\nlogs = a.log\0b.log\n' >>"$T/evmaint.conf"
evm_run 78 check-config
lines=$(wc -l <"$T/evmaint.conf")
assert_fgrep "$T/evmaint.conf:$lines: contains a NUL byte" "$T/err" "the NUL byte's line is not named"
ok "a NUL byte in the config: named by file:line"

# --- 2. every entry at fault in `logs`, in one message
t_setup
conf_add "logs = a.log a.log.1 b/b.log-20261118 c.log.3.gz c.log a.log ok.log"
evm_run 78 check-config
assert_fgrep "'a.log.1' is named like a generation of 'a.log'" "$T/err"
assert_fgrep "'b/b.log-20261118' is named like a generation of 'b/b.log'" "$T/err" \
	"only the first generation-shaped entry is reported"
assert_fgrep "'c.log.3.gz' is named like a generation of 'c.log'" "$T/err" \
	"only the first generation-shaped entry is reported"
assert_fgrep "'a.log' is listed twice" "$T/err"
assert_eq "$(grep -c 'error' "$T/err")" 1 "one message for the one line at fault"
ok "logs: every generation-shaped and repeated entry named in one message"

# --- 2b. a section that names no log (its settings would apply to nothing):
# refused at its line; one naming a listed non-.log file is fine
t_setup
printf '[deploy]\nrotate = 30\n[deploy/deploy.log]\nrotate = 3\n' >>"$T/evmaint.conf"
evm_run 78 check-config
n=$(grep -n '^\[deploy\]$' "$T/evmaint.conf" | cut -d: -f1)
assert_fgrep "$T/evmaint.conf:$n: section [deploy] names no log" "$T/err"
assert_eq "$(grep -c 'error' "$T/err")" 1 "[deploy/deploy.log] refused too"
# a config that ran before this rule keeps the nights running: a warning
evm_run 0 init
echo "a line" >>"$ROOT/deploy/deploy.log"
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_fgrep "warning: $T/evmaint.conf:$n: section [deploy] names no log" "$T/err"
assert_file "$ROOT/deploy/deploy.log.1.gz" "rotate did not go on past the warning"
t_setup
conf_add "logs = notes.txt deploy/deploy.log"
printf '[notes.txt]\nrotate = 2\n' >>"$T/evmaint.conf"
evm_run 0 check-config
ok "a section naming no log: check-config refuses it at its line (78), rotate warns and goes on; one naming a listed file: accepted"

# --- 3. an archive_dir that cannot be written: named
t_setup "rotate = 1"
at "2026-11-01 12:00:00" evm_run 0 init
for d in 02 03; do
	echo "line $d" >>"$ROOT/deploy/deploy.log"
	at "2026-11-$d 02:00:00" evm_run 0 rotate
done
if chattr +i "$ARCH" 2>/dev/null; then
	echo "line 04" >>"$ROOT/deploy/deploy.log"
	rc=0
	at "2026-11-04 02:00:00" evm rotate >"$T/out" 2>"$T/err" </dev/null || rc=$?
	chattr -i "$ARCH" # before any assertion: an immutable directory stays
	assert_eq "$rc" 1 "rotate with an unwritable archive_dir"
	assert_fgrep "$ARCH/event-20261104T020000.tar: archive not written" "$T/err" \
		"the archive that failed is not named by its path in archive_dir"
	assert_fgrep "in $ARCH (archive_dir)" "$T/err" "archive_dir is not named as what cannot be written"
	ok "an unwritable archive_dir: the message names it"
else
	echo "note: chattr +i does not work on $ARCH's file system: case 3 not run"
fi

# --- 4. 60,000 `logs` entries: accepted, and rotate works on them at once
t_setup "rotate = 2"
python3 -c '
import sys
print("logs = " + " ".join("d%d/l%d.log" % (i // 1000, i) for i in range(60000)))
' >>"$T/evmaint.conf"
t0=$(now_s)
evm_run 0 check-config
assert_fgrep "d59/l59999.log" "$T/out" "check-config does not list the last entry"
assert_eq "$(grep -o '\.log' "$T/out" | wc -l)" 60000 "check-config does not list every entry once"
mkdir -p "$ROOT/d0" "$ROOT/d59" "$ARCH" "$(dirname "$STATE")"
chmod 0750 "$ROOT" "$ROOT/d0" "$ROOT/d59" "$ARCH" "$(dirname "$STATE")"
printf 'x\n' >"$ROOT/d0/l5.log"
printf 'y\n' >"$ROOT/d59/l59999.log"
chmod 0640 "$ROOT/d0/l5.log" "$ROOT/d59/l59999.log"
# Before the fix this took minutes (a sort per configured log): the harness
# kills a run after EVM_TIMEOUT seconds.
EVM_TIMEOUT=${EVM_TIMEOUT:-60} at "2026-11-25 02:00:00" evm_run 0 rotate
assert_fgrep "rotated d0/l5.log" "$T/out"
assert_fgrep "rotated d59/l59999.log" "$T/out"
assert_eq "$(grep -c '^rotated' "$T/out")" 2 "rotations among 60,000 configured logs"
assert_eq "$(grep -c "its directory is missing" "$T/err")" 58000 "a warning per configured log without its directory"
assert_file "$ROOT/d59/l59999.log.1.gz"
ok "60,000 logs entries: check-config and rotate in $(elapsed "$t0") s"
exit 0
