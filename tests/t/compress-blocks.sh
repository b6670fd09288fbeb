#!/bin/bash
# The block engine (issue 16) as a user meets it: every generation is a
# standard .gz (gzip -t, zcat) holding exactly the log's bytes, cut as the
# build says - with libdeflate one gzip member per 2 MiB block, the first
# carrying the name and mtime; with zlib alone one member - at the block
# boundaries too (0, 2 MiB - 1, 2 MiB, 2 MiB + 1 bytes); a writer appending
# meanwhile loses nothing; and a run killed while blocks are in flight on
# two threads (at random instants, and before each read, write, fsync and
# rename of the pipeline) is finished by the rerun with every line once;
# and data that repeats itself at length is no larger than gzip -6 makes
# it, killed mid-way too.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/crash-lib.sh"
need gzip zcat python3 strace tar
need_root

BLOCK=$((2 * 1024 * 1024))

# Which engine the binary was built with: it names libdeflate's functions
# (linked, or for dlsym: src/codec-dl.h) only when built with it.
if grep -q -a libdeflate_alloc_compressor "$EVMAINT"; then
	ENGINE=libdeflate
else
	ENGINE=zlib
fi

# gz_members FILE: "MEMBERS FLG_FIRST NAME_FIRST MTIME_FIRST FLG_REST" -
# the number of gzip members, the first's header flags, name and mtime,
# and the OR of every later member's flags (0: no name, no extra).
gz_members() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
pos, n, rest, first = 0, 0, 0, None
while pos < len(b):
    if b[pos:pos + 3] != b"\x1f\x8b\x08":
        sys.exit("%s: offset %d is not a gzip member" % (sys.argv[1], pos))
    flg, mtime = b[pos + 3], struct.unpack("<I", b[pos + 4:pos + 8])[0]
    if first is None:
        name = ""
        if flg & 8:
            p = pos + 10
            name = b[p:b.index(b"\0", p)].decode("latin-1")
        first = (flg, name, mtime)
    else:
        rest |= flg
    d = zlib.decompressobj(31)
    d.decompress(b[pos:])
    if not d.eof:
        sys.exit("%s: member %d is truncated" % (sys.argv[1], n + 1))
    pos = len(b) - len(d.unused_data)
    n += 1
print(n, first[0], first[1] or "-", first[2], rest)
PY
}

# make_log FILE BYTES TAG: exactly BYTES bytes of numbered lines.
make_log() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
path, size, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out, i, n = [], 0, 0
while n < size:
    line = "%s line %08d step=%d status=ok\n" % (tag, i, i * 7919 % 1000)
    out.append(line)
    n += len(line)
    i += 1
data = "".join(out).encode()[:size]
open(path, "ab").write(data)
PY
}

# ---- 1. sizes at the block boundaries, the format per build
t_setup "rotate = 3" "notifempty = no"
evm_run 0 -q init
declare -A SIZE=(
	[deploy/deploy.log]=$((BLOCK + 1))
	[backup/backup.log]=$BLOCK
	[config_update/config_update.log]=$((BLOCK - 1))
	[error.log]=0
)
mkdir "$T/orig"
for rel in "${!SIZE[@]}"; do
	make_log "$ROOT/$rel" "${SIZE[$rel]}" "${rel%%/*}"
	assert_eq "$(stat -c %s "$ROOT/$rel")" "${SIZE[$rel]}" "size of $rel"
	cp "$ROOT/$rel" "$T/orig/${rel//\//_}"
done
touch -d "2026-11-02 23:59:30" "$ROOT/deploy/deploy.log"
at "2026-11-03 02:00:00" evm_run 0 -q rotate
for rel in "${!SIZE[@]}"; do
	gz=$ROOT/$rel.1.gz
	assert_file "$gz"
	gzip -t "$gz" || fail "gzip -t rejects $gz (${SIZE[$rel]} bytes in)"
	zcat "$gz" | cmp -s - "$T/orig/${rel//\//_}" ||
		fail "zcat $gz differs from the ${SIZE[$rel]} bytes rotated"
	read -r n flg name _mtime rest < <(gz_members "$gz")
	want=1
	if [ "$ENGINE" = libdeflate ] && [ "${SIZE[$rel]}" -gt "$BLOCK" ]; then
		want=$(((SIZE[$rel] + BLOCK - 1) / BLOCK))
	fi
	assert_eq "$n" "$want" "$ENGINE build: members of $gz (${SIZE[$rel]} bytes)"
	assert_eq "$((flg & 8))" 8 "the first member of $gz carries a name"
	assert_eq "$name" "${rel##*/}.1" "the name in $gz (as gzip names it)"
	assert_eq "$rest" 0 "later members of $gz carry no name or extra field"
done
read -r _ _ _ mtime _ < <(gz_members "$ROOT/deploy/deploy.log.1.gz")
assert_eq "$mtime" "$(date -d '2026-11-02 23:59:30' +%s)" "the mtime in deploy.log.1.gz"
ok "$ENGINE build: 0, 2 MiB - 1, 2 MiB and 2 MiB + 1 bytes: gzip -t, zcat exact, members as the build cuts them"

