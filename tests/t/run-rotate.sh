#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# evmaint run under rotation: a script writes 20,000 lines while
# rotate --force runs three times; since run appends each batch of lines
# with open-append-close, every line is afterwards exactly once in the live
# log or one of its generations, and the lines after a rotation land in the
# new live log. run takes no lock: rotate never waits for it.
. "$(dirname "$0")/common.sh"

need_root

t_setup "rotate = 9"
evm_run 0 init
mkdir "$T/bin"
# 20 bursts of 1,000 lines, 0.1 s apart; bursts 7, 13 and 19 (6k+1) each
# wait until the test has done rotation k (the flag file rotated.k), so that
# every rotation finds lines in the live log and the bursts after it land in
# the new live log, however slow the machine (or the sanitizers) make the
# rotations.
cat >"$T/bin/chatty.sh" <<SH
#!/bin/sh
i=0
while [ \$i -lt 20 ]; do
	if [ \$i = 7 ] || [ \$i = 13 ] || [ \$i = 19 ]; then
		n=0
		while [ ! -e "$T/rotated.\$(((i - 1) / 6))" ] && [ \$n -lt 600 ]; do
			sleep 0.1
			n=\$((n + 1))
		done
	fi
	seq -f "line \$i-%g" 1 1000
	i=\$((i + 1))
	sleep 0.1
done
echo "to stderr" >&2
SH
chmod 0755 "$T/bin/chatty.sh"
LOG=$ROOT/deploy/deploy.log

"$EVMAINT" -c "$T/evmaint.conf" run --log deploy -- "$T/bin/chatty.sh" >"$T/run.out" 2>"$T/run.err" &
pid=$!
T_PIDS+=("$pid")
base=$(date -d '2026-11-25 02:00:00' +%s)
wait_until 10 grep -q 'line 0-1$' "$LOG" || fail "the script did not start writing"
# shellcheck disable=SC2317 # called by wait_until
seen() { # BURST: its last line is in the live log or a generation
	{ zcat -f "$ROOT"/deploy/deploy.log* 2>/dev/null || true; } | grep -q "line $1-1000\$"
}
for k in 1 2 3; do
	# each rotation after a further burst, however fast the script goes
	wait_until 30 seen $((6 * k - 5)) || fail "burst $((6 * k - 5)) never came"
	at "@$((base + 60 * k))" evm_run 0 rotate --force
	assert_fgrep "deploy/deploy.log" "$T/out" "rotation $k rotated the log"
	touch "$T/rotated.$k"
done
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 0 "run's status"
kill -0 "$pid" 2>/dev/null && fail "run still running"

# Every line once across the live log and its generations.
gens=("$ROOT"/deploy/deploy.log.*)
[ "${#gens[@]}" -ge 3 ] || fail "expected at least 3 generations, found: ${gens[*]}"
for f in "${gens[@]}"; do
	zcat -f -- "$f"
done >"$T/all"
cat "$LOG" >>"$T/all"
grep -c -E 'deploy\[[0-9]+\]: line [0-9]+-[0-9]+$' "$T/all" >"$T/n" || true
assert_eq "$(cat "$T/n")" 20000 "script lines across live log and generations"
sed -nE 's/.*deploy\[[0-9]+\]: (line [0-9]+-[0-9]+)$/\1/p' "$T/all" | sort | uniq -d >"$T/dups"
assert_empty "$T/dups" "lines written twice"
for i in $(seq 0 19); do
	seq -f "line $i-%g" 1 1000
done | sort >"$T/want"
sed -nE 's/.*deploy\[[0-9]+\]: (line [0-9]+-[0-9]+)$/\1/p' "$T/all" | sort >"$T/got"
assert_same "$T/want" "$T/got" "the lines written"
assert_eq "$(grep -c ': START ' "$T/all")" 1 "START lines"
assert_eq "$(grep -c ': END exit=0 ' "$T/all")" 1 "END lines"
assert_grep ': END exit=0 ' "$LOG" "the END line in the new live log"
# Lines after a rotation are in the new live log: the live one holds the last burst.
assert_fgrep "line 19-1000" "$LOG" "the last burst in the live log"
assert_mode "$LOG" 0640
assert_no_tmp "$ROOT"
ok "20,000 lines through 3 forced rotations: each exactly once across ${#gens[@]} generations and the live log"
exit 0
