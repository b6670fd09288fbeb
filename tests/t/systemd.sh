#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The systemd units as make install leaves them: systemd-analyze verify
# accepts them (the program and man pages they name exist in the installed
# tree), the service is the hardened oneshot the timer starts every night,
# and its sandbox lets the real program do a night's work: every system call
# evmaint makes is in its SystemCallFilter, and its CapabilityBoundingSet is
# enough for a tree owned by another user. (The mount namespace of
# ProtectSystem=/ReadWritePaths= needs systemd as PID 1: this machine has
# none, so those lines are checked as text.)
. "$(dirname "$0")/common.sh"

need_root # the installed files are root's; setpriv drops root's capabilities
need systemd-analyze
[ -n "${EVM_UNITDIR-}" ] || skip "configured with --with-systemdsystemunitdir=no: no units to check"
[ -n "${abs_top_builddir-}" ] || skip "needs the build tree (run it through make check)"

# evm_install DESTDIR: make install of this build into DESTDIR. The outer
# make's flags (its jobserver above all) are not this make's business.
evm_install() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR \
		"${EVM_MAKE:-make}" -s -C "$abs_top_builddir" install DESTDIR="$1" \
		>"$T/make.log" 2>&1 || fail "make install DESTDIR=$1 failed:
$(tail -40 "$T/make.log")"
}

# unit_values FILE KEY: the values of KEY= in FILE, one per line.
unit_values() {
	sed -n -E "s/^$2=(.*)/\\1/p" -- "$1"
}

# assert_unit FILE KEY ERE: some KEY= line of FILE matches ERE.
assert_unit() {
	grep -q -E -e "$3" <<<"$(unit_values "$1" "$2")" ||
		fail "$(basename "$1"): no $2= matching /$3/ (has: $(unit_values "$1" "$2" | tr '\n' ' '))"
}

t_setup
D=$T/dest
evm_install "$D"
UNITS=$D$EVM_UNITDIR
SERVICE=$UNITS/evmaint.service
TIMER=$UNITS/evmaint.timer
assert_file "$SERVICE" "make install did not install evmaint.service into $EVM_UNITDIR"
assert_file "$TIMER" "make install did not install evmaint.timer into $EVM_UNITDIR"

# --- 1. systemd-analyze verify, in the installed tree as its root. The
# targets the units name come from the host's systemd, copied beside them.
for d in /lib/systemd/system /usr/lib/systemd/system; do
	[ -d "$d" ] || continue
	mkdir -p "$D$d"
	cp -a -n "$d/." "$D$d/"
	rm -f "$D$d"/evmaint.* 2>/dev/null || true
done
evm_install "$D" # the host's copies must not stand in for ours
# verify runs man(1) for Documentation=: it must find the installed pages.
VERIFY_MAN=yes
if ! command -v man >/dev/null 2>&1; then
	VERIFY_MAN=no
	echo "note: man (man-db) is not installed: Documentation= is not checked"
fi
verify() {
	SYSTEMD_UNIT_PATH="$EVM_UNITDIR:" MANPATH="$D$EVM_MANDIR" SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify --man="$VERIFY_MAN" --root="$D" "$@"
}
rc=0
verify evmaint.service evmaint.timer >"$T/verify" 2>&1 || rc=$?
assert_eq "$rc" 0 "systemd-analyze verify failed:
$(cat "$T/verify")
exit status"
assert_empty "$T/verify" "systemd-analyze verify complained"
ok "systemd-analyze verify: evmaint.service and evmaint.timer clean ($(systemd-analyze --version | sed -n 1p))"

# It does look: a unit whose program is missing fails it.
sed "s|^ExecStart=.*|ExecStart=$EVM_SBINDIR/no-such-evmaint rotate|" "$SERVICE" \
	>"$UNITS/evmaint-broken.service"
rc=0
verify evmaint-broken.service >"$T/verify" 2>&1 || rc=$?
rm -f "$UNITS/evmaint-broken.service"
[ "$rc" != 0 ] || fail "systemd-analyze verify accepted a unit whose program does not exist"
ok "systemd-analyze verify rejects a unit whose program is missing (so the check above means something)"

