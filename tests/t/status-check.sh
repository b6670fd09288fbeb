#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# status --check, the Nagios/Icinga plugin: every condition it reports is
# built here for real and must give its exit status (0 OK, 1 WARNING,
# 2 CRITICAL, 3 UNKNOWN) and name its item on the one line it prints:
# a lock held by another process across three nightly runs (each exits 75)
# turns CRITICAL once check_max_age has passed; archive_dir removed or
# read-only; an unusable journal; a symlink where a generation should be;
# a backlog; drift; a logrotate stanza over the tree; a rotation recorded
# in the future; archive_dir's file system over 90 % full; a config or
# state that cannot be read; a refused state directory or lock file; run
# records refused or corrupt; usage errors (exit 3, not 64). Items come
# most severe first: CRITICAL, UNKNOWN, WARNING.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root; mounts for the read-only and full cases
need_tzdata
need flock

# No logrotate config of this machine may leak into the verdict.
export EVMAINT_LOGROTATE_CONF=/dev/null/none

# check WANT WHEN: status --check at WHEN, exit WANT; the line in $T/out.
check() {
	at "$2" evm_run "$1" status --check
	assert_eq "$(wc -l <"$T/out")" 1 "status --check printed more than one line: $(cat "$T/out")"
}

# holder: another process holds the lock (flock(1) on $STATE.lock) until
# killed; one process, so that killing it frees the lock; returns once it
# holds it (told by a file: /proc/locks may be empty in a container).
holder() {
	rm -f "$T/held"
	# shellcheck disable=SC2016 # expanded by the inner bash
	t_bg bash -c 'exec 9>>"$1" && flock -x 9 && touch "$2" && exec sleep 300' \
		holder "$STATE.lock" "$T/held" </dev/null >/dev/null 2>&1
	HOLDER_PID=$BG_PID
	wait_until 10 test -e "$T/held" || fail "flock(1) could not take $STATE.lock"
}

write() {
	printf '%s line\n' "$2" >>"$ROOT/$1"
}

# --- 1. OK after a good night, with perfdata for every log and archive_dir
t_setup
at "2026-11-24 12:00:00" evm_run 0 init
write deploy/deploy.log 1
at "2026-11-25 02:00:00" evm_run 0 rotate
check 0 "2026-11-25 08:00:00"
assert_grep '^EVMAINT OK - 4 logs, last rotate 2026-11-25T02:00:00\+01:00 \| ' "$T/out" "the OK line"
assert_fgrep "'deploy/deploy.log'=0B;;;0" "$T/out" "perfdata of deploy/deploy.log"
assert_fgrep "'last_rotate_age'=21600s;;93600;0" "$T/out" "perfdata of the last rotate's age"
assert_grep "'archive_dir'=[0-9]+B;;;0 'archives'=0;;;0" "$T/out" "perfdata of archive_dir"
ok "a good night: exit 0, 'EVMAINT OK - 4 logs, last rotate ...' and perfdata"

# --- 2. the lock held across three nightly runs: 75 each night, then CRITICAL
holder
for d in 26 27 28; do
	write deploy/deploy.log "$d"
	at "2026-11-$d 02:00:00" evm_run 75 rotate
done
check 0 "2026-11-26 03:00:00"
check 2 "2026-11-28 08:00:00"
assert_grep '^EVMAINT CRITICAL - rotate: no successful rotate for 78h00m \(since 2026-11-25T02:00:00\+01:00' "$T/out" \
	"the stale-rotate item after three nights of exit 75"
kill "$HOLDER_PID"
wait "$HOLDER_PID" 2>/dev/null || true
at "2026-11-28 09:00:00" evm_run 0 rotate
check 0 "2026-11-28 09:30:00"
ok "three nights of exit 75 under another process's flock: OK at 25 h, CRITICAL 'rotate' at 78 h, OK after a good run"

# --- 3. archive_dir removed, then read-only
mv "$ARCH" "$T/arch.away"
check 2 "2026-11-28 10:00:00"
assert_grep "^EVMAINT CRITICAL - archive_dir: $ARCH missing" "$T/out" "the missing archive_dir item"
mv "$T/arch.away" "$ARCH"
check 0 "2026-11-28 10:00:00"
if mount --bind "$ARCH" "$ARCH" 2>"$T/mount.err"; then
	mount -o remount,bind,ro "$ARCH" || { umount "$ARCH"; fail "cannot remount $ARCH read-only"; }
	at "2026-11-28 10:00:00" evm_run 2 status --check
	umount "$ARCH"
	assert_grep "^EVMAINT CRITICAL - archive_dir: $ARCH not writable \(Read-only file system\)" "$T/out" \
		"the read-only archive_dir item"
	ok "archive_dir removed, then read-only (bind mount): CRITICAL 'archive_dir'"
