#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Run records and Prometheus metrics: every rotate and archive leaves a
# record (status shows the last run and the last good one, --json has
# them, the last 30 are kept); metrics_file is rewritten after each of them
# (mode 0644 whatever the umask, no temporary file left, untouched by a dry
# run); it and status --prometheus pass `promtool check metrics` and carry
# every metric evmaint(8) lists, label values escaped (quote, backslash,
# newline, bytes that are not UTF-8); a real prometheus-node-exporter serves
# them from its textfile collector.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root
need_tzdata
need promtool
need curl

export EVMAINT_LOGROTATE_CONF=/dev/null/none

PROM=
promcheck() {
	promtool check metrics <"$1" >"$T/promtool.out" 2>&1 ||
		fail "promtool check metrics rejects $1: $(cat "$T/promtool.out")"
}

# has_sample FILE METRIC LABELS: a sample line of METRIC with exactly LABELS.
has_sample() {
	grep -q -F -e "$2$3 " -- "$1" || fail "no sample '$2$3' in $1:
$(cat "$1")"
}

json_get() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(json.dumps(d) if not isinstance(d, str) else d)' "$T/out" "$1"
}

# --- 1. rotate and archive write metrics_file; status --prometheus agrees
t_setup
PROM=$T/textfile
mkdir -p "$PROM"
conf_add "metrics_file = $PROM/evmaint.prom"
at "2026-11-24 12:00:00" evm_run 0 init
assert_no_file "$PROM/evmaint.prom" "init wrote the metrics file"
printf 'one\ntwo\n' >>"$ROOT/deploy/deploy.log"
(umask 077 && at "2026-11-25 02:00:00" evm_run 0 rotate)
assert_file "$PROM/evmaint.prom" "rotate did not write metrics_file"
assert_mode "$PROM/evmaint.prom" 0644
assert_eq "$(find "$PROM" -mindepth 1 | wc -l)" 1 "files in the textfile directory (a temporary left?)"
promcheck "$PROM/evmaint.prom"
M=$PROM/evmaint.prom
has_sample "$M" evmaint_last_run_timestamp_seconds '{command="rotate"}'
has_sample "$M" evmaint_last_success_timestamp_seconds '{command="rotate"}'
has_sample "$M" evmaint_last_run_duration_seconds '{command="rotate"}'
has_sample "$M" evmaint_last_run_exit_status '{command="rotate"}'
has_sample "$M" evmaint_log_size_bytes '{log="deploy/deploy.log"}'
has_sample "$M" evmaint_log_generations '{log="deploy/deploy.log"}'
has_sample "$M" evmaint_log_last_rotation_timestamp_seconds '{log="deploy/deploy.log"}'
has_sample "$M" evmaint_archives ''
has_sample "$M" evmaint_archive_bytes ''
has_sample "$M" evmaint_archive_dir_free_bytes ''
assert_grep '^evmaint_last_run_exit_status\{command="rotate"\} 0$' "$M" "rotate's exit status"
assert_grep '^evmaint_log_generations\{log="deploy/deploy.log"\} 1$' "$M" "deploy.log's generations"
assert_grep "^evmaint_log_last_rotation_timestamp_seconds\{log=\"deploy/deploy.log\"\} $(date -d '2026-11-25 02:00:00' +%s)\$" \
	"$M" "deploy.log's last rotation"
assert_grep '^# TYPE evmaint_log_size_bytes gauge$' "$M" "TYPE line"
assert_grep '^# HELP evmaint_log_size_bytes ' "$M" "HELP line"
at "2026-11-25 03:00:00" evm_run 0 -n archive
assert_no_grep 'command="archive"' "$M" "a dry-run archive changed metrics_file"
at "2026-11-25 03:00:00" evm_run 0 archive
promcheck "$M"
assert_grep '^evmaint_last_run_exit_status\{command="archive"\} 0$' "$M" "archive's record in metrics_file"
assert_grep '^evmaint_archives 1$' "$M" "archives after the snapshot"
has_sample "$M" evmaint_archive_newest_timestamp_seconds ''
at "2026-11-25 03:00:00" evm_run 0 status --prometheus
cp "$T/out" "$T/stdout.prom"
promcheck "$T/stdout.prom"
while read -r m; do
	assert_grep "^# TYPE $m gauge" "$T/stdout.prom" "status --prometheus lacks $m"
