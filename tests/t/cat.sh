#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# evmaint cat: six nights with rotate = 2, so that the days live in nightly
# archives, in the tree's generations and in the live log (and a snapshot
# lies beside them): every line once, oldest first; the window's edges as
# evmaint(8) defines TIME; continuation lines kept with their line, also
# across a rotation; several logs merged by time, stable; a corrupt archive
# member named by log and day, the rest still printed, exit 1; a missing
# log; symlinks and '..' refused; $PAGER only on a terminal; nothing in the
# tree or archive_dir changes.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root
need_tzdata
need python3

# day_lines N: the deploy lines of 2026-11-0N, except the continuation of
# its last line, which is written after the night's rotation.
day_lines() {
	local d=2026-11-0$1
	printf '%sT00:00:00+01:00 deploy[1]: day %s first\n' "$d" "$1"
	printf '%sT09:15:00+01:00 deploy[1]: day %s with a trace\n' "$d" "$1"
	printf '    at frame %s.1\n    at frame %s.2\n' "$1" "$1"
	printf '%sT14:30:%s+01:00 deploy[1]: day %s at 14:30:%s\n' \
		"$d" 29 "$1" 29 "$d" 30 "$1" 30 "$d" 59 "$1" 59
	printf '%sT14:31:00+01:00 deploy[1]: day %s at 14:31:00\n' "$d" "$1"
	printf '%sT23:59:59+01:00 deploy[1]: day %s last\n' "$d" "$1"
}
day_tail() {
	printf '    continued %s.1\n    continued %s.2\n' "$1" "$1"
}
err_lines() {
	printf '2026-11-0%sT14:30:59+01:00 evmaint[2]: ERROR day %s\n' "$1" "$1"
}

t_setup "rotate = 2"
at "2026-11-01 00:00:00" evm_run 0 init
D=$ROOT/deploy
: >"$T/expect"
: >"$T/err-expect"
for n in 1 2 3 4 5 6 7; do
	day_lines "$n" | tee -a "$T/expect" >>"$D/deploy.log"
	err_lines "$n" | tee -a "$T/err-expect" >>"$ROOT/error.log"
	# a file's mtime is its last write, as in life
	touch -d "2026-11-0$n 23:59:59" "$D/deploy.log" "$ROOT/error.log"
	[ "$n" = 7 ] && break
	at "2026-11-0$((n + 1)) 02:00:00" evm_run 0 rotate
	day_tail "$n" | tee -a "$T/expect" >>"$D/deploy.log"
	[ "$n" = 4 ] && at "2026-11-05 10:00:00" evm_run 0 archive
done
day_tail 7 | tee -a "$T/expect" >>"$D/deploy.log"
narc=$(find "$ARCH" -name 'event-*.tar' | wc -l)
ngen=$(find "$D" -name 'deploy.log.*' | wc -l)
if [ "$narc" -lt 3 ] || [ "$ngen" != 2 ]; then
	fail "setup: $narc nightly archives, $ngen generations in the tree"
fi
snap before -t "$ROOT" "$ARCH"

# --- 1. every line once, in order, across archives, generations, live log
evm_run 0 cat deploy
assert_same "$T/out" "$T/expect" "cat deploy: the whole history"
evm_run 0 cat deploy/deploy.log
assert_same "$T/out" "$T/expect" "cat by the path relative to root"
assert_empty "$T/err"
ok "six nights: archives, generations and the live log, each line once"

