#!/bin/bash
# evmaint tells syslog (ident evmaint, facility daemon) what it did and what
# failed, since cron without a mail transport throws stdout away. Checked
# against a listener on /dev/log in a private mount namespace (a tmpfs on
# /dev), so the host's logging is neither used nor disturbed. Without a
# listener, evmaint probes /dev/log once per run instead of once per message.
. "$(dirname "$0")/common.sh"

need_root # mount namespace, tmpfs on /dev; init creates root:root files
need unshare python3 strace

unshare -m true 2>/dev/null || skip "needs mount namespaces (unshare -m)"

# in_ns SCRIPT: runs bash SCRIPT in a private mount namespace whose /dev is a
# tmpfs holding null, zero, random and urandom (and /dev/log when a listener
# is started by the script).
in_ns() {
	unshare -m bash -c '
		set -e
		mount -t tmpfs -o mode=0755 evmaint-test-dev /dev
		mknod -m 666 /dev/null c 1 3
		mknod -m 666 /dev/zero c 1 5
		mknod -m 666 /dev/random c 1 8
		mknod -m 666 /dev/urandom c 1 9
		'"$1"
}

# --- 1. a rotation and a refused log: every action and the error in syslog
t_setup
evm_run 0 init
printf 'line one\nline two\n' >>"$ROOT/deploy/deploy.log"
printf 'backup done\n' >>"$ROOT/backup/backup.log"
mkfifo "$ROOT/pipe.log"
# The listener stops at the datagram __END__, which the test sends once
# evmaint is done: datagrams arrive in order, so it has read every message.
cat >"$T/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "wb", buffering=0) as f:
    while True:
        d = s.recv(65536)
        if d == b"__END__":
            break
        f.write(d.rstrip(b"\0\n") + b"\n")
PY
export EVMAINT T
# shellcheck disable=SC2016 # expanded by the shell in the namespace
in_ns '
	python3 "$T/listen.py" /dev/log "$T/syslog" &
	lp=$!
	for _ in $(seq 100); do [ -e "$T/syslog.ready" ] && break; sleep 0.05; done
	[ -e "$T/syslog.ready" ] || { echo "listener did not start" >&2; exit 2; }
	rc=0
	"$EVMAINT" -c "$T/evmaint.conf" rotate >"$T/out" 2>"$T/err" </dev/null || rc=$?
	echo "$rc" >"$T/rc"
	python3 -c "import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b\"__END__\", sys.argv[1])" /dev/log
	wait "$lp"
' || fail "the namespace run failed"
assert_eq "$(cat "$T/rc")" 1 "rotate with a fifo named *.log must exit 1"
# <30> is daemon.info, <27> daemon.err (RFC 3164 priority = facility*8+level)
assert_grep '^<30>.* evmaint\[[0-9]*\]: rotated deploy/deploy.log' "$T/syslog" \
	"syslog has no daemon.info line for the rotation of deploy/deploy.log"
assert_grep '^<30>.* evmaint\[[0-9]*\]: rotated backup/backup.log' "$T/syslog" \
	"syslog has no daemon.info line for the rotation of backup/backup.log"
assert_grep '^<30>.* evmaint\[[0-9]*\]: compressed deploy/deploy.log.1' "$T/syslog" \
	"syslog has no line for the compression of deploy/deploy.log.1"
assert_grep '^<27>.* evmaint\[[0-9]*\]: .*pipe.log' "$T/syslog" \
	"syslog has no daemon.err line naming the refused pipe.log"
ok "syslog: daemon.info per action, daemon.err naming the refused fifo ($(wc -l <"$T/syslog") messages)"

# --- 2. nobody listens: one probe of /dev/log per run, not one per message
t_setup
evm_run 0 init
for l in deploy/deploy.log backup/backup.log config_update/config_update.log error.log; do
	printf 'x\n' >>"$ROOT/$l"
done
# LeakSanitizer cannot work under ptrace: leaks are checked in part 1.
LSAN_OFF="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export T EVMAINT LSAN_OFF
# shellcheck disable=SC2016 # expanded by the shell in the namespace
in_ns '
	rc=0
	ASAN_OPTIONS=$LSAN_OFF strace -f -qq -o "$T/trace" -e trace=connect \
		"$EVMAINT" -c "$T/evmaint.conf" rotate >"$T/out" 2>"$T/err" </dev/null || rc=$?
	echo "$rc" >"$T/rc"
' || fail "the namespace run failed"
assert_eq "$(cat "$T/rc")" 0 "rotate without a syslog daemon must still exit 0 (stderr: $(head -c 2000 "$T/err"))"
assert_eq "$(grep -c 'rotated' "$T/out")" 4 "rotate did not rotate the four logs"
n=$(grep -c '"/dev/log"' "$T/trace" || true)
[ "$n" -le 2 ] || fail "$n connect() calls to /dev/log for 8 messages: evmaint retries syslog per message"
ok "no syslog daemon: $n connect() to /dev/log in a run of 8 messages, exit 0"
