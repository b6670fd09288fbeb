#!/bin/bash
# bench/gzip6.sh — evmaint's .gz bytes against gzip -6's, file by file.
#
# Issue 16's size target: what evmaint writes is no larger than what
# gzip -6 makes of the same log. For each FILE, a scratch tree under -w
# gets it as its only log, `evmaint rotate` compresses it as on a first
# night, and the row compares the generation's bytes with `gzip -6 -n -c`'s
# (-n: logrotate's gzip reads standard input and stores no name either).
#
#   bench/gzip6.sh -e build/src/evmaint [-w DIR] FILE...
#
# As root (the tree is root:root 0640, as in production). Prints a Markdown
# table and the total.
set -euo pipefail

EVMAINT=$(dirname "$0")/../src/evmaint
WORK=${TMPDIR:-/tmp}
while getopts e:w: o; do
	case $o in
	e) EVMAINT=$OPTARG ;;
	w) WORK=$OPTARG ;;
	*) echo "usage: $0 [-e EVMAINT] [-w DIR] FILE..." >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-e EVMAINT] [-w DIR] FILE..." >&2; exit 64; }
[ "$(id -u)" = 0 ] || { echo "$0: run as root" >&2; exit 1; }

d=$(mktemp -d "$WORK/evmaint-gzip6.XXXXXX")
trap 'rm -rf "$d"' EXIT
cat >"$d/evmaint.conf" <<EOF
root = $d/root
archive_dir = $d/archives
state_file = $d/state/evmaint.state
logs = x/x.log
EOF

echo "evmaint: $("$EVMAINT" --version | head -1) ($EVMAINT); gzip: $(gzip --version | head -1)"
echo
echo "| file | bytes | gzip -6 | evmaint | evmaint / gzip -6 |"
echo "| --- | ---: | ---: | ---: | ---: |"
tin=0 tg=0 te=0
for f in "$@"; do
	rm -rf "$d/root" "$d/archives" "$d/state"
	"$EVMAINT" -q -c "$d/evmaint.conf" init
	cp "$f" "$d/root/x/x.log"
	"$EVMAINT" -q -c "$d/evmaint.conf" rotate -f
	gz=$d/root/x/x.log.1.gz
	[ -f "$gz" ] || { echo "$0: $f: no x.log.1.gz after rotate" >&2; exit 1; }
	cmp -s <(gzip -dc "$gz") "$f" || { echo "$0: $f: x.log.1.gz is not the file" >&2; exit 1; }
	n=$(stat -c %s "$f")
	g=$(gzip -6 -n -c "$f" | wc -c)
	e=$(stat -c %s "$gz")
	tin=$((tin + n)) tg=$((tg + g)) te=$((te + e))
	printf '| %s | %d | %d | %d | %s |\n' "$(basename "$f")" "$n" "$g" "$e" \
		"$(awk -v e="$e" -v g="$g" 'BEGIN { printf "%.4f", e / g }')"
done
printf '| **total** | %d | %d | %d | **%s** |\n' "$tin" "$tg" "$te" \
	"$(awk -v e="$te" -v g="$tg" 'BEGIN { printf "%.4f", e / g }')"
