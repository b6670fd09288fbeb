#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# rotate on a fresh tree: each non-empty log becomes LOG.1.gz (a standard
# gzip file with the original name and the log's mtime, exactly its lines),
# the live log is a new, empty inode with the configured mode and owner;
# empty logs stay (notifempty, and notifempty = no); a second run the same
# day changes nothing and says nothing; --dry-run says what it would do and
# changes nothing; --json; one stdout line per action with sizes; a new
# script's log is found without config, a log 9 levels deep is not.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/rotate-lib.sh"

need_root # the tree is root:root
need_tzdata
need python3

D8=a1/a2/a3/a4/a5/a6/a7/a8     # 8 levels below root: still managed
D9=$D8/a9                      # 9 levels: out of reach
ROTATED="deploy/deploy.log error.log newscript/newscript.log $D8/d8.log"
EMPTY="backup/backup.log config_update/config_update.log"
LOGMTIME="2026-11-24 21:15:07"

# The same first night for every case: init, lines in some logs (each under
# 1 KiB, so sizes print as bytes), a new script's log, two deep ones.
scenario() {
	at "2026-11-24 12:00:00" evm_run 0 init
	mkdir -m 0750 "$ROOT/newscript"
	mkdir -p "$ROOT/$D9"
	rl_write deploy/deploy.log 20261125 25
	rl_write error.log 20261125 3
	rl_write newscript/newscript.log 20261125 7
	rl_write "$D8/d8.log" 20261125 2
	rl_write "$D9/d9.log" 20261125 2
	local l
	for l in $ROTATED $D9/d9.log; do
		touch -d "$LOGMTIME" "$ROOT/$l"
	done
}

size_of() {
	stat -c %s -- "$1"
}

# A number as a whole word on a line of FILE that also names PATH.
line_has_size() {
	grep -a -F -e "$2" -- "$1" | grep -a -E "(^|[^0-9.])$3([^0-9.]|\$)" >/dev/null
}

# --- 1. the first night
t_setup
scenario
declare -A INO SIZE
for l in $ROTATED; do
	INO[$l]=$(stat -c %i "$ROOT/$l")
	SIZE[$l]=$(size_of "$ROOT/$l")
done
d9sum=$(sha256sum <"$ROOT/$D9/d9.log")
want_mtime=$(rl_epoch "$LOGMTIME")
at "2026-11-25 02:00:00" evm_run 0 rotate
for l in $ROTATED; do
	g=$ROOT/$l.1.gz
	assert_file "$g" "$l was not rotated to $l.1.gz"
	assert_no_file "$ROOT/$l.1" "the plain $l.1 was left next to its .gz"
	gzip -t -- "$g" || fail "gzip -t fails on $g"
	rl_check_content "$g" "$l" 20261125 "$l.1.gz"
	read -r hmtime hname < <(rl_gz_header "$g")
	assert_eq "$hname" "${l##*/}.1" "the name in the gzip header of $l.1.gz"
	assert_eq "$hmtime" "$want_mtime" "the mtime in the gzip header of $l.1.gz"
	assert_eq "$(stat -c %Y "$g")" "$want_mtime" "mtime of $l.1.gz (the log's last write)"
	assert_mode "$g" 0640
	assert_owner "$g" root:root
	assert_file "$ROOT/$l" "the live $l is gone"
	assert_empty "$ROOT/$l" "the live $l is not empty after rotation"
	assert_mode "$ROOT/$l" 0640
	assert_owner "$ROOT/$l" root:root
	[ "$(stat -c %i "$ROOT/$l")" != "${INO[$l]}" ] ||
		fail "the live $l kept its inode: it was copied and truncated, not rotated"
done
gunzip -N -c "$ROOT/deploy/deploy.log.1.gz" >/dev/null || fail "gunzip -N fails"
for l in $EMPTY; do
	assert_empty "$ROOT/$l" "an empty log changed"
	assert_eq "$(rl_gens "$ROOT/${l%/*}" "${l##*/}")" "" "the empty $l was rotated (notifempty)"
