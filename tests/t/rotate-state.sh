#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The state file: its format after a rotation; a lost state (every
# non-empty log is due again, no error); a corrupt one (garbage, truncated,
# another version: a message naming it, exit 1, the rotation still done,
# the state rewritten valid, no line lost); one that is a symlink or has a
# second hard link (refused, reported, never written through). Even with the
# state lost, no two nightly archives hold different data under one member
# name.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/rotate-lib.sh"

need_root # the tree is root:root
need_tzdata

names() {
	rl_gens "$ROOT/$(dirname "$1")" "${1##*/}" | tr '\n' ' ' | sed 's/ $//'
}

# The first night of every case: lines in deploy.log and error.log, rotated.
first_night() {
	at "2026-11-24 12:00:00" evm_run 0 init
	rl_write deploy/deploy.log 20261125 6
	rl_write error.log 20261125 2
	at "2026-11-25 02:00:00" evm_run 0 rotate
}

assert_state_valid() {
	assert_file "$STATE" "${1:-}: no state file"
	assert_eq "$(head -n 1 "$STATE")" "evmaint-state 1" "${1:-}: the state's first line"
}

# --- 1. the format
t_setup
first_night
assert_state_valid "after the first rotation"
e=$(rl_epoch "2026-11-25 02:00:00")
for l in deploy/deploy.log error.log; do
	assert_grep "^log $l $e " "$STATE" "no state line for the rotated $l with the time of the run"
done
assert_eq "$(grep -c "^log deploy/deploy.log " "$STATE")" 1 "state lines for deploy.log"
ok "state: 'evmaint-state 1', then a line per rotated log with the time of its rotation"

# --- 2. the state lost: non-empty logs are due again the same day
rm -f "$STATE"
snap lost -t "$ROOT"
at "2026-11-25 09:00:00" evm_run 0 rotate
assert_unchanged lost -t "$ROOT" # nothing due: the logs are empty
assert_empty "$T/err" "a missing state file is not an error"
rl_write deploy/deploy.log 20261125_100000 4
rm -f "$STATE"
at "2026-11-25 10:00:00" evm_run 0 rotate
assert_empty "$T/err" "a missing state file is not an error"
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" \
	"with the state lost, a non-empty log rotated once today is rotated again"
assert_eq "$(names error.log)" "error.log.1.gz" "an empty log was rotated"
rl_check_content "$ROOT/deploy/deploy.log.1.gz" deploy/deploy.log 20261125_100000 deploy.log.1.gz
rl_check_content "$ROOT/deploy/deploy.log.2.gz" deploy/deploy.log 20261125 deploy.log.2.gz
assert_state_valid "after a run without state"
assert_grep "^log deploy/deploy.log $(rl_epoch "2026-11-25 10:00:00") " "$STATE"
# and it is recorded: not again the same day
rl_write deploy/deploy.log 20261126 1
at "2026-11-25 11:00:00" evm_run 0 rotate
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" "rotated again after the state was rebuilt"
rl_assert_accounted
ok "state deleted: exit 0, nothing due while logs are empty, a non-empty log rotated again, state rebuilt"

# --- 3. a corrupt state: reported, exit 1, rotation done, state rewritten
corrupt() { # corrupt WHAT: the state file spoiled in one way
	case $1 in
	garbage) head -c 2000 /dev/urandom >"$STATE" ;;
	text) printf 'hello\nthis is not a state file\n' >"$STATE" ;;
	truncated)
		head -c "$(($(grep -b -o '^log deploy' "$STATE" | head -1 | cut -d: -f1) + 28))" "$STATE" >"$T/cut"
		cat "$T/cut" >"$STATE"
		;;
	version) sed -i '1s/.*/evmaint-state 2/' "$STATE" ;;
	esac
}
for what in garbage text truncated version; do
	t_setup
	first_night
	corrupt "$what"
	cp "$STATE" "$T/corrupt.copy"
	rl_write deploy/deploy.log 20261126 5
	rl_write backup/backup.log 20261126 3
	at "2026-11-26 02:00:00" evm_run 1 rotate
	assert_fgrep "$STATE" "$T/err" "$what state: stderr does not name the state file"
	assert_errlog 'state' # and error.log has it, in the contract's format
	assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" "$what state: deploy.log not rotated"
	assert_eq "$(names backup/backup.log)" "backup.log.1.gz" "$what state: backup.log not rotated"
	rl_check_content "$ROOT/deploy/deploy.log.1.gz" deploy/deploy.log 20261126 "$what state: deploy.log.1.gz"
	assert_state_valid "$what state, after the run"
	assert_grep "^log deploy/deploy.log $(rl_epoch "2026-11-26 02:00:00") " "$STATE" \
		"$what state: the rewritten state does not record tonight's rotation"
	# the rewritten state works: the next run is clean and rotates nothing
	at "2026-11-26 08:00:00" evm_run 0 rotate
	assert_empty "$T/err" "$what state: the run after the rewrite still complains"
	assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz"
	assert_no_tmp "$T"
	rl_assert_accounted
	ok "a $what state: stderr and error.log name it, exit 1, logs rotated, state rewritten valid, nothing lost"
done

# --- 4. a state file that is a symlink, or has a second hard link
for kind in symlink hardlink; do
	t_setup
	first_night
	mv "$STATE" "$T/elsewhere"
	if [ "$kind" = symlink ]; then
		ln -s "$T/elsewhere" "$STATE"
	else
		ln "$T/elsewhere" "$STATE"
	fi
	sum=$(sha256sum <"$T/elsewhere")
	rl_write deploy/deploy.log 20261126 2
	at "2026-11-26 02:00:00" evm_run 1 rotate
	assert_fgrep "$STATE" "$T/err" "a $kind state: stderr does not name the state file"
	assert_eq "$(sha256sum <"$T/elsewhere")" "$sum" "a $kind state: written through"
	assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" "a $kind state: the rotation was not done"
	rl_assert_accounted
	ok "a state file that is a $kind: refused and reported (exit 1), the other file untouched, logs rotated"