else
	echo "note: read-only archive_dir not tried: mount --bind failed: $(cat "$T/mount.err")"
	ok "archive_dir removed: CRITICAL 'archive_dir'"
fi

# --- 4. a journal the next run cannot use
printf 'not a journal\n' >"$STATE.journal"
check 2 "2026-11-28 10:00:00"
assert_grep "^EVMAINT CRITICAL - journal: $STATE\.journal unusable" "$T/out" "the journal item"
rm -f "$STATE.journal"
ok "an unusable journal: CRITICAL 'journal'"

# --- 5. a symlink where a generation should be
ln -s /etc/passwd "$ROOT/deploy/deploy.log.3.gz"
check 2 "2026-11-28 10:00:00"
assert_grep "^EVMAINT CRITICAL - refused: deploy/deploy.log.3.gz " "$T/out" "the refused item"
rm "$ROOT/deploy/deploy.log.3.gz"
ok "a symlink in a generation's place: CRITICAL 'refused: deploy/deploy.log.3.gz'"

# --- 6. drift, then drift and a missing archive_dir: most severe first
chmod 0644 "$ROOT/backup/backup.log"
check 1 "2026-11-28 10:00:00"
assert_grep '^EVMAINT WARNING - drift: backup/backup.log mode 0644' "$T/out" "the drift item"
mv "$ARCH" "$T/arch.away"
check 2 "2026-11-28 10:00:00"
assert_grep "^EVMAINT CRITICAL - archive_dir: [^;]*; WARNING drift: backup/backup.log " "$T/out" \
	"CRITICAL first, then the WARNING, each named"
mv "$T/arch.away" "$ARCH"
chmod 0640 "$ROOT/backup/backup.log"
check 0 "2026-11-28 10:00:00"
ok "drift: WARNING 'drift'; with archive_dir missing: 'CRITICAL - archive_dir: ...; WARNING drift: ...'"