# ---- 2. a big log on two threads, a writer appending throughout
t_setup "rotate = 3"
evm_run 0 -q init
make_log "$ROOT/deploy/deploy.log" $((9 * BLOCK + 12345)) deploy
echo " (cut here)" >>"$ROOT/deploy/deploy.log"	# the writer's lines start a line
cp "$ROOT/deploy/deploy.log" "$T/big.orig"
# The writer appends numbered lines one ">>" at a time until told to stop.
rm -f "$T/stop"
# shellcheck disable=SC2016 # expanded by the inner bash
t_bg bash -c 'i=0; while [ ! -e "$1/stop" ]; do i=$((i + 1)); echo "writer $i" >>"$2"; done; echo "$i" >"$1/written"' \
	writer "$T" "$ROOT/deploy/deploy.log"
writer=$BG_PID
wait_until 10 grep -q 'writer 20$' "$ROOT/deploy/deploy.log" || fail "the writer did not start"
EVMAINT_JOBS=2 at "2026-11-03 02:00:00" evm_run 0 -q rotate
sleep 0.2
touch "$T/stop"
wait "$writer"
nw=$(cat "$T/written")
gzip -t "$ROOT/deploy/deploy.log.1.gz" || fail "gzip -t rejects the big generation"
read -r n _ < <(gz_members "$ROOT/deploy/deploy.log.1.gz")
if [ "$ENGINE" = libdeflate ]; then
	assert_ge "$n" 10 "members of a generation of more than 9 blocks"
else
	assert_eq "$n" 1 "members of the big generation (zlib build)"
fi
{ zcat "$ROOT/deploy/deploy.log.1.gz"; cat "$ROOT/deploy/deploy.log"; } >"$T/all"
grep -v '^writer ' "$T/all" | cmp -s - "$T/big.orig" ||
	fail "the big log's own lines are not all there once, in order"
grep '^writer ' "$T/all" | LC_ALL=C sort >"$T/w.got"
seq -f 'writer %g' 1 "$nw" | LC_ALL=C sort >"$T/w.want"
assert_same "$T/w.got" "$T/w.want" "the writer's $nw lines, each once"
ok "9 blocks + 12345 bytes on two threads with a writer appending: $n member(s), $nw written lines each once"

# ---- 3. killed while blocks are in flight, then rerun
crash_history	# nights 1 and 2 of deploy.log and error.log, none of backup.log
# 12 blocks of deploy, 3 of backup: both logs' blocks share the pool.
seq -f "deploy d3 %09g step ok" 1 1100000 >>"$ROOT/deploy/deploy.log"
seq -f "backup d3 %09g step ok" 1 250000 >>"$ROOT/backup/backup.log"
echo "error d3" >>"$ROOT/error.log"
crash_snapshot
expected_lines() {
	crash_history_lines
	seq -f "deploy d3 %09g step ok" 1 1100000
	seq -f "backup d3 %09g step ok" 1 250000
	echo "error d3"
}
export EVMAINT_JOBS=2
t0=$(now_s)
at "$CRASH_NOW" evm_run 0 -q rotate
dur=$(elapsed "$t0")
crash_listing >"$T/ref"
assert_grep '^archive event-20261103T020000.tar ' "$T/ref" "the reference run archived"
crash_lines | LC_ALL=C sort >"$T/lines.got"
expected_lines | LC_ALL=C sort >"$T/lines.want"
assert_same "$T/lines.got" "$T/lines.want" "reference run: every line once"
ok "reference run on two threads (${dur}s)"

# Evenly over the run, so that both the reading and compressing first
# half and the archiving end are hit, whatever the machine's speed.
crash_kill_landing "$CRASH_NOW" "$dur" 12 6
ok "kills at instants spread over the run on two threads, 12 a round ($CRASH_LANDED landed mid-run), each rerun converged"

# kill_rerun WHAT SYSCALL N...: for each N, the night killed before its
# Nth SYSCALL, then rerun, must end as $T/ref lists; counts the kills
# that landed in $points. strace counts per thread, and the threads race,
# so which block is in flight differs from run to run.
kill_rerun() {
	local what=$1 sc=$2 n rc
	shift 2
	for n in "$@"; do
		rc=0
		crash_kill_before "$CRASH_NOW" "$sc" "$n" || rc=$?
		[ "$rc" = 137 ] || [ "$rc" = 0 ] || fail "$what: $sc#$n: exit $rc"
		at "$CRASH_NOW" evm_run 0 -q rotate
		crash_listing >"$T/got"
		assert_same "$T/got" "$T/ref" "$what: killed before $sc call $n (two threads), then rerun"
		[ "$rc" = 137 ] && points=$((points + 1))
	done
	return 0
}

