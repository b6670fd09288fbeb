#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# File names reach the terminal, error.log and syslog escaped as in JSON:
# control bytes (ESC, newline) and invalid UTF-8 as \xNN. Whatever a local
# user names a log, it can neither forge an error.log line nor drive the
# terminal of the person reading the output. Names appear both as a
# message's subject and inside its text ("-> NAME.1", "NAME.1 is in the way").
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root

ESC=$(printf 'esc\033[31mred.log')
NL=$(printf 'new\nline.log')
FORGE=$(printf 'x\n2026-01-01T00:00:00+01:00 evmaint[1]: ERROR forged.log')
BAD=$(printf 'bad\377.log')

# no raw ESC, no raw 0xff, and (for error.log) one well-formed line per message
assert_clean() {
	local f
	for f in "$@"; do
		if grep -q "$(printf '\033')" "$f"; then
			fail "a raw ESC byte reached $f:
$(od -c "$f" | sed -n 1,20p)"
		fi
		if grep -q "$(printf '\377')" "$f"; then
			fail "a raw 0xff byte reached $f"
		fi
	done
}

# --- 1. rotating logs with such names: stdout, stderr, error.log
t_setup
evm_run 0 init
for n in "$ESC" "$NL" "$BAD"; do
	printf 'a line\n' >"$ROOT/deploy/$n"
	chmod 0640 "$ROOT/deploy/$n"
done
# a generation in the way (a symlink) is named inside the error's text
printf 'a line\n' >"$ROOT/$FORGE"
chmod 0640 "$ROOT/$FORGE"
ln -s /etc/passwd "$ROOT/$FORGE.1"
ln -s /etc/passwd "$ROOT/deploy/$NL.1"
: >"$ROOT/error.log"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_clean "$T/out" "$T/err" "$ROOT/error.log"
assert_fgrep 'deploy/esc\x1b[31mred.log' "$T/out" "the rotation of the ESC log is not reported escaped"
assert_fgrep '-> esc\x1b[31mred.log.1' "$T/out" "the new generation's name (in the message text) is not escaped"
assert_fgrep 'deploy/bad\xff.log' "$T/out" "the 0xff name is not shown as \\xff"
assert_fgrep 'x\x0a2026-01-01T00:00:00+01:00 evmaint[1]: ERROR forged.log.1 is in the way' "$ROOT/error.log" \
	"the generation in the way is not named escaped in error.log"
assert_fgrep 'new\x0aline.log.1 is in the way' "$T/err" "the newline is not \\x0a on stderr"
assert_all_lines '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{2}:[0-9]{2} evmaint\[[0-9]+\]: ERROR ' "$ROOT/error.log" \
	"error.log holds a line that evmaint did not write as one message"
[ "$(grep -c 'forged' "$ROOT/error.log")" = "$(grep -c 'evmaint\[[0-9]*\]: ERROR .*forged' "$ROOT/error.log")" ] ||
	fail "a forged error.log line"
assert_no_grep '^2026-01-01T00:00:00' "$ROOT/error.log" "a name's newline started a forged error.log line"
ok "ESC, newline and 0xff in names and in message texts: escaped on stdout, stderr and in error.log"

# --- 2. -v detail lines and status lines are escaped too
at "2026-11-25 03:00:00" evm_run 1 -v rotate
assert_clean "$T/out" "$T/err"
assert_fgrep 'esc\x1b[31mred.log: not due' "$T/out" "the -v detail line does not name the log escaped"
at "2026-11-25 03:00:00" evm_run 0 status
assert_clean "$T/out" "$T/err"
assert_fgrep 'deploy/esc\x1b[31mred.log' "$T/out" "status does not list the ESC log escaped"
ok "-v and status lines: escaped"

# --- 2b. cat: the name before each line when several logs are merged
# (exit 1: the newline log's generation is section 1's symlink, not read)
at "2026-11-25 03:00:00" evm_run 1 cat "deploy/$ESC" "deploy/$NL" "deploy/$BAD" deploy/deploy.log
assert_clean "$T/out" "$T/err"
assert_fgrep 'deploy/new\x0aline.log.1: cannot open: a symlink' "$T/err"
assert_fgrep 'esc\x1b[31mred: a line' "$T/out" "cat's prefix of the ESC log is not escaped"
assert_fgrep 'new\x0aline: a line' "$T/out" "cat's prefix of the newline log is not escaped"
assert_fgrep 'bad\xff: a line' "$T/out" "cat's prefix of the 0xff log is not escaped"
assert_eq "$(grep -c -v ': a line$' "$T/out" || true)" 0 "a line of cat's output that is no whole 'NAME: LINE' (a newline in a name)"
ok "cat's prefixes (the log's name before each merged line): escaped"

