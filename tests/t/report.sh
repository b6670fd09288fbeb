#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# evmaint report against a known set of runs: 25 runs of "deploy" with
# durations 1 s .. 25 s spread over a nightly archive, a compressed
# generation and the live log (two failures: exit 3 and TERM), 4 of "backup", a START that never
# ended, and lines run did not write (a script's own "END" included): the
# counts, success rate, last run and failure, median, 95th percentile, max
# and total, for the whole history, --since, --until and one SCRIPT; the
# table and the JSON. Then runs made by `evmaint run` itself are counted.
. "$(dirname "$0")/common.sh"

need_root
need_tzdata
need python3

t_setup "rotate = 1"
evm_run 0 init
LOG=$ROOT/deploy/deploy.log
BLOG=$ROOT/backup/backup.log

# runs FILE TAG DAY FIRST LAST [FAILS]: runs FIRST..LAST of TAG on DAY, run k
# starting at 02:k:00 and lasting k seconds (pid 1000+k); FAILS is a list of
# k=STATUS (3, or TERM for a signal).
runs() {
	local f=$1 tag=$2 day=$3 first=$4 last=$5 fails=${6-} k st end
	for k in $(seq "$first" "$last"); do
		st=0
		case " $fails " in *" $k=3 "*) st=3 ;; *" $k=TERM "*) st=TERM ;; esac
		printf '%sT02:%02d:00+01:00 %s[%d]: START /opt/scripts/%s.sh --x\n' "$day" "$k" "$tag" $((1000 + k)) "$tag"
		printf '%sT02:%02d:00+01:00 %s[%d]: working on %d\n' "$day" "$k" "$tag" $((1000 + k)) "$k"
		# the script's own lines that look like run's
		printf '%sT02:%02d:00+01:00 %s[%d]: START of the real work\n' "$day" "$k" "$tag" $((1000 + k))
		printf '%sT02:%02d:00+01:00 %s[%d]: END exit=99 duration=1.000s\n' "$day" "$k" "$tag" $((1000 + k))
		printf '%sT02:%02d:00+01:00 %s[%d]: END exit=98 duration=1.000s and more\n' "$day" "$k" "$tag" $((1000 + k))
		end=$(printf '%sT02:%02d:%02d+01:00' "$day" "$k" "$k")
		if [ "$st" = TERM ]; then
			printf '%s %s[%d]: END signal=TERM duration=%d.000s\n' "$end" "$tag" $((1000 + k)) "$k"
		else
			printf '%s %s[%d]: END exit=%d duration=%d.000s\n' "$end" "$tag" $((1000 + k)) "$st" "$k"
		fi
	done >>"$f"
}

# Day 1: deploy runs 1-10 (4 fails with exit 3), backup 1-2; then rotated.
runs "$LOG" deploy 2026-11-20 1 10 "4=3"
echo "a line of no format at all" >>"$LOG"
echo "2026-11-20T03:00:00+01:00 someone[12]: END exit=0 duration=99.000s" >>"$ROOT/error.log"
runs "$BLOG" backup 2026-11-20 1 2
at "2026-11-20 23:00:00" evm_run 0 rotate
# Day 2: deploy 11-20 (17 killed by TERM); a START that never ended.
runs "$LOG" deploy 2026-11-21 11 20 "17=TERM"
echo "2026-11-21T05:00:00+01:00 deploy[777]: START /opt/scripts/deploy.sh" >>"$LOG"
runs "$BLOG" backup 2026-11-21 3 3 "3=3"
at "2026-11-21 23:00:00" evm_run 0 rotate
# Day 3, live: deploy 21-25, backup 4.
runs "$LOG" deploy 2026-11-22 21 25
runs "$BLOG" backup 2026-11-22 4 4
# rotate = 1: day 1 left the tree for a nightly archive at the second rotation
assert_file "$LOG.1.gz" "the generation the test needs"
assert_no_file "$LOG.2.gz" "day 1 is still in the tree"
ls "$ARCH"/event-*.tar* >/dev/null 2>&1 || fail "no nightly archive holds day 1"

# --- 1. the whole history, JSON
at "2026-11-22 12:00:00" evm_run 0 --json report
json_check "$T/out"
cp "$T/out" "$T/all.json"
D='[s for s in d["scripts"] if s["script"] == "deploy"][0]'
B='[s for s in d["scripts"] if s["script"] == "backup"][0]'
assert_json "$T/all.json" "sorted(s['script'] for s in d['scripts']) == ['backup', 'deploy']" \
	"only the tags of runs: not 'someone', an END without a START (in error.log)"
