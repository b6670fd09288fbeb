#!/bin/bash
# make check-valgrind: the whole-program tests named as arguments, each
# evmaint they run wrapped in valgrind, then the fuzz corpora replayed under
# it. Passes only when every test passes and valgrind reported nothing: its
# reports go to files (tests compare stderr), and its error exit is 97, not
# 1, which evmaint itself uses for "some logs failed". Run from the build
# directory; the Makefile passes VALGRIND, VALGRIND_FLAGS, EVMAINT_BIN, ...
set -u
out=$PWD/tests/valgrind
rm -rf "$out"
mkdir -p "$out/vg"
: "${srcdir:=.}"
case $srcdir in /*) ;; *) srcdir=$PWD/$srcdir ;; esac

# The wrapper every test runs as $EVMAINT: one report file per process.
cat >"$out/evmaint" <<WRAP
#!/bin/sh
exec $VALGRIND $VALGRIND_FLAGS --log-file=$out/vg/evmaint.%p "$EVMAINT_BIN" "\$@"
WRAP
chmod 0755 "$out/evmaint"

export EVMAINT=$out/evmaint EVMAINT_VERSION EVM_WRITER srcdir
# valgrind makes each run 20-50 times slower: the tests' hang guard waits
# longer, and "exits 75 within a second" (archive-snapshot.sh) is asserted
# natively by make check; under valgrind only that it exits 75 in reason.
export EVM_TIMEOUT=900 EVM_LOCK_BOUND=30

run_one() {
	local t=$1 name rc=0 t0
	name=$(basename "$t" .sh)
	t0=$(date +%s)
	bash "$srcdir/$t" >"$out/$name.log" 2>&1 </dev/null || rc=$?
	case $rc in
	0) echo "PASS: $t ($(($(date +%s) - t0))s)" ;;
	77) echo "SKIP: $t" ;;
	*) echo "FAIL: $t (exit $rc, log in $out/$name.log)" ;;
	esac
}
export -f run_one
export out

# shellcheck disable=SC2016 # $1 is the inner bash's
printf '%s\n' "$@" | xargs -P "${VALGRIND_JOBS:-2}" -I{} bash -c 'run_one "$1"' _ {} |
	tee "$out/results"

# The corpora: every parser input under valgrind's eyes too.
if REPLAY_WRAPPER="$VALGRIND $VALGRIND_FLAGS --log-file=$out/vg/replay.%p" \
	FUZZ_NAMES=${FUZZ_NAMES:-} bash "$srcdir/tests/fuzz/replay.sh" \
	>"$out/replay.log" 2>&1; then
	echo "PASS: fuzz corpora replayed" | tee -a "$out/results"
else
	echo "FAIL: fuzz corpora replayed (log in $out/replay.log)" | tee -a "$out/results"
fi

reports=0
for f in "$out"/vg/*; do
	[ -s "$f" ] || continue
	reports=$((reports + 1))
	if [ "$reports" -le 5 ]; then
		echo "=== valgrind report $f"
		head -80 "$f"
	fi
done
passed=$(grep -c '^PASS' "$out/results" || true)
failed=$(grep -c '^FAIL' "$out/results" || true)
skipped=$(grep -c '^SKIP' "$out/results" || true)
runs=$(find "$out/vg" -name 'evmaint.*' | wc -l)
echo "valgrind: $runs evmaint runs, $reports with a report"
[ "$reports" = 0 ] || failed=$((failed + 1))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
