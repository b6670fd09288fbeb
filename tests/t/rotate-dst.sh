#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The hour repeated when DST ends (Europe/Paris, 2026-10-25: 02:00-03:00
# CEST, then 02:00-03:00 CET again) with dateext and maxsize, a run every
# 30 minutes from 01:30 CEST to 03:30 CET, each one rotating: every name
# is unique, and the names sort in the order the rotations happened (the
# repeated hour's rotations take the day's newest time with _01, _02, ...).
# The same for numbered generations' recorded tags (their archive names).
. "$(dirname "$0")/common.sh"

need_root # the tree is root:root
need_tzdata

# 2026-10-24T23:30Z is 01:30 CEST; seven runs 30 minutes apart
START=$(date -u -d '2026-10-24 23:30:00' +%s)

# --- 1. dateext
t_setup "rotate = 20" "dateext = yes" "maxsize = 1" "compress = no"
at "2026-10-24 12:00:00" evm_run 0 init
for k in 0 1 2 3 4 5 6; do
	when=$((START + k * 1800))
	echo "run $k at $(date -d "@$when" +%H:%M%z)" >>"$ROOT/deploy/deploy.log"
	at "@$when" evm_run 0 rotate
	assert_empty "$T/err" "run $k ($(date -d "@$when" +%H:%M%z))"
done
find "$ROOT/deploy" -maxdepth 1 -name 'deploy.log-*' -printf '%f\n' | LC_ALL=C sort >"$T/names"
assert_eq "$(wc -l <"$T/names")" 7 "seven rotations, seven generations: $(tr '\n' ' ' <"$T/names")"
k=0
while read -r n; do
	assert_eq "$(cut -d' ' -f1-2 "$ROOT/deploy/$n")" "run $k" "generation $n is out of time order"
	k=$((k + 1))
done <"$T/names"
assert_eq "$(tr '\n' ' ' <"$T/names")" "deploy.log-20261025 deploy.log-20261025_020000 deploy.log-20261025_023000 deploy.log-20261025_023000_01 deploy.log-20261025_023000_02 deploy.log-20261025_030000 deploy.log-20261025_033000 " \
	"the names of the DST night"
# a later run still sees them all as the log's generations
at "@$((START + 7 * 1800))" evm_run 0 status
assert_fgrep "deploy/deploy.log" "$T/out"
assert_grep 'deploy/deploy.log .* 7 \(' "$T/out" "status does not count the seven generations"
ok "dateext, DST end, 30-minute maxsize runs: 7 unique names in time order"

# --- 2. numbered: the recorded tags (archive member names) likewise
t_setup "rotate = 20" "maxsize = 1" "compress = no"
at "2026-10-24 12:00:00" evm_run 0 init
for k in 0 1 2 3 4 5 6; do
	echo "run $k" >>"$ROOT/deploy/deploy.log"
	at "@$((START + k * 1800))" evm_run 0 rotate
done
tags=$(awk '$1 == "log" && $2 == "deploy/deploy.log" { print $4 }' "$STATE" | tr ',' '\n' |
	sort -t: -k1,1nr | cut -d: -f2)
assert_eq "$(printf '%s\n' "$tags" | sort -u | wc -l)" 7 "seven distinct tags: $tags"
assert_eq "$(printf '%s\n' "$tags" | LC_ALL=C sort)" "$tags" "tags oldest to newest are not sorted"
ok "numbered, DST end: seven distinct recorded tags in time order"

# --- 3. the day's name taken and all 99 sequence numbers used: refused
t_setup "rotate = 200" "dateext = yes" "maxsize = 1" "compress = no"
at "2026-11-24 12:00:00" evm_run 0 init
echo "earlier" >"$ROOT/deploy/deploy.log-20261124"
echo "the 99th" >"$ROOT/deploy/deploy.log-20261124_235959_99"
echo "live" >"$ROOT/deploy/deploy.log"
at "2026-11-24 12:00:00" evm_run 1 rotate
assert_fgrep "deploy/deploy.log: not rotated: 99 rotations already share the time" "$T/err"
assert_eq "$(cat "$ROOT/deploy/deploy.log")" live "the live log"
assert_eq "$(cat "$ROOT/deploy/deploy.log-20261124_235959_99")" "the 99th" "the 99th generation"
ok "dateext: no 100th rotation in a second, the log left as it was"
exit 0