# --- 2. what the service and the timer promise
assert_unit "$SERVICE" ExecStart "^$EVM_SBINDIR/evmaint( .*)? rotate$"
assert_unit "$SERVICE" Type '^oneshot$'
assert_unit "$SERVICE" SuccessExitStatus '(^| )75( |$)'
assert_unit "$SERVICE" Nice '^19$'
assert_unit "$SERVICE" IOSchedulingClass '^idle$'
assert_unit "$SERVICE" ProtectSystem '^strict$'
assert_unit "$SERVICE" PrivateTmp '^(yes|true)$'
assert_unit "$SERVICE" NoNewPrivileges '^(yes|true)$'
for p in /srv/service/event /srv/service/backups/logs_archives /var/lib/evmaint; do
	assert_unit "$SERVICE" ReadWritePaths "(^| )-$p( |$)"
done
# the metrics_file that README and evmaint(8) suggest is one the service may
# write: behind ProtectSystem=strict another is a warning every night, and
# stale metrics that no alert sees
for doc in "$TESTDIR/../../README.md" "$TESTDIR/../../man/evmaint.8"; do
	m=$(sed -n 's/^metrics_file = \(\/.*\)$/\1/p' "$doc")
	[ -n "$m" ] || fail "no metrics_file example in $doc"
	assert_unit "$SERVICE" ReadWritePaths "(^| )-${m%/*}( |$)"
done
assert_unit "$SERVICE" RestrictAddressFamilies '(^| )AF_UNIX( |$)' # syslog
assert_no_grep '^\[Install\]' "$SERVICE" "the service is started by the timer, never enabled itself"
assert_unit "$TIMER" OnCalendar '^daily$'
assert_unit "$TIMER" Persistent '^(yes|true)$'
assert_unit "$TIMER" RandomizedDelaySec '^[1-9]'
assert_unit "$TIMER" WantedBy '^timers\.target$'
ok "service: oneshot, nice, idle I/O, exit 75 a success, hardened, writes only the tree, archive_dir, state dir"
ok "timer: daily, persistent, randomized delay, wanted by timers.target"

# --- 3. systemd's own review of the sandbox
rc=0
SYSTEMD_UNIT_PATH="$EVM_UNITDIR:" SYSTEMD_LOG_COLOR=0 \
	systemd-analyze security --offline=true --root="$D" --threshold=30 evmaint.service \
	>"$T/security" 2>&1 || rc=$?
assert_eq "$rc" 0 "systemd-analyze security:
$(tail -5 "$T/security")
exit status"
level=$(sed -n -E 's/.*Overall exposure level for evmaint\.service: ([0-9.]+) .*/\1/p' "$T/security")
[ -n "$level" ] || fail "systemd-analyze security printed no exposure level:
$(tail -5 "$T/security")"
assert_lt "$level" 4 "exposure level of evmaint.service (higher is worse; 10 is no sandbox)"
ok "systemd-analyze security: exposure $level"

# --- 4. the sandbox is wide enough for the real work. A night's scenario:
# init, rotations on three days (compression, a nightly archive), a
# snapshot, verify, check-config, and a second instance meeting the lock.
# night_work CMD...: runs the scenario with CMD... put before each evmaint.
night_work() {
	local d
	"$@" "$EVMAINT" -c "$T/evmaint.conf" -q init || return 1
	for d in 1 2 3; do
		seq 1 20000 >>"$ROOT/deploy/deploy.log"
		echo "line $d" >>"$ROOT/error.log"
		EVMAINT_NOW="2026-11-2$d 00:30:00" "$@" "$EVMAINT" -c "$T/evmaint.conf" -q rotate ||
			return 1
	done
	"$@" "$EVMAINT" -c "$T/evmaint.conf" -q archive || return 1
	"$@" "$EVMAINT" -c "$T/evmaint.conf" -q verify || return 1
	"$@" "$EVMAINT" -c "$T/evmaint.conf" check-config >/dev/null || return 1
	(
		exec 9>>"$STATE.lock"
		flock -x 9
		rc=0
		"$@" "$EVMAINT" -c "$T/evmaint.conf" -q rotate 2>/dev/null || rc=$?
		[ "$rc" = 75 ]
	) || return 1
}