# --- 7. a logrotate stanza over the tree
cat >"$T/logrotate.conf" <<EOF
$ROOT/*.log {
	daily
	rotate 4
}
EOF
EVMAINT_LOGROTATE_CONF=$T/logrotate.conf check 1 "2026-11-28 10:00:00"
assert_fgrep "EVMAINT WARNING - logrotate: $ROOT/error.log also rotated by logrotate ($T/logrotate.conf:1, $ROOT/*.log)" "$T/out" \
	"the logrotate item"
ok "a logrotate stanza over error.log: WARNING 'logrotate'"

# --- 8. a rotation recorded in the future (the clock jumped ahead and back)
write deploy/deploy.log future
at "2027-06-01 02:00:00" evm_run 0 rotate
check 1 "2026-11-28 10:00:00"
assert_grep '^EVMAINT WARNING - clock: a successful rotate is recorded in the future; clock: deploy/deploy.log last rotation recorded at 2027-06-01T02:00:00\+02:00, in the future' \
	"$T/out" "the clock items"
assert_fgrep "'last_rotate_age'=3600s" "$T/out" "the age is that of the last good rotate not in the future"
# a rotate dated ahead must not hide that rotate then stopped
check 2 "2026-11-30 10:00:00"
assert_grep '^EVMAINT CRITICAL - rotate: no successful rotate for 49h00m' "$T/out" "staleness behind a future record"
ok "a rotation recorded in the future: WARNING 'clock'; it does not hide a rotate that stopped"

# --- 9. a backlog: generations beyond 'rotate' while archive_dir was away
t_setup "rotate = 1" "check_max_age = 7d"
at "2026-11-20 12:00:00" evm_run 0 init
write deploy/deploy.log 20
at "2026-11-21 02:00:00" evm_run 0 rotate
mv "$ARCH" "$T/arch.away"
for d in 22 23 24; do
	write deploy/deploy.log "$d"
	at "2026-11-$d 02:00:00" evm_run 1 rotate
done
mv "$T/arch.away" "$ARCH"
check 1 "2026-11-24 08:00:00"
assert_grep '^EVMAINT WARNING - backlog: deploy/deploy.log 4 generations, rotate 1' "$T/out" "the backlog item"
write deploy/deploy.log 25
at "2026-11-25 02:00:00" evm_run 0 rotate
check 0 "2026-11-25 08:00:00"
ok "three nights without archive_dir: WARNING 'backlog: deploy/deploy.log 4 generations, rotate 1'; gone after the next run"

# --- 10. archive_dir's file system over 90 % full (a 1 MiB tmpfs)
if mount -t tmpfs -o size=1m,mode=0750 tmpfs "$ARCH" 2>"$T/mount.err"; then
	dd if=/dev/zero of="$ARCH/filler" bs=64k count=15 status=none
	at "2026-11-25 08:00:00" evm_run 1 status --check
	umount "$ARCH"
	assert_grep "^EVMAINT WARNING - archive_dir_full: $ARCH file system 9[0-9]% full" "$T/out" \
		"the archive_dir_full item"
	ok "archive_dir's file system 94 % full: WARNING 'archive_dir_full'"
else
	echo "note: full archive_dir not tried: mount -t tmpfs failed: $(cat "$T/mount.err")"
fi

# --- 11. UNKNOWN: a config that cannot be used, a state that cannot be read
printf 'no_such_key = 1\n' >>"$T/evmaint.conf"
check 3 "2026-11-25 08:00:00"
assert_grep '^EVMAINT UNKNOWN - the configuration cannot be used' "$T/out" "the UNKNOWN line of a bad config"
assert_grep 'unknown key' "$T/err" "stderr says what is wrong with the config"
sed -i '$d' "$T/evmaint.conf"
mv "$STATE" "$T/state.away"
mkdir "$STATE"
check 3 "2026-11-25 08:00:00"
assert_grep "^EVMAINT UNKNOWN - state: $STATE unusable: not a regular file" "$T/out" "the UNKNOWN line of an unreadable state"
rmdir "$STATE"
mv "$T/state.away" "$STATE"
check 0 "2026-11-25 08:00:00"
ok "a bad config and an unreadable state: exit 3 'EVMAINT UNKNOWN - ...'"

# --- 12. before init: nothing has run; and --check refuses --json
t_setup
check 2 "2026-11-25 08:00:00"
assert_grep '^EVMAINT CRITICAL - rotate: no successful rotate recorded; root: ' "$T/out" "before init"
# a usage error, and a probe's status stays within 0-3: UNKNOWN, in the
# JSON object asked for, naming what is wrong
evm_run 3 --json status --check
assert_grep '^\{"command":"status",.*"exit":3,.*"errors":\[\{"message":"status: --check, --prometheus and --json exclude each other"' "$T/out" "the object carries the usage error"
evm_run 64 --json status --prometheus
assert_grep '"exit":64,.*exclude each other' "$T/out" "--prometheus with --json: exit 64, in the object"
ok "before init: CRITICAL naming the missing rotate and root; --check with --json is UNKNOWN"

# --- 13. what stops every rotate is CRITICAL, named once, first; the run
#         records' faults are UNKNOWN naming STATE.runs; usage errors stay
#         within 0-3
t_setup
at "2026-11-24 12:00:00" evm_run 0 init
write deploy/deploy.log 1
at "2026-11-25 02:00:00" evm_run 0 rotate
statedir=$(dirname "$STATE")
chown nobody "$statedir"
check 2 "2026-11-25 08:00:00"
assert_grep "^EVMAINT CRITICAL - state: $statedir is owned by nobody, not root: refusing to use it; the next rotate does nothing until it is fixed( \||$)" \
	"$T/out" "a state directory someone else owns: one CRITICAL state item, the directory named once"
assert_no_grep 'UNKNOWN' "$T/out" "the refused directory's consequences are not UNKNOWN items besides"
chown root "$statedir"
chmod 666 "$STATE.lock"
at "2026-11-25 09:00:00" evm_run 1 rotate
check 2 "2026-11-25 09:30:00"
assert_grep "^EVMAINT CRITICAL - state: $STATE\.lock is writable by others \(mode 0666\): rotate refuses it" \
	"$T/out" "a lock file rotate refuses, seen at once"
chmod 640 "$STATE.lock"
check 0 "2026-11-25 09:30:00"
chmod 666 "$STATE.runs"
check 3 "2026-11-25 09:30:00"
assert_grep "^EVMAINT UNKNOWN - state: $STATE\.runs cannot be read: writable by others \(mode 0666\)" \
	"$T/out" "run records writable by others: STATE.runs named, not the state file"
write deploy/deploy.log 2
at "2026-11-26 02:00:00" evm_run 1 rotate
assert_grep "$STATE\.runs: cannot record this run: writable by others" "$T/err" "rotate's reason for not recording"
chmod 640 "$STATE.runs"
echo garbage >"$STATE.runs"
check 3 "2026-11-26 08:00:00"
assert_grep "^EVMAINT UNKNOWN - state: $STATE\.runs unusable: line 1: " "$T/out" "corrupt run records: UNKNOWN naming them"
assert_no_grep 'no successful rotate' "$T/out" "no verdict on rotate from records that cannot be read"
write deploy/deploy.log 3
at "2026-11-27 02:00:00" evm_run 1 rotate
assert_grep "$STATE\.runs: unusable \(line 1: .*\): rewritten" "$T/err" "rotate says it replaced the corrupt records"
assert_grep '^run rotate [0-9]+ [0-9]+ 1 ' "$STATE.runs" "that run is recorded as exit 1"
check 2 "2026-11-27 08:00:00"
assert_grep '^EVMAINT CRITICAL - rotate: no successful rotate recorded; the last one exited non-zero' "$T/out" "the records again"
at "2026-11-27 09:00:00" evm_run 0 -q rotate
check 0 "2026-11-27 10:00:00"
check 2 "2026-11-20 10:00:00"
assert_grep '^EVMAINT CRITICAL - rotate: no successful rotate recorded; WARNING clock: ' "$T/out" "every success in the future"
assert_no_grep 'exited non-zero' "$T/out" "the last rotate exited 0: not said to have failed"
at "2026-11-27 10:00:00" evm_run 3 status --check --bogus
assert_grep '^EVMAINT UNKNOWN - usage error' "$T/out" "an unknown option of status --check"
assert_grep "unknown option '--bogus'" "$T/err" "the usage error on stderr"
at "2026-11-27 10:00:00" evm_run 3 status --check --prometheus
assert_grep '^EVMAINT UNKNOWN - usage error: --check, --prometheus' "$T/out" "--check with --prometheus"
ok "refused state directory or lock file: one CRITICAL item; run records refused or corrupt: UNKNOWN naming them, rotate exits 1 saying so; usage errors: UNKNOWN, exit 3"

# --- 14. a log whose name holds '|' and '=': the '|' would end the text
#         and start the perfdata, '=' would cut a label; both escaped as
#         names' other bytes are (\xNN)
t_setup
at "2026-11-24 12:00:00" evm_run 0 init
printf 'x\n' >"$ROOT/a|b=c.log"
chmod 0640 "$ROOT/a|b=c.log"
at "2026-11-25 02:00:00" evm_run 0 rotate
chmod 0666 "$ROOT/a|b=c.log"
check 1 "2026-11-25 08:00:00"
assert_fgrep 'EVMAINT WARNING - drift: a\x7cb=c.log mode 0666' "$T/out" "the name in the text"
assert_fgrep " 'a\x7cb\x3dc.log'=0B;;;0 " "$T/out" "the name as a perfdata label"
assert_eq "$(tr -cd '|' <"$T/out")" "|" "one '|' in the line, before the perfdata"
ok "a name with '|' and '=': \\x7c in the text, \\x7c and \\x3d in its perfdata label, one '|'"
# --- 15. the last rotate failed, a good one recent: WARNING the same night
#         (not only once check_max_age has passed), saying where the errors
#         are; a generation that does not inflate is one such failure. A
#         rotate that found the lock held (75) is no such news.
t_setup "rotate = 1"
at "2026-11-24 12:00:00" evm_run 0 init
write error.log a
at "2026-11-25 02:00:00" evm_run 0 rotate
truncate -s 20 "$ROOT/error.log.1.gz"
write error.log b
at "2026-11-26 02:00:00" evm_run 1 rotate
assert_fgrep "error.log.2.gz: not archived" "$T/err"
check 1 "2026-11-26 02:30:00"
assert_grep '^EVMAINT WARNING - .*rotate: the last rotate \(2026-11-26T02:00:00\+01:00\) exited 1: its errors are in error\.log' \
	"$T/out" "a failed rotate after a good one is not said"
rm "$ROOT/error.log.2.gz"
at "2026-11-27 02:00:00" evm_run 0 rotate
holder
at "2026-11-27 03:00:00" evm_run 75 rotate
kill "$HOLDER_PID"
check 0 "2026-11-27 08:00:00"
ok "the last rotate failed after a good one: WARNING the same night; the lock held is not"
exit 0
