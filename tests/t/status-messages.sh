#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The messages a newcomer meets first, and the warnings that matter outside
# status: status before init says to run 'evmaint init'; a command refused
# with EACCES as a non-root user says evmaint must run as root; -v init on
# a tree in order says so; -f before the command names its command; a
# logrotate stanza, a backlog, drift and a hole in the generations are
# also told by init and by rotate -v / -n (not by a plain rotate).
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root; setpriv to nobody
need_tzdata
need setpriv

# --- 1. status before init
t_setup
evm_run 1 status
assert_grep "evmaint: error: $ROOT does not exist yet: run 'evmaint init' to create the tree" "$T/err" \
	"status before init does not say to run init"
assert_eq "$(grep -c . "$T/err")" 1 "status before init: one message, not the missing parent too: $(cat "$T/err")"
ok "status before init: 'run evmaint init'"

# --- 2. a non-root user: evmaint must run as root
at "2026-11-24 12:00:00" evm_run 0 init
chmod 0644 "$T/evmaint.conf"
for c in rotate status; do
	t_run 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$EVMAINT" -c "$T/evmaint.conf" "$c"
	assert_grep "Permission denied" "$T/err" "$c as nobody: the error itself"
	assert_grep "must run as root \(sudo evmaint $c\)" "$T/err" "$c as nobody does not say to run as root"
done
# the probes as nobody: their output still parses, and what hides the
# findings is said (a collector's script would publish near-empty metrics)
t_run 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$EVMAINT" -c "$T/evmaint.conf" status --prometheus
assert_grep '^evmaint_check_status [0-3]$' "$T/out" "status --prometheus as nobody: no check status sample"
assert_grep '^evmaint: status --prometheus: EVMAINT (CRITICAL|UNKNOWN) - ' "$T/err" \
	"status --prometheus as nobody does not say what it could not read"
evm_run 0 check-config
assert_no_grep "must run as root" "$T/err" "check-config as root"
ok "rotate and status as nobody: 'must run as root (sudo evmaint ...)'; status --prometheus says what it cannot read (exit 1)"

# --- 3. -v init on a tree in order; -f before the command
evm_run 0 -v init
assert_grep "^$ROOT, archive_dir and the state directory are in order: nothing to change$" "$T/out" \
	"-v init on a tree in order"
evm_run 0 init
assert_empty "$T/out" "init on a tree in order, without -v"
evm_run 64 -f rotate
assert_grep "'-f' is an option of 'rotate': give it after the command" "$T/err" "-f before the command"
ok "-v init on a tree in order says so; -f before rotate names rotate"

# --- 4. a hole in the generations and a logrotate stanza: init, rotate -v, -n
for d in 25 26 27; do
	printf '%s\n' "$d" >>"$ROOT/deploy/deploy.log"
	at "2026-11-$d 02:00:00" evm_run 0 rotate
done
rm "$ROOT/deploy/deploy.log.2.gz"
cat >"$T/logrotate.conf" <<EOF
$ROOT/*.log {
	weekly
}
EOF
export EVMAINT_LOGROTATE_CONF=$T/logrotate.conf
evm_run 0 init
assert_grep 'warning: deploy/deploy.log: gap: generation 2 is missing \(the oldest is 3\)' "$T/err" "init: the gap"
assert_grep "warning: $ROOT/error.log: logrotate: also rotated by logrotate" "$T/err" "init: the logrotate stanza"
at "2026-11-27 12:00:00" evm_run 0 -n rotate
assert_grep 'gap: generation 2 is missing' "$T/err" "rotate -n: the gap"
chmod 0600 "$ROOT/backup/backup.log"
at "2026-11-27 12:00:00" evm_run 0 rotate -v
assert_grep 'gap: generation 2 is missing' "$T/err" "rotate -v: the gap"
assert_grep 'warning: backup/backup.log: drift: mode 0600' "$T/err" "rotate -v: the drift"
assert_grep 'logrotate: also rotated by logrotate' "$T/err" "rotate -v: the logrotate stanza"
at "2026-11-27 12:00:00" evm_run 0 rotate
assert_no_grep 'gap|drift|logrotate' "$T/err" "a plain rotate (cron) repeats status's warnings"
at "2026-11-27 12:00:00" evm_run 1 status --check
assert_grep '^EVMAINT WARNING - .*gap: deploy/deploy.log generation 2 is missing' "$T/out" "status --check: the gap"
ok "a deleted generation and a logrotate stanza: told by init, rotate -n and rotate -v (drift too), not by plain rotate"
exit 0
