#!/bin/bash
# The command line: usage errors exit 64 with the usage on stderr and change
# nothing; --help and --version exit 0 on stdout; global options work
# before and after the command; the overrides win over the config.
. "$(dirname "$0")/common.sh"

need_root # init creates root:root directories and files
need strace

t_setup

# usage_error ARG...: evmaint ARG... must exit 64, say why on stderr, print
# nothing on stdout and create nothing.
usage_error() {
	evm_raw 64 "$@"
	assert_nonempty "$T/err" "no message for a usage error: $*"
	assert_empty "$T/out" "a usage error printed on stdout: $*"
	assert_no_file "$T/srv" "a usage error created the tree: $*"
	assert_no_file "$T/var" "a usage error created the state directory: $*"
}

# --- 1. no command, unknown command, unknown option, stray argument
usage_error
assert_grep '^usage: evmaint' "$T/err" "no usage on stderr without a command"
usage_error -c "$T/evmaint.conf"
assert_grep '^usage: evmaint' "$T/err"
usage_error -c "$T/evmaint.conf" frob
assert_grep 'frob' "$T/err" "the unknown command is not named"
usage_error -c "$T/evmaint.conf" --frob init
assert_grep '--frob' "$T/err" "the unknown option is not named"
usage_error -c "$T/evmaint.conf" init --frob
assert_grep '--frob' "$T/err"
usage_error -c "$T/evmaint.conf" init -Z
usage_error -c "$T/evmaint.conf" init extra
usage_error -c
ok "no command, unknown command/option, stray argument, missing value: exit 64, nothing done"

# --- 2. bad option values
usage_error -c "$T/evmaint.conf" --wait abc init
assert_grep 'abc' "$T/err" "the bad --wait value is not named"
usage_error -c "$T/evmaint.conf" --wait -1 init
usage_error -c "$T/evmaint.conf" --wait '' init
usage_error -c "$T/evmaint.conf" --root relative init
usage_error -c "$T/evmaint.conf" --root relative check-config
usage_error -c "$T/evmaint.conf" --archive-dir relative init
usage_error -c "$T/evmaint.conf" --state relative init
usage_error -c "$T/evmaint.conf" --root "$T/a/../b" init
assert_no_file "$T/relative" "--root relative created something in the cwd"
assert_no_file "$T/b"
ok "--wait abc/-1/'', --root/--archive-dir/--state relative or with '..': exit 64"

# --- 2b. an override that clashes with the config: a config error (78)
#         naming the option, since the command line is what to change
config_clash() {
	evm_raw 78 -c "$T/evmaint.conf" "$@" init
	assert_empty "$T/out" "a config error printed on stdout: $*"
	assert_no_file "$T/srv" "a config error created the tree: $*"
}
config_clash --archive-dir "$ROOT/archives"
assert_grep "^evmaint: error: option --archive-dir: archive_dir $ROOT/archives and root $ROOT must not contain each other" "$T/err"
config_clash --root "$ARCH/event"
assert_grep "^evmaint: error: option --root: archive_dir $ARCH and root $ARCH/event must not contain each other" "$T/err"
config_clash --state "$ROOT/state"
assert_grep "^evmaint: error: option --state: state_file $ROOT/state must not be inside root $ROOT" "$T/err"
assert_no_grep "evmaint.conf:" "$T/err" "the config's line blamed for an option"
echo "metrics_file = $T/m/evmaint.prom" >>"$T/evmaint.conf"
config_clash --root "$T/m"
assert_grep "^evmaint: error: option --root: metrics_file $T/m/evmaint.prom must be outside root" "$T/err"
config_clash --state "$T/m/evmaint.prom"
assert_grep "^evmaint: error: option --state: metrics_file $T/m/evmaint.prom must be outside" "$T/err"
sed -i '/^metrics_file = /d' "$T/evmaint.conf"
ok "--root/--archive-dir/--state that clash with the config: exit 78 naming the option"

