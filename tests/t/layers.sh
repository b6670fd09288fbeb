#!/bin/bash
# The engine's modules depend one way (src/README draws the graph): from
# the #includes of src/*.c, no module reaches itself again through others'
# headers, and rotate.c, compress.c and expire.c, the peers over run.c,
# include none of one another's. A header stands for the .c of its name;
# evmaint.h and config.h are everyone's.
set -eu
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
src=$srcdir/src
cd "$src" || exit 99

# The engine: the run, its three peers, recovery above them, and the
# modules below that only they use.
ENGINE="run rotate compress expire recover due hash journal state pool"
PEERS="rotate compress expire"
fails=0

# edges: "from to", one a line, both engine modules
# (a header's own #includes count as its module's: a peer must not reach
# another through a header either)
edges=$(for f in *.c *.h; do
	m=${f%.?}
	case " $ENGINE " in *" $m "*) ;; *) continue ;; esac
	sed -n 's/^#include "\([a-z_-]*\)\.h".*/\1/p' "$f" | while read -r h; do
		[ "$h" = "$m" ] && continue
		case " $ENGINE " in *" $h "*) echo "$m $h" ;; esac
	done
done)

# a cycle: some module reaches itself (transitive closure, a dozen nodes)
cycle=$(printf '%s\n' "$edges" | awk '
	NF == 2 { r[$1, $2] = 1; n[$1] = 1; n[$2] = 1 }
	END {
		for (k in n) for (i in n) if ((i, k) in r)
			for (j in n) if ((k, j) in r) r[i, j] = 1
		for (i in n) if ((i, i) in r) print i
	}')
if [ -n "$cycle" ]; then
	echo "FAIL: a cycle among the engine modules through: $(echo "$cycle" | tr '\n' ' ')"
	echo "edges:"
	printf '%s\n' "$edges" | sed 's/^/  /'
	fails=$((fails + 1))
fi

for a in $PEERS; do
	for b in $PEERS; do
		[ "$a" = "$b" ] && continue
		if grep -qx "$a $b" <<<"$edges"; then
			echo "FAIL: $a.c or $a.h includes $b.h: the peers over run.c call no one another"
			fails=$((fails + 1))
		fi
	done
done

[ "$fails" -eq 0 ] || exit 1
echo "ok: the engine's includes go one way ($(printf '%s\n' "$edges" | grep -c .) edges)"
exit 0
