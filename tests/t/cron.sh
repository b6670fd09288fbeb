#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The cron job as this build makes it: a file cron accepts, naming the
# installed program by its full path, at a time clear of DST and of
# cron.daily; its command, run as cron runs it (env -i with cron's HOME,
# LOGNAME, PATH and SHELL, cwd /, stdin closed, no terminal, output into a
# pipe), rotates a tree and prints nothing at all, let alone escape codes,
# errors included. Where systemd runs it steps aside (evmaint.timer does the
# night's pass), as logrotate's cron.daily script does, without asking
# systemctl, and a removed program leaves it silent. Last, the real cron
# daemon reads the file from a cron.d directory and runs the job.
#
# The command names $(sbindir)/evmaint, the configured path, which holds no
# binary while the tests run, and that binary would read the configured
# $(sysconfdir)/evmaint.conf, naming the real tree. So the test runs the
# command with that one path replaced by a stand-in that runs this build's
# evmaint with the test's config; every other byte is the file's. The other
# branches need /run/systemd/system and a systemctl that says what the test
# wants: they run in a private mount namespace (unshare -m), never touching
# the host's.
. "$(dirname "$0")/common.sh"

need_root # cron.d jobs run as root; the namespaces need it too
need setsid unshare
if [ -z "${abs_top_builddir-}" ] || [ -z "${EVM_SBINDIR-}" ]; then
	skip "needs the build tree (run it through make check)"
fi

CRONFILE=$abs_top_builddir/etc/cron.d/evmaint
assert_file "$CRONFILE" "the build made no cron file"
BIN=$EVM_SBINDIR/evmaint

# --- 1. the file: a name cron reads, one job, root, full path, a guard
name=$(basename "$CRONFILE")
[[ $name =~ ^[A-Za-z0-9_-]+$ ]] || fail "cron ignores a file in cron.d named '$name' (only letters, digits, _ and -)"
assert_no_grep '@[a-z_]+@' "$CRONFILE" "an unsubstituted @variable@ is left in the cron file"
[ "$(tail -c 1 "$CRONFILE" | od -An -c | tr -d ' ')" = '\n' ] ||
	fail "the cron file does not end with a newline (cron ignores its last line)"
grep -v -E '^[[:space:]]*(#|$)' "$CRONFILE" >"$T/jobs" || true
[ "$(wc -l <"$T/jobs")" = 1 ] || fail "expected exactly one job line in the cron file:
$(cat "$T/jobs")"
read -r min hour dom mon dow user cmd <"$T/jobs"
assert_eq "$dom $mon $dow" "* * *" "the job runs every day"
assert_eq "$user" root "the job's user"
[[ $min =~ ^[0-9]+$ && $hour =~ ^[0-9]+$ ]] || fail "the job's time is not a fixed minute and hour: $min $hour"
case $hour in
1 | 2 | 3) fail "the job runs at $hour:$min, in the hours daylight saving time skips or repeats" ;;
esac
[ "$hour:$min" != 6:25 ] || fail "the job runs with cron.daily (06:25)"
[ "$min" != 17 ] || fail "the job runs with cron.hourly (:17)"
case $cmd in
*%*) fail "the command holds a %, which cron turns into a newline" ;;
esac
assert_fgrep "-x $BIN" "$T/jobs" "no 'test -x' guard on the installed program"
assert_fgrep " $BIN -q" "$T/jobs" "the job does not run $BIN -q by its full path"
assert_fgrep "if [ -d /run/systemd/system ]; then :;" "$T/jobs" "the job does not step aside where systemd runs"
ok "cron file: name '$name', one job at $(printf '%02d:%02d' "$hour" "$min") as root, $BIN by full path, guarded"

# --- running it as cron does
# cron_cmd STANDIN: the job's command with the program's path replaced.
cron_cmd() {
	printf '%s\n' "${cmd//"$BIN"/$1}"
}

# stand_in: a program at a path like the installed one that notes what it
# was given (arguments, environment, cwd, stdin) and runs this build's
# evmaint with the test's config.
stand_in() {
	mkdir -p "$T/sbin"
	cat >"$T/sbin/evmaint" <<EOF
#!/bin/sh
echo "\$@" >>'$T/ran'
{
	env
	echo "cwd=\$(pwd)"
	if [ -e /proc/\$\$/fd/0 ]; then echo stdin=open; else echo stdin=closed; fi
} >'$T/jobenv'
exec '$EVMAINT' -c '$T/evmaint.conf' "\$@"
EOF
	chmod 0755 "$T/sbin/evmaint"
}

# fake_systemctl STATUS: a systemctl that notes its arguments and exits
# STATUS (is-active: 0 active, 3 inactive).
fake_systemctl() {
	cat >"$T/systemctl" <<EOF
#!/bin/sh
echo "\$@" >>'$T/systemctl.args'
exit $1
EOF
	chmod 0755 "$T/systemctl"
}