# --- 3. -f/--force is rotate's alone
usage_error -c "$T/evmaint.conf" init -f
usage_error -c "$T/evmaint.conf" init --force
usage_error -c "$T/evmaint.conf" check-config -f
ok "-f/--force on init or check-config: exit 64"

# --- 3b. a command's option before the command names its command
for f in -f --force; do
	usage_error -c "$T/evmaint.conf" "$f" rotate
	assert_grep "'$f' is an option of 'rotate'" "$T/err" \
		"$f before the command does not say it belongs to rotate"
	assert_grep 'evmaint rotate' "$T/err"
done
usage_error -c "$T/evmaint.conf" -x rotate
assert_grep "unknown option '-x'" "$T/err"
ok "a command's option given before the command: exit 64, names the command"

# --- 3c. help [COMMAND], COMMAND --help: one command's usage and options
evm_raw 0 help rotate
assert_grep '^usage: evmaint \[GLOBAL OPTIONS\] rotate \[-f\]' "$T/out" \
	"help rotate does not print rotate's usage line"
assert_grep '^  -f, --force' "$T/out" "help rotate does not list -f"
assert_no_grep '^  init ' "$T/out" "help rotate lists every command"
cp "$T/out" "$T/help-rotate"
evm_raw 0 rotate --help
assert_eq "$(cat "$T/out")" "$(cat "$T/help-rotate")" \
	"rotate --help differs from help rotate"
evm_raw 0 help
assert_grep '^  check-config ' "$T/out"
assert_grep '^exit status:' "$T/out" "--help does not list the exit statuses"
assert_grep '75 another evmaint holds the lock' "$T/out"
usage_error help frob
assert_grep "unknown command 'frob'" "$T/err"
usage_error help rotate init
ok "help, help COMMAND and COMMAND --help print the usage and exit statuses"

# --- 4. --help and --version: stdout, exit 0, no config needed
for h in --help -h; do
	evm_raw 0 "$h"
	assert_grep '^usage: evmaint' "$T/out" "$h does not print the usage on stdout"
	assert_grep 'init' "$T/out"
	assert_grep 'check-config' "$T/out"
	assert_empty "$T/err" "$h wrote to stderr"
done
evm_raw 0 -c "$T/no-such.conf" --help
assert_grep '^usage: evmaint' "$T/out"
evm_raw 0 init --help
assert_grep '^usage: evmaint' "$T/out"
assert_no_file "$T/srv" "init --help did something"
for v in --version -V; do
	evm_raw 0 "$v"
	assert_grep '^evmaint [0-9]+\.[0-9]+' "$T/out" "$v does not print 'evmaint VERSION'"
	assert_eq "$(wc -l <"$T/out")" 1 "$v prints more than one line"
	if [ -n "${EVMAINT_VERSION:-}" ]; then
		assert_eq "$(cat "$T/out")" "evmaint $EVMAINT_VERSION" "$v is not the configured version"
	fi
	assert_empty "$T/err"
done
# with --json, one JSON object (the text in "usage" or "version"), nothing else
for a in "--json --help" "--json help" "--json help rotate" "--json rotate --help" "--json -V" "--json --version"; do
	# shellcheck disable=SC2086 # the words of $a, split on purpose
	evm_raw 0 $a
	json_check "$T/out"
	assert_empty "$T/err" "$a wrote to stderr"
	case $a in
	*-V | *--version) assert_json "$T/out" 'd["command"] == "version" and d["version"] and d["exit"] == 0' ;;
	*rotate*) assert_json "$T/out" '"usage: evmaint" in d["usage"] and "--force" in d["usage"] and d["errors"] == []' ;;
	*) assert_json "$T/out" '"usage: evmaint" in d["usage"] and "check-config" in d["usage"]' ;;
	esac
done
ok "--help/-h print the usage, --version/-V 'evmaint VERSION', exit 0; with --json as one JSON object"