# --- 2. the window's edges
# lines between two anchors of the expected text, both included
between() {
	awk -v a="$1" -v b="$2" 'index($0, a) { on = 1 } on { print }
		on && b != "" && index($0, b) { exit }' "$T/expect"
}
evm_run 0 cat --since 2026-11-03 --until 2026-11-03 deploy
between "day 3 first" "continued 3.2" >"$T/want"
assert_same "$T/out" "$T/want" "one whole day, with its last line's continuation from the next generation"
evm_run 0 cat --until 2026-11-04T14:30 deploy
between "day 1 first" "day 4 at 14:30:59" >"$T/want"
assert_same "$T/out" "$T/want" "--until a minute keeps its 59th second"
evm_run 0 cat --since 2026-11-04T14:30:30 --until 2026-11-04T14:30:59 deploy
between "day 4 at 14:30:30" "day 4 at 14:30:59" >"$T/want"
assert_same "$T/out" "$T/want" "--since/--until to the second, both included"
evm_run 0 cat --since 2026-11-04 --until 2026-11-04T00:00:00 deploy
between "day 4 first" "day 4 first" >"$T/want"
assert_same "$T/out" "$T/want" "--since a day does not take the last line's continuation before it"
at "2026-11-07 12:00:00" evm_run 0 cat --since -12h deploy
between "day 7 first" "" >"$T/want"
assert_same "$T/out" "$T/want" "--since -12h"
at "2026-11-07 12:00:00" evm_run 0 cat --since -2d --until -2d deploy
[ ! -s "$T/out" ] || fail "--since -2d --until -2d is one second, no line then: $(cat "$T/out")"
evm_run 0 cat --since 2026-12-01 deploy
assert_empty "$T/out" "a window after every line"
if command -v strace >/dev/null 2>&1; then
	# archives written before the window's start are not even opened
	# LeakSanitizer cannot work under ptrace
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=openat -o "$T/strace" "$EVMAINT" -c "$T/evmaint.conf" \
		cat --since 2026-11-06 deploy >"$T/out" 2>/dev/null
	between "day 6 first" "" >"$T/want"
	assert_same "$T/out" "$T/want" "--since 2026-11-06 under strace"
	assert_no_grep 'event-2026110[45]T' "$T/strace" "an archive from before the window was opened"
	assert_grep 'event-20261106T' "$T/strace"
fi

evm_run 64 cat --since 2026-11-31 deploy
assert_grep "2026-11-31" "$T/err"
evm_run 64 cat --until yesterday deploy
evm_run 64 --json cat deploy
assert_no_grep "day 1" "$T/out"
ok "window edges: a day, a minute, a second, relative, empty, invalid"

# --- 3. several logs merged by time, stable, prefixed
evm_run 0 cat --since 2026-11-02T14:30:30 --until 2026-11-02T14:31 deploy error
cat >"$T/want" <<'EOF'
deploy: 2026-11-02T14:30:30+01:00 deploy[1]: day 2 at 14:30:30
deploy: 2026-11-02T14:30:59+01:00 deploy[1]: day 2 at 14:30:59
error: 2026-11-02T14:30:59+01:00 evmaint[2]: ERROR day 2
deploy: 2026-11-02T14:31:00+01:00 deploy[1]: day 2 at 14:31:00
EOF
assert_same "$T/out" "$T/want" "merged: equal times keep the order of the arguments"
evm_run 0 cat --since 2026-11-02T14:30:59 --until 2026-11-02T14:30:59 error.log deploy
printf '%s\n' "error: 2026-11-02T14:30:59+01:00 evmaint[2]: ERROR day 2" \
	"deploy: 2026-11-02T14:30:59+01:00 deploy[1]: day 2 at 14:30:59" >"$T/want"
assert_same "$T/out" "$T/want" "merged: the other order of arguments"
evm_run 0 cat deploy error deploy/deploy.log
sed 's/^deploy: //; /^error: /d' "$T/out" >"$T/got"
assert_same "$T/got" "$T/expect" "merged: all of deploy, once, continuation lines with their line"
sed -n 's/^error: //p' "$T/out" >"$T/got"
assert_same "$T/got" "$T/err-expect" "merged: all of error.log, once"
ok "merged logs"

# --- 4. nothing changed anywhere
assert_unchanged before -t "$ROOT" "$ARCH"
ok "the tree and archive_dir unchanged (inodes, times, contents)"

# --- 5. missing logs, refused names
evm_run 1 cat nosuch
assert_grep "nosuch" "$T/err"
assert_empty "$T/out"
evm_run 1 cat deploy nosuch/nosuch.log
assert_grep "nosuch/nosuch.log" "$T/err"
evm_run 1 cat nosuch deploy
assert_same "$T/out" "$T/expect" "a missing log is no reason to hold back the others"
# a name no log can have is a usage error, as for run --log: nothing read
for bad in ../deploy/deploy.log /etc/passwd.log deploy/../error.log; do
	evm_run 64 cat deploy "$bad"
	assert_grep "'\\.\\.'|absolute|relative" "$T/err" "refusal of $bad"
	assert_empty "$T/out" "nothing printed when $bad is refused"
	evm_run 64 run --log "$bad" -- true
