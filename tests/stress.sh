#!/bin/bash
# make stress: one tree through STRESS_RUNS nights, each under a SIGKILL at
# a random instant or before a system call, an injected EIO or ENOSPC, or a
# full file system, with writers appending throughout; after each, a clean
# rerun and a check of every invariant (tests/stress/stress.py says what).
# Ends with "N runs, 0 lines lost, 0 invariant violations", or the first
# violation with the command that reproduces it.
#
# Needs root (a tmpfs mount; the tree is root's), strace, python3.
# Environment: EVMAINT, EVM_WRITER (make stress sets them), STRESS_RUNS
# (default 200), STRESS_SEED (default: the time; printed), STRESS_TMPFS_MB
# (default 256), STRESS_KEEP=1 (keep the work directory after a violation),
# STRESS_VERBOSE=1 (a line per run).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${EVMAINT:?set EVMAINT to the evmaint binary (make stress does)}"
: "${EVM_WRITER:?set EVM_WRITER to tests/evm-writer (make stress does)}"
for c in strace python3; do
	command -v "$c" >/dev/null || {
		echo "stress: needs $c" >&2
		exit 77
	}
done
if [ "$(id -u)" != 0 ]; then
	echo "stress: needs root (a tmpfs mount, a root-owned tree)" >&2
	exit 77
fi

top=$(mktemp -d "${TMPDIR:-/tmp}/evmaint-stress.XXXXXX")
export STRESS_CONFDIR=$top/conf STRESS_WORK=$top/fs STRESS_FS=
mkdir -p "$STRESS_CONFDIR" "$STRESS_WORK"
# A tmpfs of its own: "full" means this file system, not the machine's /tmp.
if mount -t tmpfs -o "size=${STRESS_TMPFS_MB:-256}m,mode=0755" evmaint-stress "$STRESS_WORK"; then
	STRESS_FS=$STRESS_WORK
else
	echo "stress: cannot mount a tmpfs: the full-disk runs are left out" >&2
fi

cleanup() {
	local rc=$?
	if [ "$rc" != 0 ] && [ "${STRESS_KEEP:-0}" = 1 ]; then
		echo "stress: kept $top${STRESS_FS:+ (tmpfs still mounted on $STRESS_FS)}" >&2
		exit "$rc"
	fi
	[ -z "$STRESS_FS" ] || umount "$STRESS_FS" || true
	rm -rf "$top"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Deterministic surroundings, as the tests have them.
export LC_ALL=C TZ=Europe/Paris
unset EVMAINT_NOW EVMAINT_JOBS
python3 "$here/stress/stress.py"
