#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# "Daily" is the local calendar day: after missed days a log is rotated once;
# a clock that went backwards rotates nothing and is not an error; the same
# day twice rotates nothing unless --force (a numbered shift) or maxsize (a
# big log again, a small one not); around both DST changes of Europe/Paris
# there is exactly one rotation per calendar date, whatever the number of
# seconds between two runs (a 25-hour day, a 23-hour day, a local time that
# does not exist).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/rotate-lib.sh"

need_root # the tree is root:root
need_tzdata
need python3

names() {
	rl_gens "$ROOT/$(dirname "$1")" "${1##*/}" | tr '\n' ' ' | sed 's/ $//'
}

# jrot WHEN [ARG...]: rotate --json at WHEN, exit 0, one valid JSON object
# without errors; ROTATED: the logs it rotated, sorted, on one line.
ROTATED=
jrot() {
	local when=$1 got
	shift
	at "$when" evm_run 0 --json rotate "$@"
	# one python run (json_get parses strictly, as json_check does)
	got=$(json_get "$T/out" 'str(len(d["errors"])) + ":" + " ".join(sorted(a["path"] for a in d["actions"] if a["action"] == "rotate"))')
	[ "${got%%:*}" = 0 ] || fail "rotate at $when reported errors: $(cat "$T/out")"
	ROTATED=${got#*:}
}

rotated() {
	printf '%s\n' "$ROTATED"
}

state_time() {
	awk -v l="$1" '$1 == "log" && $2 == l { print $3 }' "$STATE"
}

# --- 1. missed days: one rotation, not four
t_setup
at "2026-11-01 12:00:00" evm_run 0 init
D=$ROOT/deploy
rl_write deploy/deploy.log 20261102 5
jrot "2026-11-02 02:00:00"
assert_eq "$(rotated)" "deploy/deploy.log"
rl_write deploy/deploy.log 20261106 3 # written on the 3rd,
rl_write deploy/deploy.log 20261106 4 # the 4th
rl_write deploy/deploy.log 20261106 2 # and the 5th: no runs those nights
jrot "2026-11-06 02:00:00"
assert_eq "$(rotated)" "deploy/deploy.log" "after missed days"
assert_eq "$(json_get "$T/out" 'len([a for a in d["actions"] if a["action"] == "rotate"])')" 1 \
	"rotate actions after missed days"
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" "generations after 3 missed days"
rl_check_content "$D/deploy.log.1.gz" deploy/deploy.log 20261106 "deploy.log.1.gz (the missed days)"
rl_check_content "$D/deploy.log.2.gz" deploy/deploy.log 20261102 deploy.log.2.gz
rl_assert_accounted
ok "runs on the 2nd then the 6th: one rotation holding the missed days' lines, not four"

# --- 2. the clock went backwards: nothing rotated, no error
rl_write deploy/deploy.log 20261107 6
rl_write error.log 20261107 2 # never rotated before: due whatever the clock says
snap back -t "$D"
cp "$STATE" "$T/state.back"
jrot "2026-11-04 02:00:00"
assert_eq "$(rotated)" "error.log" "the clock went back to the 4th: only a log never rotated is due"
assert_unchanged back -t "$D"
# not an error (exit 0, no "errors" in the JSON), but said on stderr
assert_grep '^evmaint: warning: the clock went backwards: .*1 log was last rotated later than now' "$T/err" \
	"a clock that went backwards is not said on stderr"
# the record in the future is set to now: daily rotation resumes tomorrow
assert_eq "$(state_time deploy/deploy.log)" "$(rl_epoch "2026-11-04 02:00:00")" \
	"the recorded rotation of deploy.log in the future was not set to now"
# an earlier hour of the same day as the (reset) last rotation: not due
jrot "2026-11-04 01:00:00"
assert_eq "$(rotated)" "" "an earlier time the same day"
assert_unchanged back -t "$D"
# and the next real night rotates as usual
jrot "2026-11-07 02:00:00"
assert_eq "$(rotated)" "deploy/deploy.log" "the night after the clock came back"
rl_check_content "$D/deploy.log.1.gz" deploy/deploy.log 20261107 deploy.log.1.gz
rl_check_content "$D/deploy.log.3.gz" deploy/deploy.log 20261102 deploy.log.3.gz
rl_assert_accounted
ok "the clock went back from the 6th to the 4th: nothing rotated, exit 0, a warning, the record set to now; the 7th rotates"

# --- 3. the same day twice; --force
t_setup
at "2026-11-24 12:00:00" evm_run 0 init
D=$ROOT/deploy
rl_write deploy/deploy.log 20261125 5
rl_write backup/backup.log 20261125 2
jrot "2026-11-25 02:00:00"
assert_eq "$(rotated)" "backup/backup.log deploy/deploy.log"
rl_write deploy/deploy.log 20261125_100000 7
snap twice -t "$ROOT"
jrot "2026-11-25 09:00:00"
assert_eq "$(rotated)" "" "the same day again, without --force"
assert_json "$T/out" 'd["changed"] is False'
assert_unchanged twice -t "$ROOT"
jrot "2026-11-25 10:00:00" --force
assert_eq "$(rotated)" "deploy/deploy.log" "--force rotates what is not empty (backup.log is empty)"
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" "--force: a numbered shift"
rl_check_content "$D/deploy.log.1.gz" deploy/deploy.log 20261125_100000 "deploy.log.1.gz after --force"
rl_check_content "$D/deploy.log.2.gz" deploy/deploy.log 20261125 "deploy.log.2.gz after --force"
assert_eq "$(names backup/backup.log)" "backup.log.1.gz" "--force rotated an empty log"
# -f is the short form
rl_write deploy/deploy.log 20261125_110000 1
jrot "2026-11-25 11:00:00" -f
assert_eq "$(rotated)" "deploy/deploy.log" "rotate -f"
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz deploy.log.3.gz"
rl_assert_accounted
ok "the same day twice: nothing; --force and -f: rotated again with a numbered shift, empty logs still not"

# --- 4. maxsize: a big log again the same day, a small one not
t_setup "maxsize = 1k" "rotate = 3"
at "2026-11-24 12:00:00" evm_run 0 init
D=$ROOT/deploy
rl_write deploy/deploy.log 20261125 3
rl_write backup/backup.log 20261125 3
jrot "2026-11-25 02:00:00"
assert_eq "$(rotated)" "backup/backup.log deploy/deploy.log"
rl_write deploy/deploy.log 20261125_140000 40 30 # 40 lines of 73 bytes: 2920 B
rl_write backup/backup.log 20261126 3             # about 100 B
jrot "2026-11-25 14:00:00"
assert_eq "$(rotated)" "deploy/deploy.log" "at 14:00 with maxsize = 1k: the 2.9 KiB log only"
rl_write deploy/deploy.log 20261125_200000 40 30
jrot "2026-11-25 20:00:00"
assert_eq "$(rotated)" "deploy/deploy.log" "at 20:00: the big log a third time that day"
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz deploy.log.3.gz"
assert_eq "$(names backup/backup.log)" "backup.log.1.gz" "a log below maxsize was rotated twice in a day"
rl_check_content "$D/deploy.log.1.gz" deploy/deploy.log 20261125_200000 "deploy.log.1.gz"
rl_check_content "$D/deploy.log.2.gz" deploy/deploy.log 20261125_140000 "deploy.log.2.gz"
rl_check_content "$D/deploy.log.3.gz" deploy/deploy.log 20261125 "deploy.log.3.gz"
# a log of exactly 1000 bytes is not bigger than 1k, whatever k means
rl_write deploy/deploy.log 20261126 10 64 # 10 lines of 100 bytes
assert_eq "$(stat -c %s "$ROOT/deploy/deploy.log")" 1000 "test setup: the log's size"
jrot "2026-11-25 22:00:00"
assert_eq "$(rotated)" "" "a 1000-byte log with maxsize = 1k"
# the next nights: the daily rotation of both; the day's generations expire
# (rotate = 3) under the day, then the day and the time of their rotation
jrot "2026-11-26 02:00:00"
assert_eq "$(rotated)" "backup/backup.log deploy/deploy.log" "the night after"
rl_write deploy/deploy.log 20261127 2
jrot "2026-11-27 02:00:00"
rl_extract
rl_check_members
assert_eq "$(rl_members | awk '{ print $2 }' | tr '\n' ' ')" \
	"deploy/deploy.log-20261125.gz deploy/deploy.log-20261125_140000.gz " \
	"members of the expired generations of a day with maxsize rotations"
rl_assert_accounted
ok "maxsize = 1k: a 2.9 KiB log rotated at 14:00 and 20:00 besides the night, a small one and a 1000-byte one not; archived as -YYYYMMDD.gz, -YYYYMMDD_HHMMSS.gz"

# --- 5. spring forward (2026-03-29, 23 hours; 02:30 does not exist)
t_setup "dateext = yes"
at "2026-03-27 12:00:00" evm_run 0 init
D=$ROOT/deploy
run() { # run WHEN TAG: lines for the next rotation TAG, then rotate at WHEN
	rl_write deploy/deploy.log "$2" 2
	jrot "$1"
}
run "2026-03-28 02:00:00" 20260328
assert_eq "$(rotated)" "deploy/deploy.log" "2026-03-28 02:00"
run "2026-03-28 23:30:00" 20260329
assert_eq "$(rotated)" "" "2026-03-28 23:30, the same day"
run "2026-03-29 02:30:00" 20260329
assert_eq "$(rotated)" "deploy/deploy.log" "2026-03-29 02:30 (a local time that does not exist)"
t0=$(state_time deploy/deploy.log)
assert_eq "$(date -d "@$t0" +%F)" 2026-03-29 "the day of the run at 02:30 on the day clocks go forward"
case $t0 in
1774744200 | 1774747800) ;; # 01:30 UTC+1 or 03:30 UTC+2: the hour either way
*) fail "EVMAINT_NOW=2026-03-29 02:30:00 gave $t0 ($(date -d "@$t0")), neither 01:30 CET nor 03:30 CEST" ;;
esac
run "2026-03-29 23:10:00" 20260330
assert_eq "$(rotated)" "" "2026-03-29 23:10, the same (23-hour) day"
run "2026-03-30 00:05:00" 20260330
assert_eq "$(rotated)" "deploy/deploy.log" "2026-03-30 00:05, 55 minutes later but the next day"
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-20260328.gz deploy.log-20260329.gz deploy.log-20260330.gz" \
	"one generation per calendar day around the spring change"