done
mkdir "$T/elsewhere"
printf '2026-11-01T00:00:00+01:00 secret\n' >"$T/elsewhere/sneaky.log"
ln -s "$T/elsewhere" "$ROOT/sneaky"
evm_run 1 cat sneaky/sneaky.log
assert_no_grep "secret" "$T/out"
ln -s "$T/elsewhere/sneaky.log" "$ROOT/linked.log"
evm_run 1 cat linked
assert_no_grep "secret" "$T/out"
assert_grep "symlink" "$T/err"
rm "$ROOT/sneaky" "$ROOT/linked.log"
# a directory another user owns could be swapped under the reader
mkdir "$ROOT/planted"
printf '2026-11-01T00:00:00+01:00 planted\n' >"$ROOT/planted/planted.log"
chown -R nobody "$ROOT/planted"
evm_run 1 cat planted
assert_no_grep "planted" "$T/out"
assert_grep "owned by" "$T/err"
rm -r "$ROOT/planted"
ok "missing logs (exit 1), refused names (exit 64), symlinks, another user's directory"

# --- 6. the pager: on a terminal only, as git does
tty_cat() {
	script -qec "$EVMAINT -c $T/evmaint.conf $*" /dev/null </dev/null | tr -d '\r'
}
PAGER="sed s/^/PAGED:/" tty_cat cat --since 2026-11-07T14:31 deploy >"$T/tty"
assert_grep "^PAGED:2026-11-07T14:31:00" "$T/tty"
PAGER="sed s/^/PAGED:/" tty_cat cat --no-pager --since 2026-11-07T14:31 deploy >"$T/tty"
assert_grep "^2026-11-07T14:31:00" "$T/tty"
assert_no_grep "PAGED" "$T/tty"
(unset LESS; PAGER="env" tty_cat cat deploy) >"$T/tty"
assert_grep "^LESS=FRX$" "$T/tty"
LESS=S PAGER=env tty_cat cat deploy >"$T/tty"
assert_grep "^LESS=S$" "$T/tty"
PAGER="sed s/^/PAGED:/" evm_run 0 cat --since 2026-11-07T14:31 deploy
assert_no_grep "PAGED" "$T/out"
# a pager quit before reading all (q in less): no error, exit 0
printf '#!/bin/sh\nexec 0<&-\nsleep 0.5\n' >"$T/quitpager"
chmod 0755 "$T/quitpager"
PAGER="$T/quitpager" script -qec "$EVMAINT -c $T/evmaint.conf cat deploy; echo \"exit \$?\"" /dev/null </dev/null |
	tr -d '\r' >"$T/tty"
assert_grep '^exit 0$' "$T/tty" "cat through a pager that quit early"
assert_no_grep 'writing the output' "$T/tty" "a pager that quit early counted as an error"
ok "pager: \$PAGER on a terminal, LESS=FRX unless set, --no-pager, never when piped"

# --- 7. output: a reader that stops early is no error, a full disk is
evm cat deploy 2>"$T/err" | head -1 >"$T/out"
assert_eq "$(cat "$T/out")" "$(head -1 "$T/expect")"
assert_empty "$T/err" "a closed pipe is not an error"
RC=0
"$EVMAINT" -c "$T/evmaint.conf" cat deploy >/dev/full 2>"$T/err" || RC=$?
assert_eq "$RC" 1 "exit status when the output cannot be written"
assert_grep "No space left" "$T/err"
ok "output: head is fine, /dev/full is exit 1"

# --- 8. a corrupt archive member: named by log and day, the rest printed
arc=
for a in "$ARCH"/event-*.tar; do
	if tar -tf "$a" | grep -x "deploy/deploy.log-20261102.gz" >/dev/null; then
		arc=$a
	fi