done
assert_eq "$(rl_gens "$ROOT/$D9" d9.log)" "" "a log 9 levels deep was rotated"
assert_eq "$(sha256sum <"$ROOT/$D9/d9.log")" "$d9sum" "a log 9 levels deep was changed"
assert_no_tmp "$T"
ok "first night: 4 logs (incl. newscript/ and 8 levels deep) to LOG.1.gz, gzip -t, exact lines, header name and mtime, new empty 0640 inode; empty and 9-deep logs left"

# stdout: one line per action (a rotation, a compression), each with sizes
for l in $ROTATED; do
	line_has_size "$T/out" "$l" "${SIZE[$l]}" ||
		fail "no stdout line names $l with its size ${SIZE[$l]}:
$(cat "$T/out")"
	line_has_size "$T/out" "${l##*/}.1.gz" "$(size_of "$ROOT/$l.1.gz")" ||
		fail "no stdout line names ${l##*/}.1.gz with its compressed size:
$(cat "$T/out")"
done
for l in $EMPTY d9.log; do
	assert_no_grep "$l" "$T/out" "stdout mentions a log that was not rotated"
done
human_lines=$(wc -l <"$T/out")
assert_eq "$human_lines" 8 "stdout lines (4 rotations + 4 compressions)"
rl_assert_accounted

# --- 2. again the same day: nothing changes, nothing is said
snap same -t "$T/srv"
cp "$STATE" "$T/state.before"
at "2026-11-25 09:30:00" evm_run 0 rotate
assert_empty "$T/out" "a second rotate the same day printed actions"
assert_unchanged same -t "$T/srv"
assert_same "$STATE" "$T/state.before" "the state changed in a run that did nothing"
# even with new lines: daily means once a day
rl_write deploy/deploy.log 20261126 5
snap same2 -t "$T/srv"
at "2026-11-25 23:59:59" evm_run 0 rotate
assert_empty "$T/out" "a rotate late the same day printed actions"
assert_unchanged same2 -t "$T/srv"
assert_same "$STATE" "$T/state.before" "the state changed in a run that did nothing"
ok "second and third rotate the same day: tree identical (with times), state identical, no output"

# --- 3. --dry-run the next night: says it, changes nothing
rl_write error.log 20261126 2
snap dry -t "$T/srv" "$ARCH"
snap drystate "$(dirname "$STATE")"
at "2026-11-26 02:00:00" evm_run 0 --dry-run rotate
assert_grep '^would rotate .*deploy/deploy\.log' "$T/out" "--dry-run does not say it would rotate deploy.log"
assert_grep '^would rotate .*error\.log' "$T/out" "--dry-run does not say it would rotate error.log"
assert_grep '^would compress .*deploy\.log\.1' "$T/out" "--dry-run does not say it would compress"
assert_no_grep 'newscript|backup' "$T/out" "--dry-run would rotate an empty log"
assert_unchanged dry -t "$T/srv" "$ARCH"
assert_unchanged drystate "$(dirname "$STATE")"
at "2026-11-26 02:00:00" evm_run 0 rotate -n
assert_unchanged dry -t "$T/srv" "$ARCH"
assert_unchanged drystate "$(dirname "$STATE")"
ok "--dry-run (before and after the command): 'would rotate', 'would compress', tree and state byte-identical"

at "2026-11-26 02:00:00" evm_run 0 rotate
for l in deploy/deploy.log error.log; do
	rl_check_content "$ROOT/$l.1.gz" "$l" 20261126 "$l.1.gz"
	rl_check_content "$ROOT/$l.2.gz" "$l" 20261125 "$l.2.gz"
done
assert_no_file "$ROOT/newscript/newscript.log.2.gz" "an empty log was shifted"
rl_assert_accounted

# --- 4. --json: one object, changed, each action with path and sizes
t_setup
scenario
declare -A SIZE
for l in $ROTATED; do
	SIZE[$l]=$(size_of "$ROOT/$l")
done
at "2026-11-25 02:00:00" evm_run 0 --json rotate
json_check "$T/out"
assert_json "$T/out" 'd["command"] == "rotate"'
assert_json "$T/out" 'd["changed"] is True' "a rotation must say changed true"
assert_json "$T/out" 'd["errors"] == []'
assert_json "$T/out" 'all(isinstance(a.get("action"), str) and isinstance(a.get("path"), str) and
	isinstance(a.get("size_before"), int) for a in d["actions"])' \
	"every action needs action, path and size_before"
