#!/bin/bash
# A directory listing cut short by an I/O error (getdents64 -> EIO) is an
# error said on stderr, naming the directory, and a non-zero exit: never a
# shorter listing taken as the whole one, which would pass over in silence
# what the rest held (a leftover, a set-aside journal, a generation `cat`
# must print, an odd entry `verify` must report). Every command that lists
# a directory of its own outside the tree walk is faulted here, only on
# that directory (strace -P), and a rerun without the fault converges.
. "$(dirname "$0")/common.sh"
need strace
need_root

# LeakSanitizer cannot work under ptrace; the runs under strace skip it.
LSAN_OFF="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# faulted WANT DIR WHEN ARG...: evmaint ARG... with the listings of DIR
# failing with EIO (WHEN as strace's when=: 1 the first, 1+ every one); the
# trace must show the fault hit DIR, or the test proves nothing.
faulted() {
	local want=$1 dir=$2 when=$3 rc=0
	shift 3
	ASAN_OPTIONS=$LSAN_OFF strace -f -y -P "$dir" -o "$T/trace" \
		-e trace=getdents64 -e inject=getdents64:error=EIO:when="$when" \
		"$EVMAINT" -c "$T/evmaint.conf" "$@" >"$T/out" 2>"$T/err" \
		</dev/null || rc=$?
	grep -q "$dir.*INJECTED" "$T/trace" ||
		fail "the fault did not hit $dir's listing ($*)"
	[ "$rc" = "$want" ] || {
		sed -n 1,20p "$T/err" >&2
		fail "evmaint $* with $dir's listing failing exited $rc, want $want"
	}
}

t_setup
evm_run 0 init
SDIR=$(dirname "$STATE")
SB=$(basename "$STATE")

# --- 1. rotate: the state directory's listing (the script records'
# temporaries of killed runs) fails: said, exit 1, the leftover kept; the
# next rotate removes it
true &
wait $!
dead=$!
printf 'evmaint-run 1 deploy deploy/deploy.log 1 0.1 0 1\n' \
	>"$SDIR/.evmaint-tmp.$SB.run.deploy.$dead"
echo "one line" >>"$ROOT/deploy/deploy.log"
at "2026-11-24 02:00:00" faulted 1 "$SDIR" 1 rotate
assert_fgrep "$SDIR: cannot list: Input/output error" "$T/err"
assert_file "$SDIR/.evmaint-tmp.$SB.run.deploy.$dead"
assert_file "$ROOT/deploy/deploy.log.1.gz" "the rotation itself did not go on"
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_no_file "$SDIR/.evmaint-tmp.$SB.run.deploy.$dead"
# part way: the listing's first call read the names (what it saw is
# cleaned), the one after fails: still an error
at "2026-11-25 03:00:00" faulted 1 "$SDIR" 2 rotate --force
assert_fgrep "$SDIR: cannot list: Input/output error" "$T/err"
at "2026-11-25 04:00:00" evm_run 0 rotate --force
ok "rotate: the state directory unlistable is an error, and the next run removes what it could not see"

# --- 2. rotate: archive_dir's listing (an interrupted run's temporaries)
# fails: said, exit 1; the next rotate removes the leftover
printf 'half an archive' >"$ARCH/.evmaint-tmp.evmaint-20261125-020000.tar.gz"
at "2026-11-26 02:00:00" faulted 1 "$ARCH" 1 rotate
assert_fgrep "$ARCH: cannot list: Input/output error" "$T/err"
assert_file "$ARCH/.evmaint-tmp.evmaint-20261125-020000.tar.gz"
at "2026-11-27 02:00:00" evm_run 0 rotate
assert_no_file "$ARCH/.evmaint-tmp.evmaint-20261125-020000.tar.gz"
ok "rotate: archive_dir unlistable is an error, and the next run removes the leftover"

# --- 3. cat: the log's directory cannot be listed: no history with its
# generations left out, but exit 1 and the reason
printf 'line %s\n' a b c >>"$ROOT/deploy/deploy.log"
at "2026-11-28 02:00:00" evm_run 0 rotate
echo "live line" >>"$ROOT/deploy/deploy.log"
at "2026-11-28 12:00:00" evm_run 0 cat deploy/deploy.log
assert_fgrep "line b" "$T/out"
at "2026-11-28 12:00:00" faulted 1 "$ROOT/deploy" 1+ cat deploy/deploy.log
assert_fgrep "cannot list its files: Input/output error" "$T/err"
at "2026-11-28 12:00:00" evm_run 0 cat deploy/deploy.log
assert_fgrep "one line" "$T/out"
assert_fgrep "live line" "$T/out"
ok "cat: a directory listing failing is an error, not a history without its generations"

# --- 4. verify: archive_dir's second listing (what is named as an archive
# but is none) fails: exit 1, named
at "2026-11-28 12:00:00" evm_run 0 archive
ln -s /etc/passwd "$ARCH/event-20261101T020000.tar"
evm_run 1 verify
assert_fgrep "event-20261101T020000.tar: named as an archive but" "$T/err"
faulted 1 "$ARCH" 3 verify
assert_fgrep "$ARCH: cannot list: Input/output error" "$T/err"
rm "$ARCH/event-20261101T020000.tar"
evm_run 0 verify
ok "verify: archive_dir's listing failing part way is an error"

# --- 5. status: the state directory cannot be listed: a journal set aside
# there (WARNING) would go unseen, so the answer is UNKNOWN, naming it
export EVMAINT_LOGROTATE_CONF=/dev/null/none
printf 'x\n' >"$STATE.journal.rejected-20261128-120000"
at "2026-11-28 12:00:00" evm_run 1 status --check
assert_fgrep "rejected-20261128-120000" "$T/out"
at "2026-11-28 12:00:00" faulted 3 "$SDIR" 1+ status --check
assert_fgrep "$SDIR cannot be listed: Input/output error" "$T/out"
rm "$STATE.journal.rejected-20261128-120000"
at "2026-11-28 12:00:00" evm_run 0 status --check
ok "status --check: the state directory unlistable is UNKNOWN, not OK"

# --- 6. status: a logrotate include directory that cannot be listed is
# said, not taken for an empty one (its stanzas would go unseen)
mkdir "$T/lr.d"
printf '%s {\n\tdaily\n}\n' "$ROOT/deploy/deploy.log" >"$T/lr.d/evm"
printf 'include %s\n' "$T/lr.d" >"$T/lr.conf"
chmod 0644 "$T/lr.conf" "$T/lr.d/evm"
export EVMAINT_LOGROTATE_CONF=$T/lr.conf
at "2026-11-28 12:00:00" evm_run 0 status
assert_fgrep "also rotated by logrotate ($T/lr.d/evm:1" "$T/err"
at "2026-11-28 12:00:00" faulted 0 "$T/lr.d" 1+ -v status
assert_fgrep "$T/lr.d:0: logrotate cannot read it: Input/output error" "$T/out" \
	"the unread include directory is not said"
ok "status: a logrotate include directory unlistable is said, not read as empty"

exit 0
