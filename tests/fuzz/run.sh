#!/bin/bash
# make fuzz runs this once per target (NAME as $1, from the build
# directory): libFuzzer for FUZZ_SECONDS on the seeds and regressions, new
# finds kept in tests/fuzz/work/NAME. On a crash it prints the input's path,
# the command that reproduces it and how to keep it as a regression.
set -u
n=$1
src=${FUZZ_SRC:?}
prog=tests/fuzz/fuzz_$n
work=tests/fuzz/work/$n
crashes=tests/fuzz/crashes/$n
log=tests/fuzz/fuzz-$n.out
mkdir -p "$work" "$crashes"
dirs=("$work")
for d in "$src/corpus/$n" "$src/regress/$n"; do
	[ -d "$d" ] && dirs+=("$d")
done
dict=()
[ -f "$src/dict/$n.dict" ] && dict=(-dict="$src/dict/$n.dict")
# word splitting of FUZZ_ARGS is wanted: it holds several flags
# shellcheck disable=SC2086
"$prog" -max_total_time="${FUZZ_SECONDS:-60}" -artifact_prefix="$crashes/" \
	${FUZZ_ARGS:-} "${dict[@]}" "${dirs[@]}" >"$log" 2>&1
rc=$?
stats=$(grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added)' "$log" |
	tr '\n' ' ')
if [ "$rc" = 0 ]; then
	echo "fuzz $n: ${FUZZ_SECONDS:-60}s, no crash ($stats)"
	exit 0
fi
echo "FAIL: fuzz $n (exit $rc): log in $log" >&2
tail -60 "$log" >&2
for a in "$crashes"/*; do
	[ -e "$a" ] || continue
	echo "  input: $a" >&2
	echo "  reproduce: $prog $a" >&2
	echo "  keep it: cp $a $src/regress/$n/ (make check replays it)" >&2
done
exit 1