assert_eq "$(json_get "$T/out" 'len(d["actions"])')" "$human_lines" \
	"JSON actions vs human lines of the same night"
rot=$(json_get "$T/out" '" ".join(sorted(a["path"] for a in d["actions"] if a["action"] == "rotate"))')
# shellcheck disable=SC2086 # the list, split
assert_eq "$rot" "$(printf '%s\n' $ROTATED | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" \
	"the logs the JSON says were rotated"
for l in $ROTATED; do
	P=$l SB=${SIZE[$l]} assert_json "$T/out" \
		'any(a["action"] == "rotate" and a["path"] == env["P"] and a["size_before"] == int(env["SB"])
		     for a in d["actions"])' "no rotate action for $l with size_before ${SIZE[$l]}"
	P=$l.1 SB=${SIZE[$l]} SA=$(size_of "$ROOT/$l.1.gz") assert_json "$T/out" \
		'any(a["path"].startswith(env["P"]) and a.get("size_before") == int(env["SB"]) and
		     a.get("size_after") == int(env["SA"]) for a in d["actions"] if a["action"] != "rotate")' \
		"no compress action for $l.1 with size_before ${SIZE[$l]} and size_after = the .gz size"
done
at "2026-11-25 03:00:00" evm_run 0 --json rotate
json_check "$T/out"
assert_json "$T/out" 'd["changed"] is False' "a rotate with nothing due must say changed false"
assert_json "$T/out" 'd["actions"] == []' "a rotate with nothing due listed actions"
assert_json "$T/out" 'd["errors"] == []'
ok "--json rotate: valid, changed true with rotate/compress actions and sizes, then changed false"

# --- 5. notifempty = no: empty logs are rotated too
t_setup "notifempty = no"
at "2026-11-24 12:00:00" evm_run 0 init
at "2026-11-25 02:00:00" evm_run 0 rotate
for l in deploy/deploy.log backup/backup.log config_update/config_update.log error.log; do
	assert_file "$ROOT/$l.1.gz" "notifempty = no: the empty $l was not rotated"
	gzip -t "$ROOT/$l.1.gz" || fail "gzip -t fails on $l.1.gz"
	assert_eq "$(gzip -dc "$ROOT/$l.1.gz" | wc -c)" 0 "$l.1.gz of an empty log is not empty"
	assert_file "$ROOT/$l"
	assert_mode "$ROOT/$l" 0640
done
# and notifempty = yes (the default) in a section keeps one log from it
t_setup "notifempty = no" "[backup/backup.log]" "notifempty = yes"
at "2026-11-24 12:00:00" evm_run 0 init
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_file "$ROOT/deploy/deploy.log.1.gz" "notifempty = no: the empty deploy.log was not rotated"
assert_eq "$(rl_gens "$ROOT/backup" backup.log)" "" "a section's notifempty = yes was ignored"
ok "notifempty = no rotates empty logs (an empty .gz); a section can turn it back on"

# --- 6. --dry-run names the archive the real run writes: .tar when every
#        expired generation is a .gz, .tar.gz when one is plain (compress = no)
for c in yes no; do
	t_setup "rotate = 1" "compress = $c"
	evm_run 0 init
	for d in 25 26 27; do
		rl_write deploy/deploy.log "202611$d" 2
		at "2026-11-$d 02:00:00" evm_run 0 rotate
	done
	ext=.tar
	[ "$c" = no ] && ext=.tar.gz
	assert_file "$ARCH/event-20261127T020000$ext" "compress = $c: the archive"
	rl_write deploy/deploy.log 20261128 2
	at "2026-11-28 02:00:00" evm_run 0 --dry-run rotate
	assert_fgrep "into $ARCH/event-20261128T020000$ext" "$T/out" \
		"compress = $c: --dry-run names another archive than the real run writes"
	at "2026-11-28 02:00:00" evm_run 0 rotate
	assert_file "$ARCH/event-20261128T020000$ext"
done
ok "--dry-run names the nightly archive as the run writes it: .tar for .gz generations, .tar.gz with plain ones"

exit 0
