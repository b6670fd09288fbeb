#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# What people see on a terminal, under a pseudo-terminal (script(1)):
# status prints its table with columns as wide as their data, owners as
# names, NEXT DUE as a day, and every warning after the table, never inside
# it; rotate, verify and archive draw a progress line (bytes, rate, files)
# on stderr, and never when stderr is not a terminal.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root
need_tzdata
need script

export EVMAINT_LOGROTATE_CONF=/dev/null/none

# tty OUT CMD...: CMD under a pseudo-terminal, everything it wrote in OUT
# (carriage returns kept), its exit status returned.
tty() {
	local out=$1 cmd q a
	shift
	cmd=
	for a in "$@"; do
		printf -v q '%q' "$a"
		cmd+="$q "
	done
	script -q -e -c "$cmd" /dev/null >"$out" </dev/null
}

t_setup
at "2026-11-24 12:00:00" evm_run 0 init
mkdir -p "$ROOT/a-script-with-a-rather-long-name"
L="a-script-with-a-rather-long-name/a-script-with-a-rather-long-name.log"
seq 1 200000 | sed 's/^/2026-11-24T10:00:00+01:00 deploy[1]: line /' >"$ROOT/deploy/deploy.log"
seq 1 1000 >"$ROOT/$L"
chmod 0640 "$ROOT/$L"

# --- 1. rotate under a terminal draws the compression's progress line
at "2026-11-25 02:00:00" tty "$T/rotate.tty" "$EVMAINT" -c "$T/evmaint.conf" rotate ||
	fail "rotate under a terminal failed: $(cat "$T/rotate.tty")"
assert_grep $'\revmaint: compressing [0-9.]+ [KM]iB of [0-9.]+ [KM]iB, [0-9]+/2 files, [0-9.]+ ([KM]i)?B/s(, ETA [0-9]+:[0-9]{2})?' \
	"$T/rotate.tty" "no progress line from rotate on a terminal"
assert_grep '^rotated deploy/deploy.log' "$T/rotate.tty" "rotate's action lines"
printf 'more\n' >>"$ROOT/deploy/deploy.log"
at "2026-11-26 02:00:00" evm_run 0 rotate
assert_no_grep $'\r|compressing' "$T/err" "a progress line without a terminal (rotate)"
ok "rotate: a progress line on a terminal (bytes, rate, files), none without one"

# --- 2. verify and archive the same
tty "$T/verify.tty" "$EVMAINT" -c "$T/evmaint.conf" verify || fail "verify under a terminal failed: $(cat "$T/verify.tty")"
assert_grep $'\revmaint: verified [0-9.]+ [KM]?i?B of [0-9.]+ [KM]?i?B, [0-9]+/[0-9]+ files, [0-9.]+ ([KM]i)?B/s' "$T/verify.tty" \
	"no progress line from verify on a terminal"
evm_run 0 verify
assert_no_grep $'\r|verified [0-9]' "$T/err" "a progress line without a terminal (verify)"
tty "$T/archive.tty" "$EVMAINT" -c "$T/evmaint.conf" archive || fail "archive under a terminal failed: $(cat "$T/archive.tty")"
assert_grep $'\revmaint: snapshot [0-9.]+ [KM]?i?B of [0-9.]+ [KM]?i?B' "$T/archive.tty" "no progress line from archive"
ok "verify and archive: a progress line on a terminal, none without one"

# --- 3. status: columns sized to the data, names as owners, warnings after
chmod 0644 "$ROOT/backup/backup.log"
printf 'after the night\n' >>"$ROOT/deploy/deploy.log"
at "2026-11-26 09:00:00" tty "$T/status.tty" "$EVMAINT" -c "$T/evmaint.conf" status ||
	fail "status under a terminal failed: $(cat "$T/status.tty")"
tr -d '\r' <"$T/status.tty" >"$T/status.txt"
assert_grep '^LOG +SIZE +MODE +OWNER +LAST ROTATION +NEXT DUE +GENERATIONS$' "$T/status.txt" "the table's header"
hdr=$(grep '^LOG ' "$T/status.txt")
row=$(grep "^$L " "$T/status.txt") || fail "no row for $L: $(cat "$T/status.txt")"
# the long name does not push its row out of line: OWNER starts at one column
col() { awk -v s="$1" -v w="$2" 'BEGIN { print index(s, w) }'; }
assert_eq "$(col "$row" 'root:root')" "$(col "$hdr" 'OWNER')" "OWNER column of the long name's row"
drow=$(grep '^deploy/deploy.log ' "$T/status.txt")
assert_eq "$(col "$drow" 'root:root')" "$(col "$hdr" 'OWNER')" "OWNER column of deploy.log's row"
assert_eq "$(col "$drow" '2026-11-27')" "$(col "$hdr" 'NEXT DUE')" "NEXT DUE of deploy.log, rotated today: tomorrow"
assert_grep '^backup/backup.log .* 0644 DRIFT +root:root ' "$T/status.txt" "backup.log's drift in the table"
assert_grep '^config_update/config_update.log .* once not empty ' "$T/status.txt" "NEXT DUE of an empty log"
last_row=$(grep -n '^archive_dir ' "$T/status.txt" | cut -d: -f1)
first_warn=$(grep -n -m1 'evmaint: warning:' "$T/status.txt" | cut -d: -f1)
[ -n "$first_warn" ] || fail "no warning for the drift: $(cat "$T/status.txt")"
assert_lt "$last_row" "$first_warn" "a warning printed before the end of the table"
assert_grep 'evmaint: warning: backup/backup.log: drift: mode 0644 owner root:root, configured 0640 root:root' \
	"$T/status.txt" "the drift warning"
ok "status on a terminal: columns sized to the data, owner names, NEXT DUE a day, warnings after the table"
exit 0
