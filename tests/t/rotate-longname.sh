#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Logs with names near NAME_MAX (255 bytes). Temporary names never overflow
# (a hash stands in for a final name that would not fit after the prefix),
# so a log rotates as long as its generations' names fit: a 240- and a
# 250-byte log rotate, compress and shift like any other (250 + ".9.gz" is
# 255). A log whose generation would not fit (dateext: 250 + "-YYYYMMDD.gz";
# numbered: a 252-byte name + ".1.gz") is not rotated, and the error names
# the log and says why; exit 1, the other logs done, nothing left behind.
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root

long() { # long N: a name of N bytes ending in .log
	printf '%*s.log' "$(($1 - 4))" '' | tr ' ' 'a'
}
L240=$(long 240)
L250=$(long 250)
L252=$(long 252)
[ "${#L250}" = 250 ] || fail "harness: the 250-byte name is ${#L250} bytes"

# --- 1. numbered: 240 and 250 bytes rotate, compress, shift, archive
t_setup "rotate = 2"
at "2026-11-01 12:00:00" evm_run 0 init
for d in 02 03 04 05; do
	echo "line $d" >>"$ROOT/deploy/$L240"
	echo "line $d" >>"$ROOT/deploy/$L250"
	chmod 0640 "$ROOT/deploy/$L240" "$ROOT/deploy/$L250"
	at "2026-11-$d 02:00:00" evm_run 0 rotate
	assert_empty "$T/err" "rotate on the $d with 240- and 250-byte names"
done
for n in "$L240" "$L250"; do
	assert_file "$ROOT/deploy/$n.1.gz" "${#n}-byte log: no .1.gz"
	assert_file "$ROOT/deploy/$n.2.gz" "${#n}-byte log: no .2.gz"
	assert_no_file "$ROOT/deploy/$n.3.gz"
	assert_eq "$(zcat "$ROOT/deploy/$n.1.gz")" "line 05" "${#n}-byte log: generation 1"
	assert_eq "$(zcat "$ROOT/deploy/$n.2.gz")" "line 04"
done
assert_no_tmp "$ROOT"
assert_no_tmp "$ARCH"
tar -tf "$ARCH"/event-20261105T020000.tar >"$T/members"
grep -qF "deploy/$L250-20261103.gz" "$T/members" ||
	fail "the 250-byte log's expired generation is not in the archive"
ok "240- and 250-byte logs: rotated, compressed, shifted and archived"

# --- 2. names whose generations cannot fit: reported, exit 1, others done
t_setup "rotate = 2" "[deploy/$L250]" "dateext = yes"
at "2026-11-01 12:00:00" evm_run 0 init
echo "dated" >"$ROOT/deploy/$L250"
echo "numbered" >"$ROOT/deploy/$L252"
echo "short" >>"$ROOT/deploy/deploy.log"
chmod 0640 "$ROOT/deploy/$L250" "$ROOT/deploy/$L252"
at "2026-11-02 02:00:00" evm_run 1 rotate
assert_fgrep "deploy/$L250: not rotated: its name is 250 bytes long, too long for its generation $L250-20261102.gz (262 bytes" "$T/err" \
	"the dateext log whose generation cannot fit is not named with the reason"
assert_fgrep "deploy/$L252: not rotated: its name is 252 bytes long, too long for its generation $L252.1.gz (257 bytes" "$T/err"
assert_eq "$(grep -c 'not rotated' "$T/err")" 2 "one error per log"
assert_eq "$(cat "$ROOT/deploy/$L250")" "dated" "the log that cannot rotate is left as it was"
assert_eq "$(cat "$ROOT/deploy/$L252")" "numbered"
assert_file "$ROOT/deploy/deploy.log.1.gz" "the other logs were not rotated"
assert_no_tmp "$ROOT"
ok "logs whose generations' names cannot fit: named in the error, left alone, the rest rotated"
exit 0
