#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# evmaint cat against a rotation running meanwhile (cat takes no lock): a
# writer appends numbered lines, one open-append-close each, and rotates
# (--force, so that every round shifts, compresses and archives) in a loop,
# while cat reads the log over and over. Every cat must print each line
# once, in order: no number repeated or out of order, none missing among
# those written before it started.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root

ROUNDS=${CAT_ROTATE_ROUNDS:-40}

t_setup "rotate = 2"
evm_run 0 init
L=$ROOT/deploy/deploy.log

(
	set +eE
	trap - ERR
	seq=0
	base=$(date -d "2026-11-01 00:00:00" +%s)
	for ((i = 1; i <= ROUNDS; i++)); do
		for ((k = 0; k < 25; k++)); do
			seq=$((seq + 1))
			printf '2026-11-01T00:00:00+01:00 deploy[1]: seq %06d\n' "$seq" >>"$L"
			printf '2026-11-01T00:00:00+01:00 e[1]: seq %06d\n' "$seq" >>"$ROOT/error.log"
		done
		echo "$seq" >"$T/count.tmp" && mv "$T/count.tmp" "$T/count"
		EVMAINT_NOW="@$((base + i * 600))" "$EVMAINT" -c "$T/evmaint.conf" \
			rotate --force >/dev/null 2>>"$T/rot.err" ||
			echo "rotate exited $?" >>"$T/rot.err"
	done
	: >"$T/done"
) &
T_PIDS+=($!)

# check OUT MIN: numbers increasing by one; a gap only after MIN, among
# the lines written while cat ran
check() {
	awk -v min="$2" '
		{ s = $NF + 0
		  if (s <= prev) { bad = "line " prev " then " s; exit 1 }
		  if (s != prev + 1 && prev < min) { bad = "lines " prev + 1 " to " s - 1 " missing"; exit 1 }
		  prev = s }
		END { if (bad == "" && prev < min) bad = "ends at " prev ", " min " were written before it started"
		      if (bad != "") { print bad; exit 1 } }' "$1"
}

runs=0
while [ ! -e "$T/done" ] || [ "$runs" -lt 5 ]; do
	before=$(cat "$T/count" 2>/dev/null || echo 0)
	RC=0
	# every other time both logs merged: error.log is in root, whose
	# journal records name the directory "."
	if [ $((runs % 2)) = 0 ]; then
		"$EVMAINT" -c "$T/evmaint.conf" cat deploy >"$T/c.out" 2>"$T/c.err" || RC=$?
	else
		"$EVMAINT" -c "$T/evmaint.conf" cat deploy error >"$T/c.all" 2>"$T/c.err" || RC=$?
		sed -n 's/^error: //p' "$T/c.all" >"$T/c.error"
		sed -n 's/^deploy: //p' "$T/c.all" >"$T/c.out"
		why=$(check "$T/c.error" "$before") || {
			cp "$T/c.all" "$T/c.bad"
			fail "cat run $runs during rotations, error.log: $why (KEEP=1 keeps $T/c.bad)"
		}
	fi
	[ "$RC" = 0 ] || fail "cat exited $RC during rotations: $(cat "$T/c.err")"
	assert_empty "$T/c.err" "cat's stderr during rotations"
	why=$(check "$T/c.out" "$before") || {
		cp "$T/c.out" "$T/c.bad"
		fail "cat run $runs during rotations: $why (KEEP=1 keeps $T/c.bad)"
	}
	runs=$((runs + 1))
done
wait "${T_PIDS[0]}"
T_PIDS=()
if [ -s "$T/rot.err" ]; then
	fail "the rotations failed: $(head -5 "$T/rot.err")"
fi
narc=$(find "$ARCH" -name 'event-*.tar' | wc -l)
evm_run 0 cat error
check "$T/out" "$(cat "$T/count")" >/dev/null || fail "error.log after the rotations"
[ "$narc" -ge $((ROUNDS - 3)) ] || fail "only $narc archives after $ROUNDS rounds"
evm_run 0 cat deploy
check "$T/out" "$(cat "$T/count")" >/dev/null ||
	fail "after the rotations: $(check "$T/out" "$(cat "$T/count")")"
[ "$(wc -l <"$T/out")" = "$(cat "$T/count")" ] || fail "after the rotations: $(wc -l <"$T/out") lines"
ok "$runs cats during $ROUNDS rotations ($narc archives): every line once, in order"
exit 0