done

# --- 5. the state lost after a night whose log was written after midnight:
# the generation without a record is named by its mtime's day, which is
# also the day of the next rotation; the member names must still differ.
t_setup "rotate = 1"
at "2026-11-24 12:00:00" evm_run 0 init
rl_write deploy/deploy.log 20261125 3
touch -d "2026-11-25 01:30:00" "$ROOT/deploy/deploy.log" # a script ran at 01:30
at "2026-11-25 02:00:00" evm_run 0 rotate
rm -f "$STATE"
rl_write deploy/deploy.log 20261125_100000 3
at "2026-11-25 10:00:00" evm_run 0 rotate # expires the night's generation
rl_write deploy/deploy.log 20261126 3
at "2026-11-26 02:00:00" evm_run 0 rotate # expires the 10:00 one
assert_eq "$(find "$ARCH" -name 'event-*.tar*' ! -name '*.sha256' | wc -l)" 2 "nightly archives"
rl_extract
dup=$(rl_members | awk '{ print $2 }' | LC_ALL=C sort | uniq -d)
[ -z "$dup" ] || fail "with the state lost, two nightly archives hold different data under one member name:
$(rl_members)"
rl_assert_accounted
ok "state lost the day a log was written after midnight: the two archived generations have distinct member names"

# --- 6. the state lost after nights whose logs were last written before
# midnight: each generation without a record is named by its mtime's day,
# the day before its rotation, which an earlier night's archive already
# uses for the generation rotated that day. And a generation restored into
# the tree with the mtime of a day already archived. Neither may reuse an
# archived member name; every line stays in once.
t_setup "rotate = 1"
at "2026-11-19 12:00:00" evm_run 0 init
for d in 20 21 22 23; do
	rl_write deploy/deploy.log "202611$d" 2
	touch -d "2026-11-$d 23:00:00" "$ROOT/deploy/deploy.log"
	at "2026-11-$((d + 1)) 02:00:00" evm_run 0 rotate
done
rm -f "$STATE"
for d in 24 25 26; do
	rl_write deploy/deploy.log "202611$d" 2
	touch -d "2026-11-$d 23:00:00" "$ROOT/deploy/deploy.log"
	at "2026-11-$((d + 1)) 02:00:00" evm_run 0 rotate
done
rl_write_to "$T/restored" deploy/deploy.log 20261125_restored 2
gzip -n <"$T/restored" >"$ROOT/deploy/deploy.log.5.gz"
touch -d "2026-11-25 09:00:00" "$ROOT/deploy/deploy.log.5.gz"
rl_write deploy/deploy.log 20261127 2
at "2026-11-28 02:00:00" evm_run 0 rotate
rl_extract
rl_members >"$T/members"
dup=$(awk '{ print $2 }' "$T/members" | LC_ALL=C sort | uniq -d)
[ -z "$dup" ] || fail "two nightly archives hold different data under one member name ($dup):
$(cat "$T/members")"
assert_grep ' deploy/deploy\.log-20261125_090000\.gz$' "$T/members" \
	"the restored generation, whose day was archived, is not named with its mtime's time"
rl_assert_accounted
ok "state lost, and a generation restored: no member name in two nightly archives, every line once"

# --- 6b. an archive that must be listed for that and cannot be read: only
# the generations whose day is their mtime's wait (exit 1, the archive
# named); the others are archived. A second hard link to an archive (a
# backup made with cp -al) is read as any.
t_setup "rotate = 1"
at "2026-11-19 12:00:00" evm_run 0 init
for d in 20 21; do
	rl_write deploy/deploy.log "202611$d" 2
	rl_write error.log "202611$d" 1
	at "2026-11-$((d + 1)) 02:00:00" evm_run 0 rotate
done
mkdir -p "$T/linked"
ln "$ARCH/event-20261122T020000.tar" "$T/linked/copy.tar"
rl_write_to "$T/restored" deploy/deploy.log 20261120_restored 2
gzip -n <"$T/restored" >"$ROOT/deploy/deploy.log.2.gz" # .3 once shifted
touch -d "2026-11-21 09:00:00" "$ROOT/deploy/deploy.log.2.gz"
rl_write deploy/deploy.log 20261122 2
rl_write error.log 20261122 1
head -c 4096 /dev/urandom >"$ARCH/event-20261121T120000.tar"
at "2026-11-23 02:00:00" evm_run 1 rotate
assert_fgrep "cannot read the archive $ARCH/event-20261121T120000.tar" "$T/err"
assert_file "$ROOT/deploy/deploy.log.3.gz" "the restored generation left the tree although the archive it may clash with was unread"
assert_no_file "$ROOT/error.log.2.gz" "error.log's expired generation waited for an archive it cannot clash with"
rm -f "$ARCH/event-20261121T120000.tar"
rl_write deploy/deploy.log 20261123 2
at "2026-11-24 02:00:00" evm_run 0 rotate
assert_no_file "$ROOT/deploy/deploy.log.3.gz" "the restored generation, once the archive is gone"
rl_extract
dup=$(rl_members | awk '{ print $2 }' | LC_ALL=C sort | uniq -d)
[ -z "$dup" ] || fail "one member name in two nightly archives: $dup"
rl_assert_accounted
ok "an unreadable archive holds back only the generations whose names it may hold (exit 1, named); a hard-linked one is read"

exit 0
