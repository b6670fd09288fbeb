#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# evmaint run: a script's stdout and stderr in its log, each line stamped
# "TIME TAG[PID]: ", stderr marked, between START and END lines; the exit
# status passed through (0, 3, 127 not found, 126 not executable, 143 after
# TERM) and a failure in error.log; signals passed on to the script; a
# partial last line kept, a long line split at 64 KiB; the log and its
# directory created with the configured mode and owner; a log path that
# leaves the tree or goes through a symlink refused; cron's surroundings
# (no terminal, closed fds, PATH=/usr/bin:/bin); --pty; --dry-run.
. "$(dirname "$0")/common.sh"

need_root # the tree is root's, and the configured owner is checked

STAMP_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}'

t_setup "mode = 0600" "dir_mode = 0700" "group = daemon"
evm_run 0 init
mkdir "$T/bin"
script() { # NAME BODY: an executable sh script in $T/bin
	printf '#!/bin/sh\n%s\n' "$2" >"$T/bin/$1"
	chmod 0755 "$T/bin/$1"
}

# --- 1. line format, stderr marking, the log created on the fly
# shellcheck disable=SC2016 # the scripts' own $1
script deploy.sh 'echo "fetching release $1"; echo "warning: cache cold" >&2; echo done'
evm_run 0 run -- "$T/bin/deploy.sh" 41 --prod
LOG=$ROOT/deploy/deploy.log
assert_file "$LOG"
assert_mode "$LOG" 0600 "the log run created"
assert_owner "$LOG" root:daemon "the log run created"
assert_eq "$(wc -l <"$LOG")" 5 "lines in the log"
assert_all_lines "^$STAMP_RE deploy\[[0-9]+\]: " "$LOG" "every line stamped with the tag and a pid"
[ "$(sed -E 's/^[^ ]+ deploy\[([0-9]+)\]: .*/\1/' "$LOG" | sort -u | wc -l)" = 1 ] ||
	fail "the lines of one run carry different pids: $(cat "$LOG")"
sed -E "s/^$STAMP_RE deploy\[[0-9]+\]: //" "$LOG" >"$T/body"
printf '%s\n' "START $T/bin/deploy.sh 41 --prod" "fetching release 41" \
	"stderr: warning: cache cold" "done" >"$T/want"
head -n 4 "$T/body" | sort >"$T/got4"
sort "$T/want" >"$T/want4"
assert_same "$T/want4" "$T/got4" "the lines of the run"
assert_eq "$(head -n 1 "$T/body")" "START $T/bin/deploy.sh 41 --prod" "the first line"
assert_grep '^END exit=0 duration=[0-9]+\.[0-9]{3}s$' <(tail -n 1 "$T/body") "the END line"
assert_no_file "$ROOT/error.log.unused"
if [ -f "$ROOT/error.log" ]; then
	assert_no_grep 'deploy\[' "$ROOT/error.log" "a success is not an error"
fi
evm_run 0 run --log deploy -- true "it's" 'a b' '' "$(printf 'x\ny')"
assert_fgrep "START true 'it\x27s' 'a b' '' x\x0ay" "$LOG" \
	"START's arguments: a quote inside quoting as \\x27, a blank quoted, a newline as \\x0a"
ok "line format: START, stdout, stderr marked, END exit=0 with ms"

script newjob.sh 'echo one'
evm_run 0 run -- "$T/bin/newjob.sh"
assert_dir "$ROOT/newjob"
assert_mode "$ROOT/newjob" 0700 "a directory run created"
assert_owner "$ROOT/newjob" root:daemon "a directory run created"
assert_mode "$ROOT/newjob/newjob.log" 0600
assert_grep 'newjob\[[0-9]+\]: one$' "$ROOT/newjob/newjob.log"
assert_no_tmp "$ROOT"
ok "a new script's directory and log created with dir_mode, mode and owner"

# eight runs creating one new log at once: each one's lines are there
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$EVMAINT" -q -c "$T/evmaint.conf" run --log crowd -- echo "hello $i" >"$T/crowd.$i" 2>&1 &
	pids+=("$!")
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a concurrent run failed: $(cat "$T"/crowd.*)"
done
for i in 1 2 3 4 5 6 7 8; do
	assert_grep "crowd\[[0-9]+\]: hello $i$" "$ROOT/crowd/crowd.log" "run $i's line"
	assert_empty "$T/crowd.$i" "run $i said something"
done
assert_eq "$(grep -c ': END exit=0 ' "$ROOT/crowd/crowd.log")" 8 "END lines of 8 concurrent runs"
assert_no_tmp "$ROOT"
ok "8 runs creating one log at the same time: every line kept"

