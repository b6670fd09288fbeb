#!/bin/bash
# Issue 13, item 2: a journal is replayed only if every step in it is one
# rotation itself writes for the logs it names (man evmaint.8, SECURITY).
# Forged journals of several shapes, each planted with the inodes of the
# tree it targets: the run must take no step (every file of the tree, the
# archives and the state as before, inodes included), set the journal aside
# as STATE.journal.rejected-STAMP, exit 1 naming that path and the reason;
# the next rotate then exits 0.
. "$(dirname "$0")/common.sh"
need tar sha256sum
need_root

NIGHT="2026-11-05 02:00:00"

t_setup "rotate = 2"
evm_run 0 -q init
for d in 1 2 3 4; do
	seq -f "deploy d$d %g" 1 500 >>"$ROOT/deploy/deploy.log"
	seq -f "backup d$d %g" 1 50 >>"$ROOT/backup/backup.log"
	echo "error d$d" >>"$ROOT/error.log"
	at "2026-11-0$d 02:00:00" evm_run 0 -q rotate
done
at "2026-11-04 13:00:00" evm_run 0 -q archive
seq -f "deploy d5 %g" 1 500 >>"$ROOT/deploy/deploy.log"
SNAP=event-20261104T130000.tar.gz
NIGHTLY=event-20261104T020000.tar
assert_file "$ARCH/$SNAP"
assert_file "$ARCH/$NIGHTLY"
assert_file "$ROOT/README.md"
assert_file "$ROOT/deploy/deploy.log.1.gz"
mkdir "$T/init"
cp -a "$T/srv" "$T/var" "$T/init/"
TIME=$(date -d "2026-11-04 02:00:00" +%s)

restore() {
	rm -rf "${T:?}/srv" "${T:?}/var"
	cp -a "$T/init/srv" "$T/init/var" "$T/"
}

# di FILE: "DEV INO" as the journal records them.
di() {
	stat -c '%d %i' -- "$1"
}

# member DIRREL FILE NAME: a member record for the file as it is now.
member() {
	local f=$ROOT/${1:+$1/}$2 dir=${1:-.}
	echo "member $dir $2 $3 $(di "$f") $(stat -c %s -- "$f") $(sha256sum <"$f" | cut -c1-64)"
}

# head_of: the journal's first lines, for the tree as it is now.
head_of() {
	printf 'evmaint-journal 1\ntime %s\nroot %s %s\n' "$TIME" "$ROOT" "$(di "$ROOT")"
}

# What must not change: every entry with inode, mode and content, the
# state; error.log only as the scripts wrote it (evmaint reports its own
# errors into it, as it should).
state_now() {
	tree_state -t "$T/srv" | grep -v '^event/error.log	\|^event/error.log ' || true
	{ grep -a -v -E ' evmaint\[[0-9]+\]: ERROR ' "$ROOT/error.log" || true; } | sha256sum
	cat "$STATE"
}

# rejected NAME: runs rotate over the journal planted in $T/forged.
rejected() {
	local name=$1 aside=$STATE.journal.rejected-20261105T020000
	cp "$T/forged" "$STATE.journal"
	state_now >"$T/before"
	# The monitoring probe sees beforehand what rotate will refuse.
	at "$NIGHT" evm_run 2 status --check
	assert_grep '^EVMAINT CRITICAL - journal: [^|]*\.journal (unusable|is not one rotation wrote)' \
		"$T/out" "$name: status --check before the run"
	at "$NIGHT" evm_run 1 rotate
	state_now >"$T/after"
	assert_same "$T/before" "$T/after" "$name: nothing changed"
	assert_no_file "$STATE.journal" "$name: journal left in place"
	assert_file "$aside" "$name: journal not set aside"
	assert_same "$aside" "$T/forged" "$name: the set-aside journal is the one planted"
	[ "$(find "$T/var" -name 'state.journal*' | wc -l)" = 1 ] ||
		fail "$name: more than the one set-aside journal: $(ls "$T/var/lib/evmaint")"
	assert_fgrep "set aside as $aside" "$T/err" "$name: the error names where it went"
	assert_fgrep "$STATE.journal rejected" "$T/err" "$name: the error says it was rejected"
	cp "$T/err" "$T/err.rejected"
	at "$NIGHT" evm_run 0 -q rotate
	assert_no_file "$STATE.journal" "$name: the next run left a journal"
	# Set aside, it is a WARNING until the operator has read and removed it.
	at "$NIGHT" evm_run 1 status --check
	assert_fgrep "journal: $aside a journal rotate rejected" "$T/out" \
		"$name: status --check after the rejection"
	at "$NIGHT" evm_run 0 status
	assert_fgrep "$aside: journal: a journal rotate rejected" "$T/err" \
		"$name: status after the rejection"
	rm -- "$aside"
	at "$NIGHT" evm_run 0 status --check
	ok "$name: $(grep -o 'replayed: .*; set aside' "$T/err.rejected")"
}

# 1. README.md renamed to a generation name of error.log.
restore
{
	head_of
	echo "log error.log $TIME 1:20261104"
	echo "ren README.md error.log.3 $(di "$ROOT/README.md")"
	echo "ren .evmaint-tmp.error.log error.log.1 $(di "$ROOT/README.md")"
	echo "xchg error.log.1 error.log $(di "$ROOT/README.md")"
	echo end
} >"$T/forged"
rejected "README.md renamed to error.log.3"

