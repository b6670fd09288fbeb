#!/bin/bash
# Invariants 1, 3 and 4 under SIGKILL. A rotation that shifts, exchanges,
# compresses and archives is killed before each state-changing system call
# in turn (strace -e inject=SYSCALL:signal=SIGKILL:when=N, so every state
# between two calls is reached), and at random instants; each time a rerun
# must leave exactly the tree, archives and state an uninterrupted run
# leaves, with no temporary file and no journal, every line present once.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/crash-lib.sh"
need strace tar zcat sha256sum
need_root

crash_setup
export EVMAINT_JOBS=1	# strace counts calls per thread: one thread, one order

# The reference: the same night, uninterrupted.
crash_restore
at "$CRASH_NOW" evm_run 0 -q rotate
crash_listing >"$T/ref"
assert_grep '^archive event-20261103T020000.tar ./deploy/deploy.log-20261101.gz ' "$T/ref" \
	"the reference run archived the expired generation"
crash_lines | LC_ALL=C sort >"$T/lines.got"
crash_expected_lines | LC_ALL=C sort >"$T/lines.want"
assert_same "$T/lines.got" "$T/lines.want" "reference run: every line once"
ok "reference run"

total=0
for sc in renameat2 renameat unlinkat fsync syncfs fchmod fchown utimensat \
	ftruncate mkdirat openat write; do
	step=1
	case $sc in openat | write) step=3 ;; esac
	n=1
	while crash_kill_at "$CRASH_NOW" "$sc" "$n"; do
		total=$((total + 1))
		n=$((n + step))
	done
done
[ "$total" -ge 60 ] || fail "only $total kill points reached"
ok "$total kill points before state-changing calls, each rerun converged"

# At random instants of the wall clock, as a power cut would.
crash_restore
t0=$(now_s)
at "$CRASH_NOW" evm_run 0 -q rotate
dur=$(elapsed "$t0")
crash_kill_spread "$CRASH_NOW" "$dur" 24 random
ok "24 kills at random instants (run takes ${dur}s, $CRASH_LANDED landed mid-run), each rerun converged"

# A rerun on a later day also loses nothing.
crash_kill_before "$CRASH_NOW" renameat2 4 || true
at "2026-11-05 02:00:00" evm_run 0 -q rotate
crash_lines | LC_ALL=C sort >"$T/lines.got"
assert_same "$T/lines.got" "$T/lines.want" "rerun two days later: every line once"
assert_no_tmp "$T"
assert_no_file "$STATE.journal"
ok "rerun days later: nothing lost, no leftovers"

# delaycompress with rotate = 1 (found by the stress run): in one night the
# plain generation 1 shifts to 2, is compressed, archived and removed. A
# kill after that left a journal whose shift the recovery could no longer
# see done (deploy.log.2 was gone): it stopped with "the file moved
# meanwhile" and the night's state was lost. Every later kill point too.
t_setup "rotate = 1" "delaycompress = yes"
evm_run 0 -q init
for d in 1 2; do
	seq -f "deploy d$d %g" 1 2000 >>"$ROOT/deploy/deploy.log"
	at "2026-11-0$d 02:00:00" evm_run 0 -q rotate
done
seq -f "deploy d3 %g" 1 2000 >>"$ROOT/deploy/deploy.log"
crash_snapshot
crash_restore
at "$CRASH_NOW" evm_run 0 -q rotate
crash_listing >"$T/ref"
assert_grep '^archive event-20261103T020000.tar ./deploy/deploy.log-20261102.gz ' "$T/ref" \
	"delaycompress: the reference run archived generation 2"
total=0
for sc in renameat2 unlinkat fsync; do
	n=1
	while crash_kill_at "$CRASH_NOW" "$sc" "$n"; do
		total=$((total + 1))
		n=$((n + 1))
	done
done
[ "$total" -ge 10 ] || fail "delaycompress: only $total kill points reached"
ok "delaycompress: $total kill points, each rerun converged"