evm_run 3 --json run --log newjob -- sh -c 'echo hi; exit 3'
json_check "$T/out"
assert_json "$T/out" "d['exit'] == 3 and d['exit_status'] == 3 and d['tag'] == 'newjob' and d['log'] == 'newjob/newjob.log' and d['duration_seconds'] >= 0 and d['pid'] > 1" \
	"--json: one object with the run's log, tag, pid, status and duration"
ok "--json run"

# --- 2. exit statuses and error.log
script three.sh 'echo about to fail; exit 3'
evm_run 3 run --log deploy -- "$T/bin/three.sh"
assert_grep "deploy\[[0-9]+\]: END exit=3 duration=[0-9]+\.[0-9]{3}s$" "$LOG"
assert_grep "^$STAMP_RE deploy\[[0-9]+\]: ERROR $T/bin/three.sh exited 3 after [0-9.]+s \(deploy/deploy.log\)$" "$ROOT/error.log" \
	"the failure in error.log"

evm_run 127 run --log deploy -- no-such-command-evm
assert_fgrep "evmaint: error: cannot run no-such-command-evm: No such file" "$T/err" "the message for a command not found"
assert_grep "deploy\[[0-9]+\]: END exit=127 " "$LOG"
assert_grep "deploy\[[0-9]+\]: ERROR cannot run no-such-command-evm: .*exit 127" "$ROOT/error.log"
assert_eq "$(grep -c 'no-such-command-evm' "$ROOT/error.log")" 1 "error.log lines for one command not found"
evm_run 127 --json run --log deploy -- no-such-command-evm
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit"] == 127, d
assert any("cannot run no-such-command-evm" in e["message"] for e in d["errors"]), d' "$T/out" ||
	fail "--json run of a command not found: no error in \"errors\": $(cat "$T/out")"

printf 'echo not run\n' >"$T/bin/noexec.sh"
chmod 0644 "$T/bin/noexec.sh"
evm_run 126 run --log deploy -- "$T/bin/noexec.sh"
assert_fgrep "noexec.sh" "$T/err" "the message for a file that is not executable"
assert_grep "deploy\[[0-9]+\]: END exit=126 " "$LOG"
# A file without #! is not handed to a shell: no shell anywhere.
printf 'touch %s/ran\n' "$T" >"$T/bin/noshebang"
chmod 0755 "$T/bin/noshebang"
evm_run 126 run --log deploy -- "$T/bin/noshebang"
assert_no_file "$T/ran" "a script without #! was run by a shell"

script selfkill.sh 'echo going; kill -TERM $$; sleep 5'
evm_run 143 run --log deploy -- "$T/bin/selfkill.sh"
assert_grep "deploy\[[0-9]+\]: END signal=TERM duration=[0-9]+\.[0-9]{3}s$" "$LOG"
assert_grep "deploy\[[0-9]+\]: ERROR $T/bin/selfkill.sh killed by signal TERM after " "$ROOT/error.log"
ok "exit statuses 3, 127, 126 (also without #!), 143 for TERM; failures in error.log"

# --- 3. signals passed on
# (bounded, so that a broken forwarding leaves nothing running for long)
# shellcheck disable=SC2016 # $SIG and $i are the script's
script trapper.sh 'trap "echo got-\$SIG; exit 7" $SIG; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done'
for sig in TERM HUP INT; do
	: >"$LOG"
	# A SIGINT ignored on entry stays ignored in every child, and a
	# shell cannot trap it: the suite started in the background of a
	# script (CI's own `cmd &`) would see the script keep running. So
	# the default: job control keeps bash from ignoring it for its
	# background job, env from what the suite inherited.
	set -m
	SIG=$sig env --default-signal=INT "$EVMAINT" -c "$T/evmaint.conf" run --log deploy -- "$T/bin/trapper.sh" >"$T/out" 2>"$T/err" &
	pid=$!
	set +m
	T_PIDS+=("$pid")
	wait_until 10 grep -q ': ready$' "$LOG" || fail "the script did not start"
	kill -"$sig" "$pid"
	wait_until 10 grep -q ': END ' "$LOG" || fail "SIG$sig was not passed on: the script still runs"
	rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 7 "run's status after SIG$sig passed on to a script that exits 7"
	assert_grep "deploy\[[0-9]+\]: got-$sig$" "$LOG" "the script saw SIG$sig"
	assert_grep "deploy\[[0-9]+\]: END exit=7 " "$LOG"
