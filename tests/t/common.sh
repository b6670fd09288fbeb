#!/bin/bash
# shellcheck shell=bash disable=SC2034 # variables set for the test scripts
#
# The harness every whole-program test sources (logrotate's test-common.sh,
# evmaint's way): a private temporary tree per case, a config pointing into
# it, helpers that run evmaint and check its exit status, and assertions on
# files, modes, owners, JSON and whole trees. Exit 0 pass, 1 fail, 77 skip,
# 99 the harness itself is broken (automake's conventions). A script:
#
#	. "$(dirname "$0")/common.sh"
#	need_root
#	t_setup "rotate = 3"              # $T, $ROOT, $ARCH, $STATE, config
#	evm_run 0 init                    # stdout in $T/out, stderr in $T/err
#	at "2026-11-25 02:00:00" evm_run 0 rotate
#	assert_mode "$ROOT/deploy/deploy.log" 0640
#	ok "what this case showed"
#	exit 0
#
# Environment: EVMAINT (the binary; automake exports it), KEEP=1 (keep the
# temporary directories), EVM_TIMEOUT (seconds before a hung evmaint is
# killed, default 60), EVMAINT_VERSION (PACKAGE_VERSION, for cli.sh).
# Mind set -e and pipefail: "cmd | head" fails when head closes early, and
# fail inside $(...) only leaves the subshell.

set -eEu
set -o pipefail
umask 022

# Deterministic surroundings: bytes, not characters; a pinned zone with DST
# (a day is a calendar date, never 86400 s); no clock override leaking in.
export LC_ALL=C
export TZ=Europe/Paris
unset EVMAINT_NOW LANG LANGUAGE

TESTDIR=$(cd "$(dirname "$0")" && pwd)
TESTNAME=$(basename "$0" .sh)
: "${srcdir:=$TESTDIR/../..}"

if [ -z "${EVMAINT:-}" ]; then
	EVMAINT=$TESTDIR/../../src/evmaint
