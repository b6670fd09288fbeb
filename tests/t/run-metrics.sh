#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The scripts' runs in the monitoring: after `evmaint run`, metrics_file is
# rewritten and, with status --prometheus, carries each script's last exit
# status, duration and last success (promtool accepts it); status --check
# warns about a script whose last run failed, naming it, and is OK again
# once the script's next run succeeds.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root
need promtool

export EVMAINT_LOGROTATE_CONF=/dev/null/none

t_setup
PROM=$T/textfile
mkdir -p "$PROM" "$T/bin"
conf_add "metrics_file = $PROM/evmaint.prom"
M=$PROM/evmaint.prom
evm_run 0 init
evm_run 0 rotate
# shellcheck disable=SC2016 # the script's own $1
printf '#!/bin/sh\necho backing up\nexit "${1:-0}"\n' >"$T/bin/backup.sh"
chmod 0755 "$T/bin/backup.sh"

# sample FILE METRIC LABELS: the value of one sample, or fails.
sample() {
	local v
	v=$(awk -v k="$2$3" '$1 == k { print $2 }' "$1")
	[ -n "$v" ] || fail "no sample '$2$3' in $1:
$(cat "$1")"
	printf '%s\n' "$v"
}

# --- 1. a failed run: exit status in metrics_file and --prometheus, WARNING
rm -f "$M"
evm_run 3 run -- "$T/bin/backup.sh" 3
assert_file "$M" "run did not rewrite metrics_file"
assert_mode "$M" 0644
promtool check metrics <"$M" >"$T/pt" 2>&1 || fail "promtool: $(cat "$T/pt")"
assert_eq "$(sample "$M" evmaint_script_last_exit_status '{script="backup"}')" 3 \
	"the failed run's exit status in metrics_file"
sample "$M" evmaint_script_last_duration_seconds '{script="backup"}' >/dev/null
evm_run 0 status --prometheus
cp "$T/out" "$T/prom"
promtool check metrics <"$T/prom" >"$T/pt" 2>&1 || fail "promtool: $(cat "$T/pt")"
assert_eq "$(sample "$T/prom" evmaint_script_last_exit_status '{script="backup"}')" 3 \
	"the failed run's exit status in status --prometheus"
# no success yet: no last-success family at all, not its HELP and TYPE alone
assert_no_grep 'evmaint_script_last_success_timestamp_seconds' "$T/prom" \
	"a family without a sample"
evm_run 1 status --check
assert_grep '^EVMAINT WARNING' "$T/out" "a failed script run is not a WARNING"
assert_grep 'backup' "$T/out" "the check does not name the failed script"
ok "a failed run: exit status 3 in the metrics, status --check WARNING naming backup"

# --- 2. the next run succeeds: exit 0, a last success, the check OK again
evm_run 0 run -- "$T/bin/backup.sh" 0
assert_eq "$(sample "$M" evmaint_script_last_exit_status '{script="backup"}')" 0 \
	"the successful run's exit status"
ts=$(sample "$M" evmaint_script_last_success_timestamp_seconds '{script="backup"}')
now=$(date +%s)
if [ "${ts%.*}" -lt $((now - 120)) ] || [ "${ts%.*}" -gt $((now + 5)) ]; then
	fail "last success $ts is not this run's time ($now)"
fi
evm_run 0 status --check
assert_grep '^EVMAINT OK' "$T/out" "the check is not OK after a good run"
ok "a successful run: exit 0, last success now, status --check OK"
