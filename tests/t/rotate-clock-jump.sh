#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# A clock ten years ahead for one run, then back (faketime: the real clock
# evmaint reads, not EVMAINT_NOW). The run ahead deletes no archive that
# was within archive_keep_days of the run before it, and says why it kept
# them; back at the right date, stderr says the clock went backwards
# (without -v), maxsize still rotates a big log that night, and from the
# next day daily rotation resumes.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root
need_tzdata

# clk WHEN WANT ARG...: evmaint at WHEN by faketime when installed (else by
# EVMAINT_NOW), exit status WANT
clk() {
	local when=$1 want=$2
	shift 2
	if command -v faketime >/dev/null 2>&1 && [ "${EVM_NO_FAKETIME:-0}" != 1 ]; then
		# libfaketime is preloaded: ASan must not insist on coming first
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			t_run "$want" faketime "$when" "$EVMAINT" -c "$T/evmaint.conf" "$@"
	else
		at "$when" evm_run "$want" "$@"
	fi
}

archives() {
	find "$ARCH" -maxdepth 1 -name 'event-*.tar' -printf '%f\n' | LC_ALL=C sort
}

t_setup "archive_keep_days = 5" "rotate = 1" "[backup/backup.log]" "maxsize = 1k"
clk "2026-11-01 12:00:00" 0 init
for d in 02 03 04 05 06 07 08; do
	echo "deploy $d" >>"$ROOT/deploy/deploy.log"
	clk "2026-11-$d 02:00:00" 0 rotate
done
archives >"$T/before"
assert_eq "$(wc -l <"$T/before")" 6 "archives of nights 3 to 8 (keep_days 5 and the newest)"

# --- 1. ten years ahead: every log due, but no archive of the last run's
#        keep_days deleted
echo "deploy ahead" >>"$ROOT/deploy/deploy.log"
clk "2036-11-09 02:00:00" 0 rotate
archives | LC_ALL=C comm -23 "$T/before" - >"$T/gone"
assert_empty "$T/gone" "the run ten years ahead deleted archives of the previous run's keep_days"
assert_grep "warning: .*archive.* kept: the previous run was at 2026-11-08T02:0[0-9]:[0-9][0-9]" "$T/err" \
	"the run ahead does not say why it kept archives older than keep_days by its clock"
ok "ten years ahead: no archive of the previous run's keep_days deleted, and said why"

# --- 2. back at the right date: said without -v; maxsize still applies
echo "deploy back" >>"$ROOT/deploy/deploy.log"
head -c 2048 /dev/zero | tr '\0' 'b' >>"$ROOT/backup/backup.log"
echo >>"$ROOT/backup/backup.log"
clk "2026-11-09 02:00:00" 0 rotate
assert_grep '^evmaint: warning: the clock went backwards: .*the previous run was at 2036-11-09T02:0[0-9]:[0-9][0-9]' "$T/err" \
	"the clock going back is not said on stderr without -v"
assert_fgrep "rotated backup/backup.log" "$T/out" "maxsize no longer applies after the clock came back"
assert_no_grep "rotated deploy/deploy.log" "$T/out" "rotated daily the night the clock came back"
# retention as on any night: only what is older than 5 days on the 9th
archives | LC_ALL=C comm -23 "$T/before" - | grep -v '^event-20261103T' >"$T/gone" || true
assert_empty "$T/gone" "the night the clock came back deleted archives within keep_days"
ok "back at the right date: a warning on stderr, maxsize rotates, nothing daily"

# --- 3. the next day: daily rotation resumes, retention as usual
clk "2026-11-10 02:00:00" 0 rotate
assert_fgrep "rotated deploy/deploy.log" "$T/out" "daily rotation did not resume the day after the clock came back"
assert_eq "$(zcat "$ROOT/deploy/deploy.log.1.gz")" "deploy back" "the generation rotated the day after"
assert_no_grep 'clock went backwards' "$T/err" "still warned the day after"
clk "2026-11-11 02:00:00" 0 rotate
assert_no_grep 'clock went backwards' "$T/err"
[[ $(archives) == *event-20261103T* ]] && fail "retention does not resume: the archive of the 3rd is still there on the 11th"
ok "the day after: daily rotation and retention resume"
exit 0