for t in 20260328 20260329 20260330; do
	rl_check_content "$D/deploy.log-$t.gz" deploy/deploy.log "$t" "deploy.log-$t.gz"
done
rl_assert_accounted
ok "spring forward: one rotation per calendar day; 02:30 on 2026-03-29 is that day (@$t0)"

# --- 6. fall back (2026-10-25, 25 hours; 02:30 happens twice)
t_setup "dateext = yes"
at "2026-10-23 12:00:00" evm_run 0 init
D=$ROOT/deploy
assert_eq $(($(rl_epoch "2026-10-25 23:30:00") - $(rl_epoch "2026-10-25 00:30:00"))) 86400 \
	"test setup: 00:30 and 23:30 on 2026-10-25 are 86400 s apart"
run "2026-10-24 02:00:00" 20261024
assert_eq "$(rotated)" "deploy/deploy.log" "2026-10-24 02:00"
run "2026-10-25 00:30:00" 20261025
assert_eq "$(rotated)" "deploy/deploy.log" "2026-10-25 00:30"
run "@1792888200" 20261026 # 02:30 CEST, the first 02:30
assert_eq "$(rotated)" "" "2026-10-25 02:30 CEST, the same day"
run "@1792891800" 20261026 # 02:30 CET, the second 02:30
assert_eq "$(rotated)" "" "2026-10-25 02:30 CET, the same day"
run "2026-10-25 23:30:00" 20261026
assert_eq "$(rotated)" "" "2026-10-25 23:30: 86400 s after 00:30, but the same calendar day"
run "2026-10-26 00:10:00" 20261026
assert_eq "$(rotated)" "deploy/deploy.log" "2026-10-26 00:10, 40 minutes later but the next day"
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-20261024.gz deploy.log-20261025.gz deploy.log-20261026.gz" \
	"one generation per calendar day around the autumn change"
for t in 20261024 20261025 20261026; do
	rl_check_content "$D/deploy.log-$t.gz" deploy/deploy.log "$t" "deploy.log-$t.gz"
done
rl_assert_accounted
ok "fall back: 00:30, both 02:30s and 23:30 on 2026-10-25 are one day (one rotation); 00:10 on the 26th is the next"

exit 0