fi
case $EVMAINT in
/*) ;;
*) EVMAINT=$PWD/$EVMAINT ;;
esac
export EVMAINT
if [ ! -x "$EVMAINT" ]; then
	echo "HARNESS ERROR: no evmaint binary at $EVMAINT (build first, or set EVMAINT)" >&2
	exit 99
fi

T=
ROOT=
ARCH=
STATE=
T_DIRS=()
T_PIDS=()

# ---------------------------------------------------------------- results

fail() {
	echo "FAIL: $TESTNAME: $*" >&2
	if [ -n "$T" ] && [ "${KEEP:-0}" != 1 ]; then
		echo "  (KEEP=1 keeps the test directory for a look)" >&2
	fi
	exit 1
}

skip() {
	echo "SKIP: $TESTNAME: $*"
	exit 77
}

# Past a minute, each result also says how long the test has run, so that
# "tail -f" of a long test's .log shows it moving; progress says so between.
ok() {
	if [ "$SECONDS" -ge 60 ]; then
		echo "ok: [${SECONDS}s] $*"
	else
		echo "ok: $*"
	fi
}

# progress MESSAGE: the step a long test is at, with the seconds it has run.
progress() {
	printf '[%4ds] %s\n' "$SECONDS" "$*"
}

# An unexpected failing command is a failure (exit 1), never a stray 77/99.
t_on_err() {
	local rc=$1 line=$2 cmd=$3
	echo "FAIL: $TESTNAME: line $line: command failed with status $rc: $cmd" >&2
	exit 1
}
trap 't_on_err $? $LINENO "$BASH_COMMAND"' ERR

t_cleanup() {
	local rc=$? p d
	trap - ERR
	for p in "${T_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for d in "${T_DIRS[@]}"; do
		if [ "${KEEP:-0}" = 1 ]; then
			echo "kept: $d" >&2
		else
			rm -rf "$d"
		fi
	done
	exit "$rc"
}
trap t_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs '$c', which is not installed"
	done
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (uid 0)"
}

# The pinned zone must really be known, or "days" silently become UTC days.
need_tzdata() {
	[ "$(TZ=Europe/Paris date -d '2026-07-01 12:00' +%z 2>/dev/null)" = +0200 ] ||
		skip "needs tzdata (Europe/Paris)"
}

# ------------------------------------------------------------------ setup

# t_setup [CONFIG LINE...]: a fresh private directory $T (cwd), the paths
# ROOT, ARCH and STATE inside it, and $T/evmaint.conf naming them plus the
# extra lines. May be called once per case; every $T is removed at exit.
# shellcheck disable=SC2120 # the lines are optional
t_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/evmaint-$TESTNAME.XXXXXX")
	T_DIRS+=("$T")
	chmod 0755 "$T"
	ROOT=$T/srv/event
	ARCH=$T/srv/archives
	STATE=$T/var/lib/evmaint/state
	{
		echo "# written by tests/t/common.sh for $TESTNAME"
		echo "root = $ROOT"
		echo "archive_dir = $ARCH"
		echo "state_file = $STATE"
		local l
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} >"$T/evmaint.conf"
	: >"$T/out"
	: >"$T/err"
	cd "$T"
}

# conf_add LINE...: appends lines to $T/evmaint.conf.
conf_add() {
	printf '%s\n' "$@" >>"$T/evmaint.conf"
}

# ---------------------------------------------------------------- running

# t_run WANT CMD [ARG...]: runs CMD (killed after EVM_TIMEOUT seconds) with
# stdout in $T/out and stderr in $T/err; fails unless it exits WANT.
# RC holds the status afterwards.
RC=
t_run() {
	local want=$1
	shift
	RC=0
	timeout -k 5 "${EVM_TIMEOUT:-60}" "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	if [ "$RC" != "$want" ]; then
		{
			echo "FAIL: $TESTNAME: exit status $RC, expected $want${EVMAINT_NOW:+ (EVMAINT_NOW=$EVMAINT_NOW)}"
			[ "$RC" = 124 ] && echo "  (killed by timeout after ${EVM_TIMEOUT:-60}s: it hung)"
			echo "  command: $*"
			echo "  --- stdout:"
			head -c 8000 "$T/out" | sed 's/^/  | /'
			echo "  --- stderr:"
			head -c 8000 "$T/err" | sed 's/^/  | /'
		} >&2
		fail "unexpected exit status"
	fi
}

# evm ARG...: evmaint with the test's config, output not captured.
evm() {
	"$EVMAINT" -c "$T/evmaint.conf" "$@"
}

# evm_run WANT ARG...: evmaint with the test's config, status checked.
evm_run() {
	local want=$1
	shift
	t_run "$want" "$EVMAINT" -c "$T/evmaint.conf" "$@"
}

# evm_raw WANT ARG...: evmaint without -c (command-line tests).
evm_raw() {
	local want=$1
	shift
	t_run "$want" "$EVMAINT" "$@"
}

# at WHEN CMD...: runs CMD with evmaint's clock set to WHEN ("@EPOCH" or
# "YYYY-MM-DD HH:MM:SS" local time): at "2026-11-25 02:00:00" evm_run 0 rotate
at() {
	local had=${EVMAINT_NOW+set} old=${EVMAINT_NOW-} rc=0
	export EVMAINT_NOW="$1"
	shift
	"$@" || rc=$?
	if [ -n "$had" ]; then
		EVMAINT_NOW=$old
	else
		unset EVMAINT_NOW
	fi
	return "$rc"
}

# Seconds since the epoch, with nanoseconds; elapsed T0 prints now - T0.
now_s() {
	date +%s.%N
}
elapsed() {
	awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.3f\n", b - a }'
}

# wait_until SECONDS CMD...: polls CMD until it succeeds; 1 on timeout.
wait_until() {
	local limit=$1 t0
	shift
	t0=$(now_s)
	until "$@"; do
		if awk -v e="$(elapsed "$t0")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
			return 1
		fi
		sleep 0.05
	done
}

# t_bg CMD...: starts CMD in the background, killed at exit; BG_PID is its pid.
BG_PID=
t_bg() {
	"$@" &
	BG_PID=$!
	T_PIDS+=("$BG_PID")
}

# release_lock_in SECONDS: kills the lock holder SECONDS from now, so a
# waiting command provably waited at least that long, however loaded the
# machine (a holder that sleeps a fixed time may be found late).
release_lock_in() {
	local pid=$HOLDER_PID
	# shellcheck disable=SC2016 # $1 and $2 are the inner bash's arguments
	t_bg bash -c 'sleep "$1"; kill "$2"' releaser "$1" "$pid"
}

# Read from /proc/locks, never by taking the lock: a probe that took it for
# an instant would make an evmaint starting at that instant exit 75. In a
# PID namespace with its own /proc (Docker, CI runners) /proc/locks lists
# nothing; then the "lock:" lines of the holders' /proc/PID/fdinfo say it.
lock_is_held() {
	local id
	id=$(stat -c '%Hd %Ld %i' -- "$1" 2>/dev/null) || return 1
	# shellcheck disable=SC2086 # three numbers, split on purpose
	id=$(printf '%02x:%02x:%s' $id)
	grep -Eq "^[0-9]+: FLOCK +ADVISORY +WRITE +[0-9]+ $id " /proc/locks ||
		grep -Eqs "^lock:[[:space:]]+[0-9]+: FLOCK +ADVISORY +WRITE +[0-9]+ $id " \
			/proc/[0-9]*/fdinfo/*
}
lock_is_free() {
	! lock_is_held "$1"
}

# hold_lock SECONDS [FILE]: another process holds flock(1) on FILE (default
# $STATE.lock) for SECONDS; returns once it is held and the holder has become
# sleep(1) (the lock is taken just before the exec, and tests assert the
# holder's name). HOLDER_PID is its pid (one process, so kill "$HOLDER_PID"
# releases the lock at once).
HOLDER_PID=
holder_is_sleep() {
	[ "$(cat "/proc/$HOLDER_PID/comm" 2>/dev/null)" = sleep ]
}
hold_lock() {
	local secs=$1 file=${2:-$STATE.lock}
	need flock
	mkdir -p "$(dirname "$file")"
	# shellcheck disable=SC2016 # expanded by the inner bash
	t_bg bash -c 'exec 9>>"$1" && flock -x 9 && exec sleep "$2"' lockholder "$file" "$secs" \
		</dev/null >/dev/null 2>&1
	HOLDER_PID=$BG_PID
	wait_until 30 lock_is_held "$file" || fail "could not take the lock on $file with flock(1)"
	wait_until 30 holder_is_sleep || fail "the lock holder (pid $HOLDER_PID) did not become sleep"
}

# ------------------------------------------------------------- assertions

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', expected '$2'"
}

# Float comparisons (times): assert_lt A B MSG passes when A < B.
assert_lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' || fail "${3:-}: $1 is not < $2"
}
assert_ge() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' || fail "${3:-}: $1 is not >= $2"
}

# The mode bits of PATH itself (never through a symlink), as 4 octal digits.
mode_of() {
	printf '%04o\n' "0$(stat -c %a -- "$1")"
}

assert_mode() {
	local got want
	[ -e "$1" ] || [ -L "$1" ] || fail "assert_mode: $1 does not exist"
	got=$(mode_of "$1")
	want=$(printf '%04o' "0$2")
	[ "$got" = "$want" ] || fail "${3:-mode of $1}: got $got, expected $want"
}

assert_owner() {
	local got
	[ -e "$1" ] || [ -L "$1" ] || fail "assert_owner: $1 does not exist"
	got=$(stat -c %U:%G -- "$1")
	[ "$got" = "$2" ] || fail "${3:-owner of $1}: got $got, expected $2"
}

# A regular file (not a symlink to one).
assert_file() {
	if [ ! -f "$1" ] || [ -L "$1" ]; then
		fail "${2:-expected a regular file}: $1"
	fi
}

assert_dir() {
	if [ ! -d "$1" ] || [ -L "$1" ]; then
		fail "${2:-expected a directory}: $1"
	fi
}

# Nothing at all at PATH, not even a dangling symlink.
assert_no_file() {
	if [ -e "$1" ] || [ -L "$1" ]; then
		fail "${2:-expected nothing}: $1 exists ($(stat -c %F -- "$1"))"
	fi
}

assert_empty() {
	[ ! -s "$1" ] || fail "${2:-expected empty}: $1 holds:
$(head -c 4000 "$1")"
}

assert_nonempty() {
	[ -s "$1" ] || fail "${2:-expected content}: $1 is empty or missing"
}

# assert_grep ERE FILE [MSG]
assert_grep() {
	grep -a -E -q -e "$1" -- "$2" || fail "${3:-no line matches}: /$1/ not in $2, which holds:
$(head -c 4000 "$2")"
}

# assert_fgrep STRING FILE [MSG]: a fixed string, no regex.
assert_fgrep() {
	grep -a -F -q -e "$1" -- "$2" || fail "${3:-string not found}: '$1' not in $2, which holds:
$(head -c 4000 "$2")"
}

assert_no_grep() {
	if grep -a -E -q -e "$1" -- "$2"; then
		fail "${3:-unexpected line}: /$1/ found in $2:
$(grep -a -E -e "$1" -- "$2" | head -20 || true)"
	fi
}

# Every line of FILE matches ERE (an empty file passes).
assert_all_lines() {
	if grep -a -v -E -q -e "$1" -- "$2"; then
		fail "${3:-a line does not match}: /$1/; offending lines of $2:
$(grep -a -v -E -e "$1" -- "$2" | head -20 || true)"
	fi
}

# No temporary file of evmaint's anywhere below DIR.
assert_no_tmp() {
	local left
	[ -e "$1" ] || return 0
	left=$(find "$1" -name '.evmaint-tmp.*' -print)
	[ -z "$left" ] || fail "${2:-temporary files left}: $left"
}

# assert_same FILE1 FILE2 MSG: byte-identical, else fails showing the diff.
assert_same() {
	cmp -s -- "$1" "$2" && return 0
	fail "${3:-files differ}: $1 vs $2:
$(diff -u -- "$1" "$2" | head -60 || true)"
}

# tree_state [-t] DIR: one line per entry below DIR and DIR itself, sorted
# by path: path, type, mode, owner, size, link count, symlink target and the
# sha256 of regular files (fifos and devices are never opened). With -t also
# inode, mtime and ctime, so that even a touch or a chmod to the same mode
# shows. A missing DIR prints "absent". Compare two states with assert_same.
tree_state() {
	local times=0 dir fmt
	if [ "${1-}" = -t ]; then
		times=1
		shift
	fi
	dir=$1
	if [ ! -e "$dir" ] && [ ! -L "$dir" ]; then
		echo "absent"
		return 0
	fi
	fmt='%P\t%y %#m %u:%g size=%s links=%n'
	[ "$times" = 0 ] || fmt="$fmt ino=%i mtime=%T@ ctime=%C@"
	fmt="$fmt\t%l\0"
	find "$dir" -printf "$fmt" | LC_ALL=C sort -z | {
		local rec rel meta target path sum
		while IFS= read -r -d '' rec; do
			rel=${rec%%$'\t'*}
			meta=${rec#*$'\t'}
			target=${meta#*$'\t'}
			meta=${meta%%$'\t'*}
			path=$dir${rel:+/$rel}
			sum=
			case $meta in
			f\ *) sum=" sha256=$(sha256sum <"$path" | cut -c1-64)" ;;
			esac
			printf '%s %s%s%s\n' "${rel:-.}" "$meta" "${target:+ -> $target}" "$sum"
		done
	}
}

# snap NAME [-t] DIR...: saves tree_state of each DIR in $T/NAME.state.
snap() {
	local name=$1 opt='' d
	shift
	if [ "${1-}" = -t ]; then
		opt=-t
		shift
	fi
	for d in "$@"; do
		echo "== $d"
		tree_state ${opt:+"$opt"} "$d"
	done >"$T/$name.state"
}

# assert_unchanged NAME [-t] DIR...: the same as when snap NAME [-t] DIR...
assert_unchanged() {
	local name=$1
	shift
	snap "$name.after" "$@"
	assert_same "$T/$name.state" "$T/$name.after.state" "tree changed ($name)"
}

# error.log lines as the contract writes them.
ERRLOG_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2} evmaint\[[0-9]+\]: ERROR '

# assert_errlog ERE [FILE]: a line of error.log in the contract's format
# whose message matches ERE.
assert_errlog() {
	local f=${2:-$ROOT/error.log}
	assert_file "$f" "error.log is missing"
	assert_grep "${ERRLOG_RE}.*$1" "$f" "no error.log line in the contract's format about /$1/"
}

# ------------------------------------------------------------------- JSON

# One Python program for JSON: "check FILE" validates, "get FILE EXPR" prints
# a value, "true FILE EXPR" exits 1 if EXPR is falsy. In EXPR, d is the
# document, S(x) every string inside x, env the environment (to pass values
# without quoting trouble: WANT=... assert_json F 'd["x"] == env["WANT"]'),
# json and re are imported.
T_PY='
import json, os, re, sys

def die(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)

def pairs(p):
    keys = [k for k, _ in p]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError("duplicate keys %r" % dup)
    return dict(p)

def const(c):
    raise ValueError("non-standard constant %s" % c)

def S(x):
    if isinstance(x, str):
        return [x]
    if isinstance(x, dict):
        return [s for k, v in x.items() for s in [k] + S(v)]
    if isinstance(x, list):
        return [s for v in x for s in S(v)]
    return []

mode, path = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
try:
    text = raw.decode("utf-8")
except UnicodeDecodeError as e:
    die("%s: not valid UTF-8: %s" % (path, e))
try:
    d = json.loads(text, object_pairs_hook=pairs, parse_constant=const)
except ValueError as e:
    die("%s: not exactly one valid JSON document: %s" % (path, e))
for s in S(d):
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        die("%s: a string holds a lone surrogate: %r" % (path, s))
if mode == "check":
    if not isinstance(d, dict):
        die("%s: the document is not an object" % path)
    for k, t in (("command", str), ("changed", bool), ("actions", list),
                 ("errors", list)):
        if not isinstance(d.get(k), t):
            die("%s: member %r missing or not a %s" % (path, k, t.__name__))
    sys.exit(0)
v = eval(sys.argv[3], {"d": d, "S": S, "env": os.environ, "json": json, "re": re})
if mode == "true":
    sys.exit(0 if v else 1)
if isinstance(v, str):
    print(v)
else:
    print(json.dumps(v, ensure_ascii=False))
'

t_py() {
	PYTHONIOENCODING=utf-8 python3 -c "$T_PY" "$@"
}

# json_check FILE: exactly one JSON document, valid UTF-8, an object with
# the contract's members (command, changed, actions, errors).
json_check() {
	local why
	need python3
	why=$(t_py check "$1" 2>&1) || fail "json_check: $why
$(head -c 4000 "$1")"
}

# json_get FILE EXPR: prints the value of a Python expression over d.
json_get() {
	need python3
	t_py get "$1" "$2"
}

# assert_json FILE EXPR [MSG]: EXPR (Python, over d) is true.
assert_json() {
	need python3
	t_py true "$1" "$2" || fail "${3:-JSON check failed}: $2 is false for:
$(head -c 6000 "$1")"
}