# Before the Nth call of the pipeline's reads, writes, fsyncs and renames.
points=0
kill_rerun blocks read 1 3 8 21
kill_rerun blocks write 1 3 8 21
kill_rerun blocks fsync 1 2
kill_rerun blocks renameat2 1 2
assert_ge "$points" 8 "kill points reached"
crash_lines | LC_ALL=C sort >"$T/lines.got"
assert_same "$T/lines.got" "$T/lines.want" "after the last kill and rerun: every line once"
ok "$points kills before a read, write, fsync or rename on two threads, each rerun converged"

# ---- 4. data that repeats itself at length
# One line written over and over, zero bytes, a flood after a stretch of
# log, a flood within one block: each generation no larger than gzip -6
# makes of the same bytes under the same name (the engine deflates such a
# stretch as one stream, as gzip does), read back whole by zcat and by
# evmaint's own reader (cat, verify); then a night killed while such a
# stretch is deflated on two threads, and rerun: every line once.
FLOOD="2026-11-25T02:00:01+01:00 backup[4242]: stderr: rsync: connection refused, retrying"
# flood FILE BYTES: FLOOD's line appended over and over, as many whole
# lines as BYTES hold.
flood() {
	python3 - "$1" "$2" "$FLOOD" <<'PY'
import sys
line = sys.argv[3].encode() + b"\n"
open(sys.argv[1], "ab").write(line * (int(sys.argv[2]) // len(line)))
PY
}
t_setup "rotate = 3"
evm_run 0 -q init
flood "$ROOT/deploy/deploy.log" $((10 * BLOCK))
head -c $((4 * BLOCK)) /dev/zero >>"$ROOT/backup/backup.log"
make_log "$ROOT/config_update/config_update.log" $((2 * BLOCK)) config
flood "$ROOT/config_update/config_update.log" $((8 * BLOCK))
flood "$ROOT/error.log" 1500000
mkdir "$T/orig"
for rel in deploy/deploy.log backup/backup.log config_update/config_update.log error.log; do
	cp "$ROOT/$rel" "$T/orig/${rel##*/}.1"
done
EVMAINT_JOBS=2 at "2026-11-03 02:00:00" evm_run 0 -q rotate
for rel in deploy/deploy.log backup/backup.log config_update/config_update.log error.log; do
	gz=$ROOT/$rel.1.gz
	orig=$T/orig/${rel##*/}.1
	zcat "$gz" | cmp -s - "$orig" || fail "zcat $gz differs from the log rotated"
	e=$(stat -c %s "$gz")
	# gzip stores the same name (FILE's) and a 4-byte mtime
	g=$(gzip -6 -c "$orig" | wc -c)
	[ "$e" -le "$g" ] || fail "$gz: $e bytes where gzip -6 makes $g of the same"
	read -r n flg name _mtime rest < <(gz_members "$gz")
	assert_eq "$((flg & 8)):$name:$rest" "8:${rel##*/}.1:0" \
		"$gz: the name in the first member only"
	if [ "$ENGINE" = zlib ] || [ "$rel" != config_update/config_update.log ]; then
		assert_eq "$n" 1 "$ENGINE build: members of $gz"
	else
		# The log's blocks a member each, the flood one member from
		# where the engine sees it: by the 7th of the 10 blocks (a
		# block is written at the latest when the 4 blocks two threads
		# keep in flight are all taken).
		if [ "$n" -lt 2 ] || [ "$n" -gt 7 ]; then
			fail "$ENGINE build: $n members in $gz (2 to 7 wanted)"
		fi
	fi
	ok "$ENGINE build: $rel.1.gz: $e bytes, gzip -6 $g; $n member(s)"
done
evm_run 0 -q verify
evm_run 0 cat deploy
cmp -s "$T/out" "$T/orig/deploy.log.1" || fail "evmaint cat deploy differs from the log rotated"
evm_run 0 cat config_update
cmp -s "$T/out" "$T/orig/config_update.log.1" || fail "evmaint cat config_update differs from the log rotated"
ok "verify and cat read the floods back whole"

crash_history
flood "$ROOT/deploy/deploy.log" $((12 * BLOCK))
echo "error d3" >>"$ROOT/error.log"
crash_snapshot
flood_lines() {
	crash_history_lines
	python3 -c 'import sys; sys.stdout.write((sys.argv[1] + "\n") * (12 * 2097152 // (len(sys.argv[1]) + 1)))' "$FLOOD"
	echo "error d3"
}
t0=$(now_s)
at "$CRASH_NOW" evm_run 0 -q rotate
dur=$(elapsed "$t0")
crash_listing >"$T/ref"
crash_lines | LC_ALL=C sort >"$T/lines.got"
flood_lines | LC_ALL=C sort >"$T/lines.want"
assert_same "$T/lines.got" "$T/lines.want" "reference run with a flood: every line once"
points=0
kill_rerun flood read 2 5 9
kill_rerun flood write 2 5 9
assert_ge "$points" 4 "kill points reached in the flood"
crash_lines | LC_ALL=C sort >"$T/lines.got"
assert_same "$T/lines.got" "$T/lines.want" "after the last kill and rerun: every line once"
ok "$points kills while a flood is deflated (${dur}s a night), each rerun converged"
exit 0
