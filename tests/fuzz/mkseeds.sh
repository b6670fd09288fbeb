#!/bin/bash
# Regenerates the seed corpora (corpus/NAME/) from what a built evmaint
# really writes: a small tree rotated over a few nights (numbered and
# dateext), its state file, journals left by runs killed at several points,
# its .gz generations and archives. Hand-written seeds for the config and
# name parsers complete them. Needs root and strace (for the journals).
#	tests/fuzz/mkseeds.sh path/to/src/evmaint
set -euo pipefail
EVMAINT=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus
T=$(mktemp -d /tmp/evmaint-seeds.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TZ=Europe/Paris LC_ALL=C
ROOT=$T/srv/event
ARCH=$T/srv/archives
STATE=$T/var/state
cat >"$T/evmaint.conf" <<CONF
root = $ROOT
archive_dir = $ARCH
state_file = $STATE
rotate = 2
[backup/backup.log]
dateext = yes
[config_update/config_update.log]
delaycompress = yes
CONF
evm() { "$EVMAINT" -c "$T/evmaint.conf" -q "$@"; }
evm init
for d in 1 2 3 4; do
	seq -f "deploy d$d %g" 1 40 >>"$ROOT/deploy/deploy.log"
	seq -f "backup d$d %g" 1 20 >>"$ROOT/backup/backup.log"
	seq -f "config d$d %g" 1 5 >>"$ROOT/config_update/config_update.log"
	echo "error d$d" >>"$ROOT/error.log"
	EVMAINT_NOW="2026-11-0$d 02:00:00" evm rotate || true
done
EVMAINT_NOW="2026-11-04 13:00:00" evm archive

rm -rf "${out:?}"/{conf,state,journal,gen,gz,arc}
mkdir -p "$out"/{conf,state,journal,gen,gz,arc,lrconf}
cp "$STATE" "$out/state/seed-state"
i=0
for f in $(find "$ROOT" -name '*.gz' | sort); do
	i=$((i + 1))
	cp "$f" "$out/gz/seed-gen-$i"
done
first=$(find "$ROOT" -name '*.gz' | sort | sed -n 1p)
cat "$first" "$first" >"$out/gz/seed-two-members"
printf '' | gzip -n >"$out/gz/seed-empty"
for a in "$ARCH"/event-*; do
	case $a in
	*.sha256) ;;
	*.tar.gz) cp "$a" "$out/arc/seed-snapshot-targz" ;;
	*.tar) cp "$a" "$out/arc/seed-nightly-tar" ;;
	esac
done

# Journals: a fifth night killed before its Nth rename, unlink or fsync.
seq -f "deploy d5 %g" 1 40 >>"$ROOT/deploy/deploy.log"
seq -f "backup d5 %g" 1 40 >>"$ROOT/backup/backup.log"
mkdir "$T/keep"
cp -a "$T/srv" "$T/var" "$T/keep/"
for spec in renameat2:1 renameat2:3 renameat2:6 unlinkat:1 unlinkat:3 fsync:12; do
	rm -rf "${T:?}/srv" "${T:?}/var"
	cp -a "$T/keep/srv" "$T/keep/var" "$T/"
	EVMAINT_NOW="2026-11-05 02:00:00" EVMAINT_JOBS=1 strace -f -o /dev/null \
		-e inject="${spec%:*}":signal=SIGKILL:when="${spec#*:}" \
		"$EVMAINT" -c "$T/evmaint.conf" -q rotate >/dev/null 2>&1 || true
	[ -f "$STATE.journal" ] && cp "$STATE.journal" "$out/journal/seed-${spec/:/-}"
done
EVMAINT_NOW="2026-11-05 02:00:00" evm rotate || true
cp "$STATE" "$out/state/seed-state-after"
# Journals for the validator: forged shapes, and a shift of a plain and .gz pair.
cat >"$out/journal/seed-forged-readme" <<'JOURNAL'
evmaint-journal 1
time 1793754000
root /srv/event 65024 10954229
log error.log 1793754000 1:20261104
ren README.md error.log.3 65024 10954300
ren .evmaint-tmp.error.log error.log.1 65024 10954300
xchg error.log.1 error.log 65024 10954300
end
JOURNAL
cat >"$out/journal/seed-forged-snapshot-members" <<'JOURNAL'
evmaint-journal 1
time 1793754000
root /srv/event 65024 10954229
archive event-20261104T130000.tar.gz
member deploy deploy.log deploy/deploy.log 65024 10954301 4096 070aec3183adff2823e53fe68d3fbb2e18252381ec9353c00567aa91ca611db4
member . README.md README.md 65024 10954300 512 75e0931dc9b51120c4517a5921909afec2b0946105a32c7bf9961d4ee21a4793
end
JOURNAL
cat >"$out/journal/seed-pair-shift" <<'JOURNAL'
evmaint-journal 1
time 1793840400
root /srv/event 65024 10954229
log deploy/deploy.log 1793840400 1:20261105,2:20261104,3:20261103
ren deploy.log.2.gz deploy.log.3.gz 65024 10954233
ren deploy.log.2 deploy.log.3 65024 10954234
ren deploy.log.1.gz deploy.log.2.gz 65024 10954232
ren .evmaint-tmp.1.deploy.log deploy.log.1 65024 10954382
xchg deploy.log.1 deploy.log 65024 10954382
end
JOURNAL

cp "$here/../../etc/evmaint.conf" "$out/conf/seed-default"
cp "$T/evmaint.conf" "$out/conf/seed-sections"
cat >"$out/conf/seed-all-keys" <<'CONF'
# every key, quoted values, comments
root = "/srv/service/event"   # the tree
archive_dir = /srv/service/backups/logs_archives ; where archives go
state_file = /var/lib/evmaint/state
logs = deploy/deploy.log backup/backup.log "config_update/config_update.log" error.log
rotate = 7
compress = yes
compress_level = 9
delaycompress = off
dateext = true
notifempty = 0
maxsize = 100M
mode = 0640
owner = root
group = 0
dir_mode = 0750
archive_keep_days = 365
[deploy/deploy.log]
rotate = 30
maxsize = 1G
[new/new.log]
compress = no
CONF
printf 'rotate = x\n[../x]\nmode = 4777\n' >"$out/conf/seed-errors"

for n in deploy.log.1.gz deploy.log.12 deploy.log-20261118.gz \
	deploy.log-20261118_143000 error.log.99999.gz x.log.0 a-20261332 \
	.log.1 deploy.log; do
	printf '%s' "$n" >"$out/gen/seed-$n"
done
echo "seeds written to $out"