# --- 5. global options after the command
evm_run 0 init --dry-run
assert_all_lines '^would ' "$T/out"
assert_nonempty "$T/out"
assert_no_file "$T/srv" "init --dry-run (option after the command) changed something"
evm_run 0 init -n --json
json_check "$T/out"
assert_json "$T/out" 'd["changed"] is True'
assert_no_file "$T/srv" "init -n --json changed something"
evm_run 0 check-config --root "$T/elsewhere"
assert_grep "^root = $T/elsewhere\$" "$T/out" "check-config --root (after the command) was ignored"
evm_run 0 init -q
assert_empty "$T/out" "init -q printed on stdout"
assert_file "$ROOT/deploy/deploy.log" "init -q did not do the work"
ok "global options are accepted after the command (init --dry-run, -n --json, -q)"

# --- 6. --root, --archive-dir and --state override the config
t_setup
evm_run 0 --root "$T/r2" --archive-dir "$T/a2" --state "$T/s2/state" init
assert_file "$T/r2/deploy/deploy.log" "--root was ignored"
assert_dir "$T/a2" "--archive-dir was ignored"
assert_file "$T/s2/state.lock" "--state was ignored (no lock beside it)"
assert_no_file "$ROOT" "the config's root was used despite --root"
assert_no_file "$ARCH" "the config's archive_dir was used despite --archive-dir"
assert_no_file "$STATE.lock" "the config's state_file was used despite --state"
ok "--root, --archive-dir and --state override the config"

# --- 7. no colours or control sequences, whatever TERM says; cron's environment
t_setup
mkdir -p "$T/outside" "$ROOT"
chmod 0750 "$ROOT"
ln -s "$T/outside" "$ROOT/deploy"
TERM=xterm-256color evm_run 1 init
if grep -q "$(printf '\033')" "$T/out" "$T/err"; then
	fail "escape sequences in the output with TERM=xterm-256color and no TTY"
fi
t_setup
t_run 0 env -i PATH=/usr/bin:/bin HOME=/root "$EVMAINT" -c "$T/evmaint.conf" init
assert_file "$ROOT/deploy/deploy.log"
ok "no escape sequences without a TTY; works in cron's bare environment"

# --- 8. output that cannot be written (a full disk under `status
# --prometheus > file`): said, exit 1, never a half file and exit 0; a pipe
# whose reader left early is no error
t_setup
evm_run 0 init
for args in "status" "status --prometheus" "check-config" "--json status" "help"; do
	rc=0
	# shellcheck disable=SC2086 # the arguments split on purpose
	evm $args >/dev/full 2>"$T/err" || rc=$?
	assert_eq "$rc" 1 "'evmaint $args > /dev/full': exit status"
	assert_fgrep "evmaint: error: writing the output" "$T/err" "'evmaint $args > /dev/full'"
done
rc=0
evm status 2>"$T/err" | true || rc=$?
assert_no_grep 'writing the output' "$T/err" "a reader leaving the pipe counted as an error"
ok "stdout that cannot be written: 'writing the output', exit 1; a reader leaving a pipe: no error"

# --- 9. fds 0-2 closed by the caller: a message for stderr never lands in
# a file or directory evmaint opened (which one took fd 2 depends on the
# run: the lock file, the state directory); every one goes to /dev/null
t_setup
evm_run 0 init
rm -rf "${ARCH:?}"
seq 5 >>"$ROOT/deploy/deploy.log"
rc=0
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" EVMAINT_NOW="2026-11-25 02:00:00" \
	strace -f -y -e trace=write -o "$T/trace" \
	"$EVMAINT" -c "$T/evmaint.conf" rotate <&- >&- 2>&- || rc=$?
assert_eq "$rc" 1 "rotate with fds 0-2 closed and archive_dir missing"
assert_grep '^[0-9]+ +write\([0-9]+</dev/null>, "evmaint: error: archive_dir' "$T/trace" \
	"the error about archive_dir was not written to /dev/null"