# as_cron SYSTEMD COMMAND: runs COMMAND as cron would, in a mount namespace
# where /run is empty or (SYSTEMD=yes) has /run/systemd/system, and where
# systemctl is $T/systemctl if there is one. Output in $T/cron.out, status
# in CRON_RC.
CRON_RC=
as_cron() {
	local systemd=$1 command=$2 sysctl=
	if [ -e "$T/systemctl" ]; then
		sysctl=$(PATH=/usr/bin:/bin command -v systemctl) ||
			skip "needs systemctl in /usr/bin or /bin, to stand in for it"
	fi
	CRON_RC=0
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare -m bash -c '
		set -e
		mount -t tmpfs -o mode=0755 evmaint-test /run
		[ "$1" != yes ] || mkdir -p /run/systemd/system
		[ -z "$2" ] || mount --bind "$3" "$2"
		cd /
		exec env -i HOME=/root LOGNAME=root PATH=/usr/bin:/bin SHELL=/bin/sh \
			setsid -w /bin/sh -c "$4" <&-
	' as_cron "$systemd" "$sysctl" "$T/systemctl" "$command" 2>&1 | cat >"$T/cron.out" ||
		CRON_RC=$?
}

# assert_plain FILE: no escape or other control character but newline and tab.
assert_plain() {
	if LC_ALL=C grep -q -P '[\x00-\x08\x0b-\x1f\x7f]' "$1"; then
		fail "control characters (escape codes) in the job's output:
$(od -c "$1" | sed -n 1,20p)"
	fi
}

unshare -m true 2>/dev/null || skip "needs mount namespaces (unshare -m), to give the job a /run of its own"

# a tree with something to rotate
setup_tree() {
	t_setup
	stand_in
	evm_run 0 init
	seq 1 5000 >>"$ROOT/deploy/deploy.log"
	echo "2026-11-24T23:00:00+01:00 deploy[1]: ERROR disk" >>"$ROOT/error.log"
}

# --- 2. no systemd: the job rotates, silently
setup_tree
as_cron no "$(cron_cmd "$T/sbin/evmaint")"
assert_eq "$CRON_RC" 0 "the job's exit status; it printed:
$(cat "$T/cron.out")
status"
assert_file "$T/ran" "the job did not run the program"
assert_eq "$(cat "$T/ran")" "-q --wait 3600 rotate" "the job's arguments"
assert_no_grep '^(TZ|TERM|LANG|LC_[A-Z]+|EVMAINT[A-Z_]*)=' "$T/jobenv" "the job saw the test's environment"
assert_grep '^PATH=/usr/bin:/bin$' "$T/jobenv"
assert_grep '^cwd=/$' "$T/jobenv"
assert_grep '^stdin=closed$' "$T/jobenv"
assert_file "$ROOT/deploy/deploy.log.1.gz" "the job did not rotate deploy.log"
assert_file "$ROOT/error.log.1.gz" "the job did not rotate error.log"
assert_empty "$ROOT/deploy/deploy.log" "deploy.log was not emptied by the rotation"
gzip -t "$ROOT/deploy/deploy.log.1.gz"
assert_eq "$(zcat "$ROOT/deploy/deploy.log.1.gz" | wc -l)" 5000 "lines in deploy.log.1.gz"
assert_empty "$T/cron.out" "the job printed something, which cron would mail"
assert_no_tmp "$T"
ok "without systemd the job rotates (cron's env, cwd /, stdin closed, no tty) and prints nothing"

# --- 3. errors reach cron's mail as plain text, and error.log
setup_tree
conf_add "rotate = 0" # each new generation is to be archived at once
mv "$ARCH" "$ARCH.unmounted"
as_cron no "$(cron_cmd "$T/sbin/evmaint")"
assert_eq "$CRON_RC" 1 "exit status of the job with archive_dir missing"
assert_grep 'error' "$T/cron.out" "the job did not report the missing archive_dir"
assert_plain "$T/cron.out"
assert_plain "$ROOT/error.log"
assert_errlog 'archive'
ok "with archive_dir missing the job exits 1 and says so in plain text: $(head -1 "$T/cron.out")"

# --- 4. systemd running: the job steps aside, whatever the timer's state
# (a systemctl that would say "active" or "inactive" is never asked)
for sysrc in 0 3; do
	setup_tree
	fake_systemctl $sysrc
	before=$(sha256sum <"$ROOT/deploy/deploy.log")
	as_cron yes "$(cron_cmd "$T/sbin/evmaint")"
	assert_eq "$CRON_RC" 0 "exit status of the job where systemd runs"
	assert_no_file "$T/systemctl.args" "the job asked systemctl"
	assert_no_file "$T/ran" "the job ran evmaint where systemd runs"
	assert_eq "$(sha256sum <"$ROOT/deploy/deploy.log")" "$before" "deploy.log changed"
	assert_no_file "$ROOT/deploy/deploy.log.1.gz"
	assert_empty "$T/cron.out" "the job printed something while stepping aside"
done
ok "where systemd runs the job steps aside, silently, without asking systemctl"

# --- 6. the program removed: nothing runs, nothing printed
setup_tree
as_cron no "$(cron_cmd "$T/no-such-dir/evmaint")"
assert_eq "$CRON_RC" 0 "exit status of the job with the program removed"
assert_empty "$T/cron.out" "the job printed something with the program removed"
assert_no_file "$ROOT/deploy/deploy.log.1.gz"
ok "with the program removed the job is silent and harmless"