done
script sleeper.sh 'echo ready; sleep 20; echo never'
: >"$LOG"
"$EVMAINT" -c "$T/evmaint.conf" run --log deploy -- "$T/bin/sleeper.sh" >"$T/out" 2>"$T/err" &
pid=$!
T_PIDS+=("$pid")
wait_until 10 grep -q ': ready$' "$LOG" || fail "the script did not start"
kill -TERM "$pid"
wait_until 10 grep -q ': END ' "$LOG" || fail "TERM was not passed on: the script still runs"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 143 "run's status after TERM killed the script"
assert_grep "END signal=TERM " "$LOG"
ok "TERM, HUP and INT passed on to the script; a script killed by it: 143"

# --- 4. partial last line, long lines
script partial.sh 'echo first; printf "no newline at the end"'
: >"$LOG"
evm_run 0 run --log deploy -- "$T/bin/partial.sh"
assert_grep "deploy\[[0-9]+\]: no newline at the end$" "$LOG" "the partial last line"
assert_grep "END exit=0" <(tail -n 1 "$LOG") "END after the partial line"

: >"$LOG"
python3 -c 'import sys; sys.stdout.write("a" * 1048576 + "\n" + "b" * 65536 + "\n" + "c" * 65537 + "\n")' >"$T/big"
script big.sh "cat $T/big"
evm_run 0 run --log deploy -- "$T/bin/big.sh"
sed -E "s/^$STAMP_RE deploy\[[0-9]+\]: //" "$LOG" | grep -v -E '^(START|END) ' >"$T/body"
awk '{ print substr($0, 1, 1), length($0) }' "$T/body" | sort | uniq -c | awk '{ print $2, $3, $1 }' >"$T/shape"
printf '%s\n' "a 65536 16" "b 65536 1" "c 1 1" "c 65536 1" >"$T/want"
assert_same "$T/want" "$T/shape" "1 MiB split into 16 lines of 64 KiB, 64 KiB kept whole, 64 KiB + 1 split"
ok "a partial last line written; a 1 MiB line split at 64 KiB"

# a background process that keeps the pipes open does not hold run up
: >"$LOG"
t0=$(now_s)
evm_run 0 run --log deploy -- sh -c 'sleep 60 & echo left-behind'
assert_lt "$(elapsed "$t0")" 30 "run waited for the background process"
assert_grep "deploy\[[0-9]+\]: left-behind$" "$LOG"
assert_grep "END exit=0" <(tail -n 1 "$LOG")
ok "a background process holding the pipes: run ends with its command"

# --- 5. cron: no terminal, fds 0-2 closed, PATH=/usr/bin:/bin, cwd /
: >"$LOG"
rc=0
(cd / && env -i PATH=/usr/bin:/bin HOME=/root "$EVMAINT" -c "$T/evmaint.conf" \
	run --log deploy -- sh -c 'echo from-cron; ls /nonexistent-evm' <&- >&- 2>&-) || rc=$?
assert_eq "$rc" 2 "the status of ls under cron's surroundings"
assert_grep "deploy\[[0-9]+\]: START sh -c 'echo from-cron; ls /nonexistent-evm'$" "$LOG"
assert_grep "deploy\[[0-9]+\]: from-cron$" "$LOG"
assert_grep "deploy\[[0-9]+\]: stderr: ls: .*nonexistent-evm" "$LOG"
ok "under cron's surroundings (closed fds, minimal PATH): captured"

# --- 6. --pty: stdout a terminal (for programs that buffer into a pipe),
# bytes as written (no \r), stderr still a pipe and marked; -n runs nothing
script ttycheck.sh 'if [ -t 1 ]; then echo stdout-tty; else echo stdout-pipe; fi; if [ -t 2 ]; then echo stderr-tty >&2; else echo stderr-pipe >&2; fi; printf "last"'
: >"$LOG"
evm_run 0 run --pty --log deploy -- "$T/bin/ttycheck.sh"
assert_grep "deploy\[[0-9]+\]: stdout-tty$" "$LOG"
assert_grep "deploy\[[0-9]+\]: stderr: stderr-pipe$" "$LOG"
assert_grep "deploy\[[0-9]+\]: last$" "$LOG"
assert_no_grep $'\r' "$LOG" "a carriage return from the terminal"
evm_run 0 run --log deploy -- "$T/bin/ttycheck.sh"
assert_grep "deploy\[[0-9]+\]: stdout-pipe$" "$LOG"
snap dry "$ROOT"
evm_run 0 -n run -- touch "$T/ran"
assert_no_file "$T/ran" "a dry run ran the command"
assert_fgrep "would run touch: output to touch/touch.log" "$T/out"
assert_unchanged dry "$ROOT"
ok "--pty: stdout a terminal, raw; stderr a pipe; -n: nothing run, nothing created"