assert_json "$T/all.json" "${D}['runs'] == 25 and ${D}['failures'] == 2" "deploy: runs and failures"
assert_json "$T/all.json" "${D}['success_rate'] == 0.92" "deploy: success rate"
assert_json "$T/all.json" "${D}['duration_median_seconds'] == 13 and ${D}['duration_p95_seconds'] == 24" \
	"deploy: median 13 s (of 1..25), p95 24 s (nearest rank: the 24th of 25)"
assert_json "$T/all.json" "${D}['duration_max_seconds'] == 25 and ${D}['duration_total_seconds'] == 325" \
	"deploy: max and total"
assert_json "$T/all.json" "${D}['last_run'] == '2026-11-22T02:25:00+01:00' and ${D}['last_exit_status'] == 0" \
	"deploy: the last run, at its START time"
assert_json "$T/all.json" "${D}['last_failure'] == '2026-11-21T02:17:00+01:00' and ${D}['last_failure_exit_status'] == 128 + 15" \
	"deploy: the last failure, killed by TERM"
assert_json "$T/all.json" "${B}['runs'] == 4 and ${B}['failures'] == 1 and ${B}['last_exit_status'] == 0" "backup"
ok "whole history across an archive, a generation and the live log: counts, rate, median, p95, max, total, last run and failure"

# --- 2. --since, --until, one script
at "2026-11-22 12:00:00" evm_run 0 --json report --since 2026-11-21
assert_json "$T/out" "${D}['runs'] == 15 and ${D}['failures'] == 1" "--since: deploy runs 11..25"
assert_json "$T/out" "${D}['duration_median_seconds'] == 18 and ${D}['duration_p95_seconds'] == 25" \
	"--since: median of 11..25 is 18, p95 the 15th of 15"
assert_json "$T/out" "d['since'] == '2026-11-21T00:00:00+01:00'" "--since echoed"
at "2026-11-22 12:00:00" evm_run 0 --json report --until 2026-11-20
assert_json "$T/out" "${D}['runs'] == 10 and ${D}['failures'] == 1 and ${D}['duration_total_seconds'] == 55" "--until: day 1 only"
at "2026-11-22 12:00:00" evm_run 0 --json report --since 2026-11-21T02:15 --until 2026-11-21T02:17
assert_json "$T/out" "${D}['runs'] == 3" "--since/--until to the minute: runs 15, 16, 17"
at "2026-11-22 12:00:00" evm_run 0 --json report --since -1d
assert_json "$T/out" "${D}['runs'] == 5 and d['since'] == '2026-11-21T12:00:00+01:00'" "--since -1d at noon on the 22nd: day 3's runs only"
at "2026-11-22 12:00:00" evm_run 0 --json report backup
assert_json "$T/out" "[s['script'] for s in d['scripts']] == ['backup']" "SCRIPT: only backup"
at "2026-11-22 12:00:00" evm_run 0 --json report nosuchscript
assert_json "$T/out" "d['scripts'] == [{'script': 'nosuchscript', 'runs': 0, 'failures': 0, 'success_rate': None, 'last_run': None, 'last_exit_status': None, 'last_failure': None, 'last_failure_exit_status': None, 'duration_median_seconds': None, 'duration_p95_seconds': None, 'duration_max_seconds': None, 'duration_total_seconds': 0}]" \
	"a script with no runs"
at "2026-11-22 12:00:00" evm_run 0 report nosuchscript
assert_eq "$(awk 'NR == 2 { print $1, $2, $NF, (length($0) >= length(prev)) } { prev = $0 }' "$T/out")" \
	"nosuchscript 0 - 1" "a script with no runs: a row as wide as the header, down to TOTAL"
evm_run 64 report --since yesterday
assert_fgrep "yesterday" "$T/err"
ok "--since, --until (days, minutes), SCRIPT, a script without runs, a bad TIME"

# --- 3. the table
at "2026-11-22 12:00:00" evm_run 0 report
assert_grep '^SCRIPT +RUNS +FAILED +SUCCESS +LAST RUN' "$T/out" "the header"
assert_grep '^deploy +25 +2 +92\.0%  2026-11-22T02:25:00\+01:00 ok +2026-11-21T02:17:00\+01:00 TERM +13\.000s +24\.000s +25\.000s +325\.000s$' \
	"$T/out" "the deploy row"
assert_grep '^backup +4 +1 +75\.0% ' "$T/out" "the backup row"
ok "the table"

# --- 4. on a terminal: local minutes, long durations in minutes
if command -v script >/dev/null 2>&1; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	EVMAINT_NOW="2026-11-22 12:00:00" script -qec "$EVMAINT -c $T/evmaint.conf report deploy" /dev/null >"$T/tty" </dev/null
	tr -d '\r' <"$T/tty" >"$T/tty.txt"
	assert_grep '^deploy +25 +2 +92\.0%  2026-11-22 02:25 ok +2026-11-21 02:17 TERM +13\.000s +24\.000s +25\.000s +5m25s$' \
		"$T/tty.txt" "the deploy row on a terminal"
	ok "on a terminal: times to the minute, a total over a minute as 5m25s"