assert_no_grep 'write\([0-9]+<(/[^d]|/d[^e]|/de[^v])[^>]*>, "(evmaint: |rotated |compressed )' "$T/trace" \
	"a message was written to a file or directory evmaint opened"
assert_no_grep 'evmaint' "$STATE.lock" "a message was written into the lock file"
ok "fds 0-2 closed: every message goes to /dev/null, none into a file evmaint opened"

# --- 10. a tree of more directories than the soft fd limit (systemd and
# shells give 1024; the walk holds one descriptor a directory): rotated
t_setup
evm_run 0 init
for i in $(seq 1 150); do
	mkdir -m 0750 "$ROOT/d$i"
	echo "a line" >"$ROOT/d$i/d$i.log"
	chmod 0640 "$ROOT/d$i/d$i.log"
done
rc=0
(ulimit -Sn 64 && EVMAINT_NOW="2026-11-25 02:00:00" "$EVMAINT" -c "$T/evmaint.conf" -q rotate) >"$T/out" 2>"$T/err" || rc=$?
assert_eq "$rc" 0 "rotate of 150 directories under a soft limit of 64 fds: $(head -3 "$T/err")"
assert_file "$ROOT/d150/d150.log.1.gz"
ok "150 directories under a soft fd limit of 64: the soft limit raised to the hard one, all rotated"

# --- 11. a file-size limit (ulimit -f, limits.conf's fsize): a write past
# it is an error evmaint handles (EFBIG), not SIGXFSZ killing it mid-step.
# run gives the lines the log cannot take on stderr and still writes its
# END there; rotate keeps the generation whole and the next run compresses
# it. The command run starts gets the signal's default back.
t_setup
evm_run 0 init
rc=0
# shellcheck disable=SC2016 # the inner shell's
prlimit --fsize=12288 -- "$EVMAINT" -c "$T/evmaint.conf" run --log deploy -- sh -c \
	'i=0; while [ $i -lt 250 ]; do echo "line $i padding padding"; i=$((i+1)); done' \
	>"$T/out" 2>"$T/err" </dev/null || rc=$?
assert_eq "$rc" 0 "run past a file-size limit: $(head -3 "$T/err")"
assert_fgrep "deploy/deploy.log: cannot append: File too large; the lines go to stderr" "$T/err"
assert_grep 'deploy\[[0-9]+\]: line 249 padding padding$' "$T/err"
assert_grep 'deploy\[[0-9]+\]: END exit=0 duration=' "$T/err"
rc=0
# shellcheck disable=SC2016 # the inner shell's
prlimit --fsize=12288 -- "$EVMAINT" -c "$T/evmaint.conf" run -- sh -c \
	'exec head -c 20000 /dev/zero >"$1"' sh "$T/big" >"$T/out" 2>"$T/err" </dev/null || rc=$?
assert_eq "$rc" $((128 + 25)) "the command run starts does not get SIGXFSZ back"
assert_grep 'END signal=XFSZ' "$ROOT/sh/sh.log"
head -c 300000 /dev/urandom | base64 >"$ROOT/deploy/deploy.log"
rc=0
EVMAINT_NOW="2026-11-25 02:00:00" prlimit --fsize=100000 -- "$EVMAINT" -c "$T/evmaint.conf" rotate \
	>"$T/out" 2>"$T/err" </dev/null || rc=$?
assert_eq "$rc" 1 "rotate past a file-size limit"
assert_fgrep "deploy/deploy.log.1: not compressed (compress: File too large)" "$T/err"
assert_file "$ROOT/deploy/deploy.log.1"
at "2026-11-25 02:00:00" evm_run 0 rotate --force
assert_file "$ROOT/deploy/deploy.log.1.gz"
assert_no_file "$ROOT/deploy/deploy.log.1"
ok "a file-size limit: EFBIG handled as an error by run and rotate, SIGXFSZ back to its default for the command"

exit 0