# --- 7. bad log paths are refused before anything runs
# (a name stamped raw on every line is UTF-8 text, no C1 control)
for bad in ../x.log /tmp/x.log deploy/../x.log deploy/x.txt 'a b' \
	"$(printf 'q\376r')" "$(printf 'c1\302\233x')" "$(printf 'deploy/q\376r.log')"; do
	evm_run 64 run --log "$bad" -- touch "$T/ran"
	assert_no_file "$T/ran" "the command ran although --log '$bad' was refused"
done
cp "$(command -v touch)" "$T/$(printf 'q\376r')"
evm_run 64 run -- "$T/$(printf 'q\376r')" "$T/ran"
assert_no_file "$T/ran" "a command whose name is not UTF-8 ran with that name as its tag"
assert_fgrep 'not UTF-8 text' "$T/err"
printf 'bogus = 1\n' >"$T/bad.conf"
evm_raw 78 -c "$T/bad.conf" run -- touch "$T/ran"
assert_no_file "$T/ran" "the command ran with a bad configuration"
mkdir -p "$T/elsewhere"
ln -s "$T/elsewhere" "$ROOT/evil"
evm_run 1 run --log evil/evil.log -- touch "$T/ran"
assert_no_file "$T/ran" "the command ran with its log through a symlinked directory"
assert_no_file "$T/elsewhere/evil.log"
assert_fgrep "evil" "$T/err"
mkdir -m 0700 "$ROOT/sl"
echo secret >"$T/target"
ln -s "$T/target" "$ROOT/sl/sl.log"
evm_run 0 run --log sl -- echo through-symlink
assert_eq "$(cat "$T/target")" secret "a line was written through a symlinked log"
assert_fgrep "through-symlink" "$T/err" "the line not written to the log goes to stderr"
mkdir -m 0777 "$ROOT/open"
evm_run 1 run --log open/open.log -- touch "$T/ran"
assert_no_file "$T/ran"
ok "a bad config (78); --log outside the tree, with '..', not .log, through a symlink, or in a world-writable directory: refused, nothing run"

# --- 8. a log that does not end in a newline (a write torn by a full disk):
# run's lines start on a line of their own, and report counts the run
D='[s for s in d["scripts"] if s["script"] == "deploy"][0]'
evm_run 0 --json report deploy
runs=$(json_get "$T/out" "${D}['runs']")
printf 'a torn line' >>"$LOG"
evm_run 0 run --log deploy -- echo after-the-torn-line
assert_grep '^a torn line$' "$LOG" "the torn line is not ended before run's lines"
assert_grep "^$STAMP_RE deploy\[[0-9]+\]: START echo after-the-torn-line\$" "$LOG" \
	"run's START line does not begin a line"
evm_run 0 --json report deploy
assert_json "$T/out" "${D}['runs'] == $runs + 1" "report does not count deploy's run after the torn line"
ok "a log ending in a torn line: run's lines begin a line of their own, report counts the run"

# --- 9. the temporary file of a script record whose run was killed (run
# takes no lock: each writes under a name of its process's): removed by the
# next rotate once that process is gone, never while it lives
rm -rf "${ROOT:?}/evil" "$ROOT/sl" "$ROOT/open" # section 7's, refused by rotate
SDIR=$(dirname "$STATE")
SB=$(basename "$STATE")
sleep 600 &
alive=$!
true &
wait $!
dead=$!
for n in "run.deploy.$dead" "run.deploy.$alive" "run.deploy" "1.$SB.run.deploy.$dead"; do
	case $n in 1.*) f=$SDIR/.evmaint-tmp.$n ;; *) f=$SDIR/.evmaint-tmp.$SB.$n ;; esac
	printf 'evmaint-run 1 deploy deploy/deploy.log 1 0.1 0 1\n' >"$f"
done
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_no_file "$SDIR/.evmaint-tmp.$SB.run.deploy.$dead" "a dead run's record temporary left"
assert_no_file "$SDIR/.evmaint-tmp.$SB.run.deploy" "an older version's record temporary left"
assert_no_file "$SDIR/.evmaint-tmp.1.$SB.run.deploy.$dead" "a dead run's second-choice temporary left"
assert_file "$SDIR/.evmaint-tmp.$SB.run.deploy.$alive" "a live run's record temporary removed"
assert_fgrep "$SDIR/.evmaint-tmp.$SB.run.deploy.$dead" "$T/out" "the removal is not reported"
kill "$alive"
wait "$alive" 2>/dev/null || true
at "2026-11-26 02:00:00" evm_run 0 rotate
assert_no_file "$SDIR/.evmaint-tmp.$SB.run.deploy.$alive" "the record temporary left once its run is gone"
ok "script records' temporaries of runs killed: removed by rotate once their process is gone, kept while it lives"