# 4a. system calls: every one evmaint makes is allowed by SystemCallFilter=.
# expand_filter SET...: the system calls of systemd's named sets, expanded.
expand_filter() {
	local s
	for s in "$@"; do
		case $s in
		@*)
			systemd-analyze syscall-filter "$s" |
				awk 'NR > 1 && NF && $1 !~ /^#/ { print $1 }' | while read -r x; do
				expand_filter "$x"
			done
			;;
		*) echo "$s" ;;
		esac
	done
}
if ! command -v strace >/dev/null 2>&1; then
	echo "note: strace is not installed: the system-call filter was not checked against the program"
elif [[ $(ldd "$EVMAINT" 2>/dev/null || true) =~ lib(a|ub|l|t)san ]]; then
	# (not "ldd | grep -q": under pipefail, grep closing the pipe early
	# fails the pipeline by SIGPIPE, at random)
	echo "note: a sanitizer build makes the runtime's own system calls: the filter check needs a plain build"
else
	filter=$(unit_values "$SERVICE" SystemCallFilter)
	case $filter in
	'' | '~'*) fail "SystemCallFilter= is not an allow-list: '$filter' (this test checks allow-lists)" ;;
	esac
	t_setup "rotate = 1" "compress_level = 1"
	# shellcheck disable=SC2086 # a list of sets
	expand_filter $filter | sort -u >"$T/allowed"
	night_work strace -f -qq -o "$T/trace" -A ||
		fail "the scenario failed under strace"
	sed -E -e 's/^[0-9]+ +//' -e 's/^<\.\.\. ([a-z0-9_]+) resumed>.*/\1/' \
		-e 's/^([a-z0-9_]+)\(.*/\1/' "$T/trace" | grep -E '^[a-z0-9_]+$' | sort -u >"$T/used"
	[ "$(wc -l <"$T/used")" -ge 20 ] || fail "could not read the system calls from strace's output"
	comm -23 "$T/used" "$T/allowed" >"$T/denied"
	assert_empty "$T/denied" "evmaint makes system calls that SystemCallFilter=$filter denies"
	ok "all $(wc -l <"$T/used") system calls of a night's work are in SystemCallFilter=$filter"
fi

# 4b. capabilities: a tree owned by another user, worked on by root with
# only CapabilityBoundingSet= and no new privileges, as the unit runs it.
user=daemon
if ! command -v setpriv >/dev/null 2>&1; then
	echo "note: setpriv (util-linux) is not installed: CapabilityBoundingSet= was not checked against the program"
	exit 0
fi
if ! getent passwd "$user" >/dev/null; then
	echo "note: no user '$user' for a tree not owned by root: CapabilityBoundingSet= was not checked"
	exit 0
fi
group=$(id -gn "$user")
caps=$(unit_values "$SERVICE" CapabilityBoundingSet | tr ' ' '\n' | sed -n 's/^CAP_/+/p' |
	tr '[:upper:]' '[:lower:]' | paste -sd, -)
[ -n "$caps" ] || fail "the service has no CapabilityBoundingSet="
# shellcheck disable=SC2317 # called through night_work's "$@"
sandbox() {
	setpriv --no-new-privs --inh-caps=-all --bounding-set="-all,$caps" "$@"
}
t_setup "rotate = 1" "owner = $user" "group = $group"
night_work sandbox || fail "the night's work failed with CapabilityBoundingSet=$caps
$(tail -5 "$T/err" 2>/dev/null)"
assert_owner "$ROOT/deploy/deploy.log" "$user:$group"
assert_file "$ROOT/deploy/deploy.log.1.gz"
[ "$(find "$ARCH" -name 'event-*.tar*' ! -name '*.sha256' | wc -l)" -ge 2 ] ||
	fail "no nightly archive and snapshot were written in the sandbox"
ok "a night's work on a $user-owned tree passes with only $caps and no new privileges"

# ... and it is the bounding set that makes it work, not something else.
t_setup "rotate = 1" "owner = $user" "group = $group"
caps_all=$caps
caps=$(echo "$caps_all" | tr ',' '\n' | grep -v -x -e '+dac_override' -e '+dac_read_search' | paste -sd, -)
if night_work sandbox 2>/dev/null; then
	fail "the work succeeded even without CAP_DAC_OVERRIDE: the check above proves nothing"
fi
ok "without CAP_DAC_OVERRIDE the same work fails (the capability check is real)"
exit 0