done
[ -n "$arc" ] || fail "setup: no archive holds deploy/deploy.log-20261102.gz"
off=$(python3 -c 'import sys, tarfile
m = tarfile.open(sys.argv[1], "r:").getmember(sys.argv[2])
print(m.offset_data + m.size // 2)' "$arc" deploy/deploy.log-20261102.gz)
printf '\x55\xaa\x55\xaa' | dd of="$arc" bs=1 seek="$off" conv=notrunc status=none
evm_run 1 cat deploy
assert_grep "deploy/deploy.log.*2026-11-02.*deploy/deploy.log-20261102.gz" "$T/err" \
	"the error names the log and the day"
# day 1's lines up to the damage may be printed; every other line must be,
# day 1's continuation lines at the head of day 2's generation included
grep -v "day 1 \|frame 1\." "$T/expect" >"$T/want"
grep -v "day 1 \|frame 1\." "$T/out" >"$T/got" || true
assert_same "$T/got" "$T/want" "every other line still printed, in order"
evm_run 0 cat --since 2026-11-03 deploy
between "day 3 first" "" >"$T/want"
assert_same "$T/out" "$T/want" "a window that does not need the corrupt member does not read it"
ok "a corrupt member: reported with log and day, exit 1, the rest printed"

# --- 8a. a corrupt generation in the tree: named with the day it was last
#         written (its number changes nightly), every other line printed
cp -p "$D/deploy.log.2.gz" "$T/gen2"
gzip -dc "$T/gen2" >"$T/gen2-lines"
printf 'not gzip at all\n' >"$D/deploy.log.2.gz"
touch -r "$T/gen2" "$D/deploy.log.2.gz"
evm_run 1 cat deploy
assert_grep "deploy/deploy\.log\.2\.gz: .*last written on $(date -r "$T/gen2" +%F)" "$T/err" \
	"the error names the generation and its day"
# (day 1's archive member is still the damaged one of section 8)
grep -vxFf "$T/gen2-lines" "$T/expect" | grep -v "day 1 \|frame 1\." >"$T/want"
grep -vxFf "$T/gen2-lines" "$T/out" | grep -v "day 1 \|frame 1\." >"$T/got" || true
assert_same "$T/got" "$T/want" "the lines of every other source printed"
# the next generation opens with the lost record's untimed continuation
first=$(gzip -dc "$D/deploy.log.1.gz" | sed -n 1p)
case $first in [0-9]*) fail "setup: deploy.log.1.gz opens with a timed line" ;; esac
assert_eq "$(grep -cxF "$first" "$T/out")" 1 "untimed lines after the damage printed once"
# with --until, only where the lost record could be inside it: the damaged
# generation's last write bounds it
day2=$(date -r "$T/gen2" +%F)
evm_run 1 cat --until "$(date -d "$day2 -1 day" +%F)" deploy
assert_eq "$(grep -cxF "$first" "$T/out" || true)" 0 "untimed lines of a record maybe after --until printed"
evm_run 1 cat --until "$day2" deploy
assert_eq "$(grep -cxF "$first" "$T/out")" 1 "untimed lines of a record before --until not printed"
evm_run 1 cat --since "$day2" deploy
assert_eq "$(grep -cxF "$first" "$T/out" || true)" 0 "untimed lines of a record maybe before --since printed"
cp -p "$T/gen2" "$D/deploy.log.2.gz"
ok "a corrupt generation in the tree: named with its day, exit 1, the rest printed"

# --- 8b. the tree's generations: one whose day is before --since is not
#         read, and reading stops once past --until. Each is shown by a
#         generation cut short (its gzip trailer gone), which is an error
#         only when read to its end.
cp -p "$D/deploy.log.2.gz" "$T/gen2"
truncate -s -8 "$D/deploy.log.2.gz"
touch -r "$T/gen2" "$D/deploy.log.2.gz"	# its day is its mtime's
evm_run 1 cat --since 2026-11-05 deploy
assert_grep "deploy\.log\.2\.gz" "$T/err" "the generation cut short, read"
evm_run 0 cat --since 2026-11-06 deploy
between "day 6 first" "" >"$T/want"
assert_same "$T/out" "$T/want" "--since after a generation's day"
assert_empty "$T/err" "--since after a generation's day: it was read"
cp -p "$T/gen2" "$D/deploy.log.2.gz"
cp -p "$D/deploy.log.1.gz" "$T/gen1"
truncate -s -8 "$D/deploy.log.1.gz"
touch -r "$T/gen1" "$D/deploy.log.1.gz"
evm_run 1 cat --since 2026-11-06 deploy
assert_grep "deploy\.log\.1\.gz" "$T/err" "the generation cut short, read to its end"
evm_run 0 cat --since 2026-11-06 --until 2026-11-06T09:00 deploy
between "day 6 first" "day 6 first" >"$T/want"
assert_same "$T/out" "$T/want" "--until inside a generation"
assert_empty "$T/err" "--until inside a generation: it was read to its end"
cp -p "$T/gen1" "$D/deploy.log.1.gz"
ok "a generation before --since is not read, one past --until not to its end"

# --- 9. plain generations (nightly .tar.gz archives), dated names, and a
#        log with no timestamp on its first lines
t_setup "rotate = 1" "compress = no" "dateext = yes"
at "2026-11-01 00:00:00" evm_run 0 init
D=$ROOT/deploy
printf 'no timestamp yet\n' | tee "$T/expect" >>"$D/deploy.log"
for n in 1 2 3 4; do
	day_lines "$n" | tee -a "$T/expect" >>"$D/deploy.log"
	at "2026-11-0$((n + 1)) 02:00:00" evm_run 0 rotate
	day_tail "$n" | tee -a "$T/expect" >>"$D/deploy.log"
done
# a line of 2.5 MiB, read in pieces, printed whole
python3 -c 'import sys; sys.stdout.write("2026-11-05T10:00:00+01:00 deploy[1]: " + "y" * 2621440 + "\n")' |
	tee -a "$T/expect" >>"$D/deploy.log"
[ "$(find "$ARCH" -name 'event-*.tar.gz' | wc -l)" -ge 2 ] || fail "setup: no .tar.gz nightly archives"
[ -e "$D/deploy.log-20261105" ] || fail "setup: no plain dated generation"
evm_run 0 cat deploy
assert_same "$T/out" "$T/expect" "plain generations, dated names, .tar.gz archives"
evm_run 0 cat --until 2026-11-01T00:00:00 deploy
printf 'no timestamp yet\n%s\n' "$(head -2 "$T/expect" | tail -1)" >"$T/want"
assert_same "$T/out" "$T/want" "lines before the first timestamp count as the oldest"
evm_run 0 cat --since 2026-11-01T00:00:01 --until 2026-11-02T00:00:00 deploy
between "day 1 with a trace" "day 2 first" >"$T/want"
assert_same "$T/out" "$T/want" "a window across a plain archived generation"
evm_run 0 cat deploy error
sed -n 's/^deploy: //p' "$T/out" >"$T/got"
assert_same "$T/got" "$T/expect" "merged, the long line whole and prefixed once"
ok "plain generations in .tar.gz nightly archives, dated generations, a long line"
# --- 10. a line whose clock was wrong (a year ahead) before lines inside
# the window: --until does not end the history at it (cat and report)
t_setup
evm_run 0 init
cat >"$ROOT/deploy/deploy.log" <<'EOF2'
2026-11-01T10:00:00+01:00 deploy[1]: START /opt/scripts/deploy.sh a
2026-11-01T10:00:01+01:00 deploy[1]: END exit=0 duration=1.000s
2027-06-01T00:00:00+01:00 deploy[9]: a line from a host with a wrong clock
2026-11-01T10:05:00+01:00 deploy[2]: START /opt/scripts/deploy.sh b
2026-11-01T10:05:01+01:00 deploy[2]: END exit=3 duration=1.000s
2026-11-03T10:00:00+01:00 deploy[3]: a line after the window
EOF2
at "2026-11-05 12:00:00" evm_run 0 cat --until 2026-11-01 deploy
assert_fgrep "deploy[2]: END exit=3 duration=1.000s" "$T/out" "a wrong clock's line ended --until's history"
assert_no_grep "after the window|wrong clock" "$T/out" "--until printed lines past its end"
at "2026-11-05 12:00:00" evm_run 0 --json report --until 2026-11-01
assert_json "$T/out" "d['scripts'][0]['runs'] == 2 and d['scripts'][0]['failures'] == 1" \
	"report --until lost the run after a wrong clock's line"
ok "a line with a wrong clock does not end the history of --until"
exit 0