# --- 10. a full disk part way through a batch: the lines the log took are
# not given again on stderr; the rest are, from the start of the torn line,
# so every line is whole once in the log or on stderr (a 64 KiB tmpfs)
mkdir "$ROOT/full"
chmod 0750 "$ROOT/full"
# a failure in it must not leave the tmpfs mounted
# shellcheck disable=SC2317 # called by the EXIT trap
full_cleanup() {
	local rc=$?
	umount "$ROOT/full" 2>/dev/null
	(exit "$rc")
	t_cleanup
}
if mount -t tmpfs -o size=64k,mode=0750 tmpfs "$ROOT/full" 2>"$T/mount.err"; then
	trap full_cleanup EXIT
	# shellcheck disable=SC2016 # the inner shell's
	evm_run 0 run --log full/full.log -- sh -c \
		'i=0; while [ $i -lt 3000 ]; do echo "line $i padding padding padding"; i=$((i+1)); done'
	assert_fgrep "full/full.log: cannot append: No space left on device; the lines go to stderr" "$T/err"
	assert_fgrep "line 2999 padding padding padding" "$T/err"
	{
		grep -a -o 'line [0-9]* padding padding padding$' "$ROOT/full/full.log"
		grep -a -o 'line [0-9]* padding padding padding$' "$T/err"
	} | LC_ALL=C sort >"$T/whole"
	if [ "$(wc -l <"$T/whole")" -ne 3000 ] || [ "$(uniq <"$T/whole" | wc -l)" -ne 3000 ]; then
		fail "not every line whole once in the log or on stderr: $(wc -l <"$T/whole") lines, $(uniq -d "$T/whole" | sed -n 1,3p)"
	fi
	grep -q 'line [0-9]* padding padding padding$' "$ROOT/full/full.log" ||
		fail "the log took no line before the disk was full: the test proves nothing"
	umount "$ROOT/full"
	trap t_cleanup EXIT
	ok "a full disk part way: every line whole once, in the log or on stderr"
else
	echo "note: the full disk not tried: mount -t tmpfs failed: $(cat "$T/mount.err")"
fi
rmdir "$ROOT/full"

# --- 11. a run killed before renaming its record, when the record's
# temporary name is too long for a file name (a long or non-ASCII tag: its
# %-escaped form) and so hashed: rotate still removes it once its process is
# gone; an older version's (no .PID) once it is an hour old
if command -v strace >/dev/null 2>&1; then
	SDIR=$(dirname "$STATE")
	TAG='журнал_ежедневного_резервного_копирования'
	evm_run 0 run --log "$TAG" -- echo first
	rc=0
	{ ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -o /dev/null \
		-e inject=renameat:signal=SIGKILL:when=1 \
		"$EVMAINT" -c "$T/evmaint.conf" run --log "$TAG" -- echo second \
		>/dev/null 2>&1 </dev/null; } 2>/dev/null || rc=$?
	assert_eq "$rc" 137 "the run was not killed before its record's rename"
	left=$(find "$SDIR" -maxdepth 1 -name '.evmaint-tmp.long-*.[0-9]*' | head -1)
	[ -n "$left" ] || fail "setup: no hashed record temporary left: $(ls -a "$SDIR")"
	: >"$SDIR/.evmaint-tmp.long-0123456789abcdef"
	touch -d '-2 hours' "$SDIR/.evmaint-tmp.long-0123456789abcdef"
	: >"$SDIR/.evmaint-tmp.long-fedcba9876543210"
	at "2026-11-27 02:00:00" evm_run 0 rotate
	assert_no_file "$left" "a hashed record temporary of a dead run left"
	assert_fgrep "removed $left: leftover of an interrupted run" "$T/out"
	assert_no_file "$SDIR/.evmaint-tmp.long-0123456789abcdef" "an older version's hashed temporary left"
	assert_file "$SDIR/.evmaint-tmp.long-fedcba9876543210" "a fresh hashed temporary (a live run's maybe) removed"
	rm -f "$SDIR/.evmaint-tmp.long-fedcba9876543210"
	ok "a killed run's record temporary under a hashed name: removed by rotate"
else
	echo "note: no strace: the hashed record temporary is not tried"
fi

exit 0
