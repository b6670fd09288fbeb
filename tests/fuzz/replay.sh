#!/bin/bash
# Every fuzz target's seeds and regression inputs, replayed through the
# target's code with an ordinary main (replay.c): in the plain build, the
# sanitizer build and under valgrind, an input that once crashed a parser
# must not crash it again. Run by make check from the build directory.
set -eu
: "${srcdir:=$(dirname "$0")/../..}"
names=${FUZZ_NAMES:-conf state journal gen gz arc lrconf}
fuzz=$srcdir/tests/fuzz
status=0
for n in $names; do
	prog=tests/fuzz/replay_$n
	if [ ! -x "$prog" ]; then
		echo "HARNESS ERROR: $prog is not built" >&2
		exit 99
	fi
	dirs=()
	for d in "$fuzz/corpus/$n" "$fuzz/regress/$n"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	if [ "${#dirs[@]}" = 0 ]; then
		echo "FAIL: no seeds for $n in $fuzz/corpus/$n" >&2
		status=1
		continue
	fi
	# REPLAY_WRAPPER is a command with its flags: split on purpose
	# shellcheck disable=SC2086
	if ${REPLAY_WRAPPER:-} "$prog" "${dirs[@]}"; then
		echo "ok: $n"
	else
		echo "FAIL: $n: an input crashed $prog (rerun: $prog ${dirs[*]})" >&2
		status=1
	fi
done
exit "$status"
