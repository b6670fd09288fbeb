#!/bin/bash
# bench/run-overhead.sh: what wrapping a script in `evmaint run` costs. A
# script writes 100,000 short lines; it runs directly, appending to a log
# as scripts do today (`script >>log 2>&1`), and through `evmaint run`,
# which stamps every line and appends each batch with open-append-close.
# Twice: a writer that buffers its output (seq through a pipe: 4 KiB
# writes) and one that writes every line on its own (stdbuf -oL: 100,000
# writes, the worst case for the wrapper). Not part of make check.
#
#   bench/run-overhead.sh [-e EVMAINT] [-n RUNS] [-l LINES] [-o RESULTS.md]
#
# Needs hyperfine. Prints hyperfine's Markdown table (mean, min, max), then
# the medians of wall time and the mean CPU time (user + system, children
# included), which a busy machine disturbs less.
set -euo pipefail
export LC_ALL=C

BENCH=$(cd "$(dirname "$0")" && pwd)
EVM=${EVMAINT:-$BENCH/../src/evmaint}
RUNS=10
LINES=100000
OUT=
while getopts e:n:l:o: opt; do
	case $opt in
	e) EVM=$OPTARG ;;
	n) RUNS=$OPTARG ;;
	l) LINES=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-e EVMAINT] [-n RUNS] [-l LINES] [-o FILE]" >&2; exit 64 ;;
	esac
done
command -v hyperfine >/dev/null || { echo "$0: needs hyperfine" >&2; exit 1; }
EVM=$(cd "$(dirname "$EVM")" && pwd)/$(basename "$EVM")

W=$(mktemp -d "${TMPDIR:-/tmp}/evmaint-run-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cat >"$W/evmaint.conf" <<CONF
root = $W/root
archive_dir = $W/archives
state_file = $W/state/state
CONF
"$EVM" -q -c "$W/evmaint.conf" init
mkdir -p "$W/root/bench"
cat >"$W/buffered.sh" <<SH
#!/bin/sh
exec seq -f 'backup: copied file %g of the set, 4096 bytes' 1 $LINES
SH
cat >"$W/perline.sh" <<SH
#!/bin/sh
exec stdbuf -oL seq -f 'backup: copied file %g of the set, 4096 bytes' 1 $LINES
SH
chmod 0755 "$W/buffered.sh" "$W/perline.sh"
LOG=$W/root/bench/bench.log

hyperfine -N -w 2 -r "$RUNS" --prepare "truncate -s 0 $LOG" \
	--export-json "$W/h.json" --export-markdown "$W/h.md" \
	-n "direct, buffered" "sh -c '$W/buffered.sh >>$LOG 2>&1'" \
	-n "evmaint run, buffered" "$EVM -c $W/evmaint.conf run --log bench -- $W/buffered.sh" \
	-n "direct, line per write" "sh -c '$W/perline.sh >>$LOG 2>&1'" \
	-n "evmaint run, line per write" "$EVM -c $W/evmaint.conf run --log bench -- $W/perline.sh" \
	>&2
python3 - "$W/h.json" "$LINES" <<'PY' >"$W/summary.md"
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
print("| writer | direct median | evmaint run median | overhead | per line | CPU direct | CPU evmaint run |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for w in ("buffered", "line per write"):
    a, b = r["direct, " + w], r["evmaint run, " + w]
    d, e = a["median"], b["median"]
    print("| %s | %.3f s | %.3f s | %+.3f s (%.2fx) | %.2f µs | %.3f s | %.3f s |" % (
        w, d, e, e - d, e / d, (e - d) / n * 1e6,
        a["user"] + a["system"], b["user"] + b["system"]))
PY
{
	echo "### evmaint run overhead, $LINES lines, $(date -u +%Y-%m-%d) on $(nproc) cores"
	echo
	cat "$W/h.md"
	echo
	cat "$W/summary.md"
} | tee ${OUT:+-a "$OUT"}