fi

# --- 5. runs made by evmaint run itself
mkdir "$T/bin"
# The job sleeps 10 ms so that its duration is above 0 however fast the
# machine (durations are printed to the millisecond).
# shellcheck disable=SC2016 # the script's own $1
printf '#!/bin/sh\necho working\nsleep 0.01\nexit "$1"\n' >"$T/bin/job.sh"
chmod 0755 "$T/bin/job.sh"
for st in 0 0 5; do
	at "2026-11-22 10:00:00" evm_run "$st" run -- "$T/bin/job.sh" "$st"
done
at "2026-11-22 12:00:00" evm_run 0 --json report job
J='d["scripts"][0]'
assert_json "$T/out" "${J}['script'] == 'job' and ${J}['runs'] == 3 and ${J}['failures'] == 1 and ${J}['last_exit_status'] == 5" \
	"the runs evmaint run wrote"
assert_json "$T/out" "${J}['last_run'] == '2026-11-22T10:00:00+01:00' and 0 < ${J}['duration_max_seconds'] < 30" "their time and duration"
ok "runs written by evmaint run are reported"
# --- 6. two runs of one tag overlapping, the first printing a line that
# looks like an END before its own: the second's START does not make that
# line the first run's result (run writes its END last)
{
	echo "2026-11-22T09:00:00+01:00 ovl[2001]: START /opt/scripts/ovl.sh"
	echo "2026-11-22T09:00:00+01:00 ovl[2001]: END exit=99 duration=1.000s"
	echo "2026-11-22T09:00:01+01:00 ovl[2002]: START /opt/scripts/ovl.sh"
	echo "2026-11-22T09:00:02+01:00 ovl[2001]: done"
	echo "2026-11-22T09:00:02+01:00 ovl[2001]: END exit=0 duration=2.000s"
	echo "2026-11-22T09:00:03+01:00 ovl[2003]: START /opt/scripts/ovl.sh"
	echo "2026-11-22T09:00:04+01:00 ovl[2002]: END exit=0 duration=3.000s"
	echo "2026-11-22T09:00:05+01:00 ovl[2003]: END exit=4 duration=2.000s"
} >>"$LOG"
at "2026-11-22 12:00:00" evm_run 0 --json report ovl
J='d["scripts"][0]'
assert_json "$T/out" "${J}['script'] == 'ovl' and ${J}['runs'] == 3 and ${J}['failures'] == 1 and ${J}['last_exit_status'] == 4" \
	"overlapping runs: a script's own END line taken for its run's"
assert_json "$T/out" "${J}['duration_max_seconds'] == 3 and ${J}['duration_total_seconds'] == 7" \
	"overlapping runs' durations"
ok "overlapping runs of one tag: each counted by its own last END"

# --- 7. a pid used again (a container's script may have the same one every
# run): a START of that pid after its END is a new run, the last one's
# failure is the last run's
{
	echo "2026-11-22T10:00:00+01:00 pidr[7]: START /opt/scripts/pidr.sh"
	echo "2026-11-22T10:00:05+01:00 pidr[7]: END exit=0 duration=5.000s"
	echo "2026-11-22T10:10:00+01:00 pidr[8]: START /opt/scripts/pidr.sh"
	echo "2026-11-22T10:10:02+01:00 pidr[8]: END exit=0 duration=2.000s"
	echo "2026-11-22T10:20:00+01:00 pidr[7]: START /opt/scripts/pidr.sh"
	echo "2026-11-22T10:20:09+01:00 pidr[7]: END exit=3 duration=9.000s"
	echo "2026-11-22T10:30:00+01:00 pidr[7]: START /opt/scripts/pidr.sh"
	echo "2026-11-22T10:30:01+01:00 pidr[7]: END exit=0 duration=1.000s"
} >>"$LOG"
at "2026-11-22 12:00:00" evm_run 0 --json report pidr
J='d["scripts"][0]'
assert_json "$T/out" "${J}['runs'] == 4 and ${J}['failures'] == 1 and ${J}['last_run'] == '2026-11-22T10:30:00+01:00' and ${J}['last_exit_status'] == 0" \
	"a pid used again: runs lost or merged"
assert_json "$T/out" "${J}['last_failure'] == '2026-11-22T10:20:00+01:00' and ${J}['duration_total_seconds'] == 17" \
	"a pid used again: the failure or the durations"
ok "a pid used again: each START after its END a run of its own"
exit 0