# 2. A live log renamed to another name.
restore
{
	head_of
	echo "log deploy/deploy.log $TIME -"
	echo "ren deploy.log other.log.1 $(di "$ROOT/deploy/deploy.log")"
	echo "ren .evmaint-tmp.deploy.log deploy.log.1 1 1"
	echo "xchg deploy.log.1 deploy.log 1 1"
	echo end
} >"$T/forged"
rejected "a live log renamed away"

# 3. A live log swapped with its .1.gz: alone, and dressed as a rotation's end.
restore
{
	head_of
	echo "log deploy/deploy.log $TIME -"
	echo "xchg deploy.log.1.gz deploy.log $(di "$ROOT/deploy/deploy.log.1.gz")"
	echo end
} >"$T/forged"
rejected "a live log swapped with its .1.gz"
restore
{
	head_of
	echo "log deploy/deploy.log $TIME -"
	echo "ren deploy.log.2.gz deploy.log.3.gz $(di "$ROOT/deploy/deploy.log.2.gz")"
	echo "ren .evmaint-tmp.deploy.log deploy.log.1.gz $(di "$ROOT/deploy/deploy.log.1.gz")"
	echo "xchg deploy.log.1.gz deploy.log $(di "$ROOT/deploy/deploy.log.1.gz")"
	echo end
} >"$T/forged"
rejected "a swap dressed as a rotation's last steps"

# 4. A snapshot's members listed as archived sources: every live log and
# README.md (the snapshot really holds them, with these hashes).
restore
{
	head_of
	echo "archive $SNAP"
	member deploy deploy.log deploy/deploy.log
	member backup backup.log backup/backup.log
	member "" error.log error.log
	member "" README.md README.md
	echo end
} >"$T/forged"
rejected "a snapshot's live logs and README.md as archived sources"
# A generation under its snapshot name, and one the named nightly archive
# does not hold (its name and shape as expiry writes them).
restore
{
	head_of
	echo "archive $SNAP"
	member deploy deploy.log.1.gz deploy/deploy.log.1.gz
	echo end
} >"$T/forged"
rejected "a generation under a snapshot's member name"
restore
{
	head_of
	echo "archive $NIGHTLY"
	member deploy deploy.log.1.gz deploy/deploy.log-20261104.gz
	echo end
} >"$T/forged"
rejected "a generation the nightly archive does not hold"

# 5. Outside the tree: a step's name through ../, a log's path through ../
restore
{
	head_of
	echo "log deploy/deploy.log $TIME -"
	echo "ren ../../../var/lib/evmaint/state deploy.log.1 $(di "$STATE")"
	echo "ren .evmaint-tmp.deploy.log deploy.log.1 1 1"
	echo "xchg deploy.log.1 deploy.log 1 1"
	echo end
} >"$T/forged"
rejected "a step naming a file outside the tree through ../"
restore
{
	head_of
	echo "log ../../var/lib/evmaint/x.log $TIME -"
	echo "ren .evmaint-tmp.x.log x.log.1 1 1"
	echo "xchg x.log.1 x.log 1 1"
	echo end
} >"$T/forged"
rejected "a log outside the tree through ../"
restore
{
	head_of
	echo "log deploy/deploy.log $TIME -"
	echo "ren .. deploy.log.1 1 1"
	echo "ren .evmaint-tmp.deploy.log deploy.log.1 1 1"
	echo "xchg deploy.log.1 deploy.log 1 1"
	echo end
} >"$T/forged"
rejected "a step naming .."

# 6. A rotation of something that is not a log.
restore
{
	head_of
	echo "log README.md $TIME -"
	echo "ren .evmaint-tmp.README.md README.md.1 1 1"
	echo "xchg README.md.1 README.md 1 1"
	echo end
} >"$T/forged"
rejected "a rotation of README.md"

# 7. Garbage bytes, and a genuine-looking journal cut short.
restore
printf 'evmaint-journal 1\n\001\377\033[2J garbage \000 more\n' >"$T/forged"
rejected "garbage bytes"
restore
{
	head_of
	echo "log deploy/deploy.log $TIME -"
	echo "ren deploy.log.2.gz deploy.log.3.gz $(di "$ROOT/deploy/deploy.log.2.gz")"
} >"$T/forged"
rejected "a journal cut short"

# The set-aside name is never reused: a second rejection the same second
# gets its own, the first one kept.
restore
printf 'not a journal\n' >"$T/forged"
cp "$T/forged" "$STATE.journal"
printf 'an earlier one\n' >"$STATE.journal.rejected-20261105T020000"
at "$NIGHT" evm_run 1 rotate
assert_fgrep "set aside as $STATE.journal.rejected-20261105T020000.1" "$T/err"
assert_same "$STATE.journal.rejected-20261105T020000.1" "$T/forged"
assert_eq "$(cat "$STATE.journal.rejected-20261105T020000")" "an earlier one" \
	"the earlier set-aside journal"
at "$NIGHT" evm_run 0 -q rotate
ok "a second rejection gets a name of its own"

# --dry-run says so and changes nothing, not even the journal's name.
restore
cp "$T/forged" "$STATE.journal"
at "$NIGHT" evm_run 1 --dry-run rotate
assert_same "$STATE.journal" "$T/forged"
assert_fgrep "a real run sets it aside" "$T/err"
ok "--dry-run: reported, left in place"
exit 0