# --- 7. the real cron daemon reads the file and runs the job. Sections 2-6
# run the command as the issue describes cron; this one lets cron(8) itself
# (Debian's, with its PAM session) parse the file from a cron.d directory
# and run it. Only the minute and hour are moved to the coming minute, so
# the test need not wait until 04:35; the program's path is the stand-in's,
# as above. In a private mount namespace: /etc/crontab, the user crontabs
# and /etc/cron.d are empty but for this file, so nothing of the host runs.
# cron and date(1) share the test's TZ, so the minute is the same to both.
CRON=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v cron || true)
if [ -z "$CRON" ]; then
	echo "note: cron is not installed: the file was not run by the real cron daemon"
	exit 0
fi
setup_tree
# The stand-in notes how cron ran it, then runs evmaint with its output in a
# file (cron would mail it): what the job would have printed, and its exit.
cat >"$T/sbin/evmaint" <<EOF
#!/bin/sh
echo "\$@" >>'$T/ran'
{
	env
	echo "cwd=\$(pwd)"
	if [ -t 0 ] || [ -t 1 ] || [ -t 2 ]; then echo tty=yes; else echo tty=no; fi
	echo "stdin=\$(readlink /proc/\$\$/fd/0 | sed 's/:.*//')"
} >'$T/jobenv'
'$EVMAINT' -c '$T/evmaint.conf' "\$@" >'$T/job.out' 2>&1
echo \$? >'$T/job.rc'
EOF
mkdir -m 0755 "$T/cron.d" "$T/crontabs"
: >"$T/crontab"
# Far enough from the minute's end for cron to have started: the job runs
# at the coming minute, which is then at least 10 seconds away.
while [ "$(date +%S)" -ge 50 ]; do sleep 1; done
next=$(date -d '+1 minute' '+%M %H')
read -r nmin nhour <<<"$next"
sed "s/^$min $hour /$((10#$nmin)) $((10#$nhour)) /" "$CRONFILE" |
	sed "s|$BIN|$T/sbin/evmaint|g" >"$T/cron.d/evmaint"
chmod 0644 "$T/cron.d/evmaint"
assert_grep "^$((10#$nmin)) $((10#$nhour)) " "$T/cron.d/evmaint" "could not move the job's time"
progress "cron(8) started; the job is due at $((10#$nhour)):$nmin, up to 70 s from now"
rc=0
# shellcheck disable=SC2016 # expanded by the inner bash
unshare -m bash -c '
	set -e
	mount -t tmpfs -o mode=0755 evmaint-test /run
	mount --bind "$1/cron.d" /etc/cron.d
	mount --bind "$1/crontab" /etc/crontab
	if [ -d /var/spool/cron/crontabs ]; then
		mount --bind "$1/crontabs" /var/spool/cron/crontabs
	fi
	cd /
	"$2" -f -L 15 </dev/null >"$1/cron.log" 2>&1 &
	cron=$!
	trap "kill \$cron 2>/dev/null; wait \$cron 2>/dev/null || true" EXIT
	for _ in $(seq 1 100); do
		[ ! -e "$1/job.rc" ] || exit 0
		kill -0 "$cron" 2>/dev/null || exit 2
		sleep 1
	done
	exit 3
' real_cron "$T" "$CRON" || rc=$?
case $rc in
0) ;;
2) fail "cron exited before running the job: $(cat "$T/cron.log")" ;;
3) fail "cron did not run the job within 100 seconds (job at $nhour:$nmin; cron.d/evmaint:
$(cat "$T/cron.d/evmaint"))" ;;
*) fail "running cron failed (exit $rc): $(cat "$T/cron.log")" ;;
esac
assert_eq "$(cat "$T/ran")" "-q --wait 3600 rotate" "the arguments cron gave the program"
assert_eq "$(cat "$T/job.rc")" 0 "the exit status of evmaint run by cron: $(cat "$T/job.out")"
assert_empty "$T/job.out" "evmaint printed something under cron, which cron would mail"
assert_grep '^PATH=/usr/bin:/bin$' "$T/jobenv" "cron's PATH"
assert_grep '^tty=no$' "$T/jobenv" "the job had a terminal"
assert_no_grep '^(TERM|EVMAINT[A-Z_]*)=' "$T/jobenv" "the job saw the test's environment"
assert_file "$ROOT/deploy/deploy.log.1.gz" "the job run by cron did not rotate deploy.log"
assert_eq "$(zcat "$ROOT/deploy/deploy.log.1.gz" | wc -l)" 5000 "lines in deploy.log.1.gz"
assert_no_tmp "$T/srv"
REAL_ENV=$(grep -E '^(HOME|LOGNAME|PATH|SHELL|cwd|stdin)=' "$T/jobenv" | LC_ALL=C sort | paste -sd' ' -)
ok "cron(8) itself ran the job from cron.d at $((10#$nhour)):$nmin: rotated, printed nothing; its environment: $REAL_ENV"
exit 0
