#!/bin/bash
# make demo: evmaint's nightly job on a throw-away tree under /tmp, so a
# newcomer sees it work without touching /srv. Two "nights" are simulated
# with EVMAINT_NOW (the clock override the tests use).
set -eu
EVMAINT=${EVMAINT:-./src/evmaint}
D=${EVMAINT_DEMO:-/tmp/evmaint-demo}
E=("$EVMAINT" -c "$D/evmaint.conf")

rm -rf "$D"
mkdir -p "$D"
cat >"$D/evmaint.conf" <<CONF
# the demo's configuration: the defaults, moved under $D
root = $D/event
archive_dir = $D/archives
state_file = $D/state/evmaint.state
CONF
echo "== evmaint init (the tree, archive_dir, the state directory)"
"${E[@]}" init
echo
echo "== the scripts write their logs"
for s in deploy backup config_update; do
	for i in 1 2 3; do
		echo "$(date -Is) $s: step $i done" >>"$D/event/$s/$s.log"
	done
done
echo "$(date -Is) backup: ERROR disk quota exceeded" >>"$D/event/error.log"
echo
echo "== evmaint rotate (night 1)"
EVMAINT_NOW="$(date +%F) 02:00:00" "${E[@]}" rotate
echo
echo "== evmaint rotate again the same night: nothing is due"
EVMAINT_NOW="$(date +%F) 02:05:00" "${E[@]}" -v rotate
echo
echo "== evmaint status"
"${E[@]}" status
echo
echo "== evmaint archive (a verified snapshot) and evmaint verify"
"${E[@]}" archive
"${E[@]}" verify
echo
echo "== the tree"
find "$D" -path "$D/state" -prune -o -printf '%M %u:%g %8s %p\n' | sort -k4
echo
echo "Read a rotated log:  zcat $D/event/deploy/deploy.log.1.gz"