# --- 2c. generations whose live log is gone (kept and archived as a log
# without its file), under such names: reported escaped, archived whole
t_setup "rotate = 2"
evm_run 0 init
mkdir -m 0750 "$ROOT/retired"
for n in "$ESC" "$NL"; do
	for k in 1 2 3 4; do
		printf 'gone %s\n' "$k" | gzip -n >"$ROOT/retired/$n.$k.gz"
		chmod 0640 "$ROOT/retired/$n.$k.gz"
		touch -d "2026-11-$((20 - k)) 10:00:00" "$ROOT/retired/$n.$k.gz"
	done
done
: >"$ROOT/error.log"
at "2026-11-25 02:00:00" evm_run 0 -v rotate
assert_clean "$T/out" "$T/err" "$ROOT/error.log"
assert_fgrep 'retired/esc\x1b[31mred.log' "$T/out" "the ESC log without its file is not reported escaped"
assert_fgrep 'retired/new\x0aline.log' "$T/out" "the newline log without its file is not reported escaped"
assert_eq "$(find "$ROOT/retired" -name '*.gz' -printf x | wc -c)" 4 \
	"generations left in the tree (2 logs, rotate = 2)"
assert_eq "$(find "$ARCH" -name 'event-*' ! -name '*.sha256' -exec tar -tf {} \; | grep -c '^retired/')" 4 \
	"members of the nightly archive (2 logs, 2 beyond rotate each)"
at "2026-11-25 03:00:00" evm_run 0 status
assert_clean "$T/out" "$T/err"
assert_fgrep 'retired/esc\x1b[31mred.log' "$T/out" "status does not list the ESC log without its file escaped"
assert_fgrep 'retired/new\x0aline.log' "$T/out" "status does not list the newline log without its file escaped"
at "2026-11-25 03:00:00" evm_run 0 --json status
json_check "$T/out"
ok "generations of a gone log under ESC and newline names: archived, reported escaped"

# --- 3. a config value quoted in an error message
t_setup
printf 'rotate = 3\033[2J\n' >>"$T/evmaint.conf"
evm_run 78 check-config
assert_clean "$T/out" "$T/err"
assert_fgrep '\x1b[2J' "$T/err" "the bad value is not quoted escaped"
ok "a config value with ESC is quoted escaped in the config error"

# --- 4. syslog: one message per line, escaped
if command -v unshare >/dev/null && command -v python3 >/dev/null && unshare -m true 2>/dev/null; then
	t_setup
	evm_run 0 init
	printf 'a line\n' >"$ROOT/$FORGE"
	chmod 0640 "$ROOT/$FORGE"
	ln -s /etc/passwd "$ROOT/$FORGE.1"
	printf 'a line\n' >"$ROOT/deploy/$ESC"
	chmod 0640 "$ROOT/deploy/$ESC"
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
        f.write(repr(d).encode() + b"\n")
PY
	export EVMAINT T
	# shellcheck disable=SC2016 # expanded by the shell in the namespace
	unshare -m bash -c '
		set -e
		mount -t tmpfs -o mode=0755 evmaint-test-dev /dev
		mknod -m 666 /dev/null c 1 3
		mknod -m 666 /dev/urandom c 1 9
		python3 "$T/listen.py" /dev/log "$T/syslog" &
		lp=$!
		for _ in $(seq 100); do [ -e "$T/syslog.ready" ] && break; sleep 0.05; done
		[ -e "$T/syslog.ready" ] || { echo "listener did not start" >&2; exit 2; }
		rc=0
		EVMAINT_NOW="2026-11-25 02:00:00" "$EVMAINT" -c "$T/evmaint.conf" rotate >"$T/out" 2>"$T/err" </dev/null || rc=$?
		echo "$rc" >"$T/rc"
		python3 -c "import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b\"__END__\", sys.argv[1])" /dev/log
		wait "$lp"
	' || fail "the namespace run failed"
	assert_eq "$(cat "$T/rc")" 1 "rotate with a symlink in the way must exit 1"
	# each datagram as a Python bytes literal: a raw ESC shows as \x1b, a raw
	# newline as \n; an escaped one as \\x1b and \\x0a
	assert_fgrep 'esc\\x1b[31mred.log' "$T/syslog" "syslog does not name the ESC log escaped"
	assert_fgrep 'forged.log.1 is in the way' "$T/syslog" "syslog has no error naming the generation in the way"
	assert_no_grep '[^\\]\\x1b|[^\\]\\n2026' "$T/syslog" "a raw ESC or newline reached syslog"
	ok "syslog: names escaped"
else
	echo "note: no mount namespace: the syslog case is not run"
fi
exit 0