done < <(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$M")
ok "rotate and archive rewrite metrics_file (0644 under umask 077, no temporary left, not on -n); promtool accepts it and status --prometheus"

# --- 2. the run records: status, --json, the last 30
at "2026-11-25 04:00:00" evm_run 0 status
assert_grep '^last rotate: +2026-11-25T02:00:00\+01:00, [0-9.]+s, exit 0: 1 rotated, 1 compressed' "$T/out" "status: the last rotate"
assert_grep '^last archive: +2026-11-25T03:00:00\+01:00, [0-9.]+s, exit 0: 0 rotated, 0 compressed \(0 B -> 0 B\), [0-9]+ archived' \
	"$T/out" "status: the last archive"
mv "$ARCH" "$T/arch.away"
printf 'three\n' >>"$ROOT/deploy/deploy.log"
at "2026-11-26 02:00:00" evm_run 1 rotate
assert_grep '^evmaint_last_run_exit_status\{command="rotate"\} 1$' "$M" "the failed rotate's exit status"
assert_grep "^evmaint_last_success_timestamp_seconds\{command=\"rotate\"\} $(date -d '2026-11-25 02:00:00' +%s)" "$M" \
	"the last success stays the night before"
at "2026-11-26 04:00:00" evm_run 0 --json status
assert_eq "$(json_get runs.rotate.last.exit)" 1 "--json: runs.rotate.last.exit"
assert_eq "$(json_get runs.rotate.last.rotated)" 1 "--json: runs.rotate.last.rotated"
assert_eq "$(json_get runs.rotate.last.start)" 2026-11-26T02:00:00+01:00 "--json: runs.rotate.last.start"
assert_eq "$(json_get runs.rotate.last_success.start)" 2026-11-25T02:00:00+01:00 "--json: runs.rotate.last_success.start"
assert_eq "$(json_get runs.rotate.last.errors)" 1 "--json: the failed run's errors"
at "2026-11-26 04:00:00" evm_run 0 status
assert_grep '^last good rotate: +2026-11-25T02:00:00\+01:00' "$T/out" "status: the last good rotate after a failed one"
for _ in $(seq 1 34); do
	at "2026-11-26 05:00:00" evm_run 1 rotate -f
done
assert_eq "$(grep -c '^run ' "$STATE.runs")" 32 "records kept: the last 30, and the last success of rotate and of archive"
assert_grep '^run rotate [0-9]+ [0-9]+ 0 ' "$STATE.runs" "the last good rotate was dropped"
assert_grep '^run archive [0-9]+ [0-9]+ 0 ' "$STATE.runs" "the last good archive was dropped"
assert_mode "$STATE.runs" 0640
mv "$T/arch.away" "$ARCH"
at "2026-11-26 06:00:00" evm_run 0 --json status
oldest=$(json_get archive_dir.oldest)
newest=$(json_get archive_dir.newest)
[[ $oldest =~ ^2026-11-2[0-9]T ]] || fail "--json: archive_dir.oldest is '$oldest'"
[[ ! $newest < $oldest ]] || fail "--json: archive_dir.newest $newest before oldest $oldest"
ok "run records: status shows the last run and the last good one, --json has both, 30 kept plus the last success; archive_dir's oldest and newest"

# --- 3. label values escaped: quote, backslash, newline, non-UTF-8 bytes
mkdir -p "$ROOT/odd"
printf 'x\n' >"$ROOT/odd/we\"ird\\name.log"
printf 'x\n' >"$ROOT/odd/$(printf 'new\nline').log"
printf 'x\n' >"$ROOT/odd/$(printf 'lat\xe9').log"
chmod 0640 "$ROOT"/odd/*.log
at "2026-11-26 06:00:00" evm_run 0 status --prometheus
cp "$T/out" "$T/odd.prom"
promcheck "$T/odd.prom"
assert_fgrep 'evmaint_log_size_bytes{log="odd/we\"ird\\name.log"} 2' "$T/odd.prom" "quote and backslash escaped"
assert_fgrep 'evmaint_log_size_bytes{log="odd/new\\x0aline.log"} 2' "$T/odd.prom" "newline as \\x0a, escaped"
assert_fgrep 'evmaint_log_size_bytes{log="odd/lat\\xe9.log"} 2' "$T/odd.prom" "a byte that is not UTF-8 as \\xNN"
ok "label values: quote, backslash, newline and non-UTF-8 escaped; promtool accepts them"

# --- 3b. the temporary file is no *.prom: node_exporter's textfile collector
#         reads every *.prom, dotfiles too, and would serve it beside the
#         real one (every sample twice) or half-written; a crash's leftover
#         goes at the next write
if command -v strace >/dev/null 2>&1; then
	printf 'three\n' >>"$ROOT/deploy/deploy.log"
	# (LeakSanitizer cannot work under ptrace)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		EVMAINT_NOW="2026-11-26 03:00:00" strace -f -y -e trace=openat,rename,renameat,renameat2 \
		-o "$T/strace" "$EVMAINT" -c "$T/evmaint.conf" -q rotate -f >/dev/null 2>"$T/strace.err" ||
		fail "rotate under strace failed: $(cat "$T/strace.err")"
	# -y: a call relative to the directory's fd shows it as FD<PATH>
	grep -F "<$PROM>" "$T/strace" >"$T/prom-calls" || true
	assert_grep 'O_CREAT' "$T/prom-calls" "strace saw no file created in the textfile directory: the check reads nothing"
	assert_no_grep 'openat\(.*\.prom", [^)]*O_CREAT' "$T/prom-calls" \
		"a file named *.prom created in the textfile directory (node_exporter reads it)"
fi
printf 'leftover' >"$PROM/.evmaint-tmp.evmaint.prom.tmp"
printf 'leftover' >"$PROM/.evmaint-tmp.evmaint.prom" # an earlier version's
at "2026-11-26 04:00:00" evm_run 0 archive
assert_no_file "$PROM/.evmaint-tmp.evmaint.prom.tmp" "a crash's temporary metrics file was left"
assert_no_file "$PROM/.evmaint-tmp.evmaint.prom" "an earlier version's temporary metrics file (read by node_exporter) was left"
assert_eq "$(find "$PROM" -mindepth 1 | wc -l)" 1 "files in the textfile directory after a leftover"
ok "metrics_file's temporary is not *.prom (node_exporter would read it); a leftover one is removed"

# --- 4. a real node_exporter serves metrics_file from its textfile collector
NE=/usr/bin/prometheus-node-exporter
if [ ! -x "$NE" ]; then
	skip "prometheus-node-exporter is not installed (Debian package prometheus-node-exporter): the scrape was not tried"
fi
rm -rf "$ROOT/odd"
at "2026-11-26 07:00:00" evm_run 0 archive
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
t_bg "$NE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$PROM" >"$T/ne.log" 2>&1
NE_PID=$BG_PID
# shellcheck disable=SC2317 # called by wait_until
scrape() {
	curl -sf "http://127.0.0.1:$port/metrics" >"$T/scrape" 2>/dev/null
}
wait_until 20 scrape || fail "node_exporter did not answer on 127.0.0.1:$port: $(cat "$T/ne.log")"
assert_grep '^evmaint_last_run_exit_status\{command="archive"\} 0$' "$T/scrape" "node_exporter: archive's exit status"
assert_grep '^evmaint_log_generations\{log="deploy/deploy.log"\} ' "$T/scrape" "node_exporter: deploy.log's generations"
assert_grep '^node_textfile_scrape_error 0$' "$T/scrape" "node_exporter read the file without error"
assert_grep '^node_textfile_mtime_seconds\{file=".*evmaint.prom"\}' "$T/scrape" "node_exporter: the file's mtime"
kill "$NE_PID"
wait "$NE_PID" 2>/dev/null || true
ok "prometheus-node-exporter on 127.0.0.1:$port serves evmaint_ metrics from metrics_file, no scrape error"
exit 0
