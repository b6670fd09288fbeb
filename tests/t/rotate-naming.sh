#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Generation names and per-log settings: dateext (deploy.log-YYYYMMDD.gz, a
# later rotation the same day deploy.log-YYYYMMDD_HHMMSS.gz, names sorting
# in time order); delaycompress (.1 plain, the previous .1 compressed at the
# next rotation); compress = no (all plain, archived plain); per-log
# sections (rotate, compress) affecting only their log; dateext switched on
# over numbered generations, which stay until they expire.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/rotate-lib.sh"

need_root # the tree is root:root
need_tzdata

LOGS="deploy/deploy.log backup/backup.log config_update/config_update.log error.log"
D=$ROOT/deploy

# night N: the tag, the lines for every log, the rotation at 02:00
night() {
	local tag l
	tag=$(rl_day "$1")
	for l in $LOGS; do
		rl_write "$l" "$tag" $((5 + $1 % 4))
	done
	at "$(rl_iso "$tag") 02:00:00" evm_run 0 rotate
}

names() {
	rl_gens "$ROOT/$(dirname "$1")" "${1##*/}" | tr '\n' ' ' | sed 's/ $//'
}

# --- 1. dateext: the day, then a later time the same day
t_setup "dateext = yes" "rotate = 3"
at "2026-11-24 12:00:00" evm_run 0 init
D=$ROOT/deploy
rl_write deploy/deploy.log 20261125 10
rl_write error.log 20261125 2
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_eq "$(names deploy/deploy.log)" "deploy.log-20261125.gz" "dateext: the first rotation of the day"
rl_check_content "$D/deploy.log-20261125.gz" deploy/deploy.log 20261125 deploy.log-20261125.gz
read -r _ hname < <(rl_gz_header "$D/deploy.log-20261125.gz")
assert_eq "$hname" "deploy.log-20261125" "the name in the gzip header"
assert_eq "$(names error.log)" "error.log-20261125.gz"

rl_write deploy/deploy.log 20261125_143000 4
rl_write error.log 20261125_143000 1
at "2026-11-25 14:30:00" evm_run 0 rotate --force
assert_eq "$(names deploy/deploy.log)" "deploy.log-20261125.gz deploy.log-20261125_143000.gz" \
	"dateext, --force the same day"
rl_check_content "$D/deploy.log-20261125_143000.gz" deploy/deploy.log 20261125_143000 "the forced generation"
rl_check_content "$D/deploy.log-20261125.gz" deploy/deploy.log 20261125 "the day's first generation after --force"

conf_add "maxsize = 1k"
rl_write deploy/deploy.log 20261125_183000 30 60 # about 2.5 KiB
rl_write error.log 20261125_183000 2               # far below 1k
at "2026-11-25 18:30:00" evm_run 0 rotate
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-20261125.gz deploy.log-20261125_143000.gz deploy.log-20261125_183000.gz" \
	"dateext, maxsize the same day"
assert_eq "$(names error.log)" "error.log-20261125.gz error.log-20261125_143000.gz" \
	"a log below maxsize was rotated again the same day"
rl_check_content "$D/deploy.log-20261125_183000.gz" deploy/deploy.log 20261125_183000 "the maxsize generation"

rl_write deploy/deploy.log 20261126 3
at "2026-11-26 02:00:00" evm_run 0 rotate
# names in C order are the order of rotation: '.' < '_', and days in order
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-20261125_143000.gz deploy.log-20261125_183000.gz deploy.log-20261126.gz" \
	"dateext after the next night (rotate = 3: the oldest archived)"
rl_extract
assert_eq "$(rl_members | awk '{ print $2 }' | tr '\n' ' ')" "deploy/deploy.log-20261125.gz " \
	"the expired dated generation's member name"
rl_check_members
for t in 20261125_143000 20261125_183000 20261126; do
	rl_check_content "$D/deploy.log-$t.gz" deploy/deploy.log "$t" "deploy.log-$t.gz"
done
rl_write error.log 20261126 1
rl_assert_accounted
ok "dateext: -YYYYMMDD.gz, then -YYYYMMDD_HHMMSS.gz for --force and maxsize the same day, in time order; the oldest archived under its own name"

# --- 2. delaycompress: .1 stays plain, compressed when it becomes .2
t_setup "delaycompress = yes"
at "2026-11-01 12:00:00" evm_run 0 init
D=$ROOT/deploy
night 1
assert_eq "$(names deploy/deploy.log)" "deploy.log.1" "delaycompress, night 1"
rl_is_gzip "$D/deploy.log.1" && fail "delaycompress: deploy.log.1 is gzip data"
rl_check_content "$D/deploy.log.1" deploy/deploy.log "$(rl_day 1)" deploy.log.1
night 2
assert_eq "$(names deploy/deploy.log)" "deploy.log.1 deploy.log.2.gz" "delaycompress, night 2"
rl_is_gzip "$D/deploy.log.1" && fail "delaycompress: the new deploy.log.1 is gzip data"
gzip -t "$D/deploy.log.2.gz" || fail "gzip -t fails on deploy.log.2.gz"
rl_check_content "$D/deploy.log.1" deploy/deploy.log "$(rl_day 2)" deploy.log.1
rl_check_content "$D/deploy.log.2.gz" deploy/deploy.log "$(rl_day 1)" deploy.log.2.gz
assert_grep 'deploy\.log\.2' "$T/out" "the compression of the previous .1 is not reported"
night 3
assert_eq "$(names deploy/deploy.log)" "deploy.log.1 deploy.log.2.gz deploy.log.3.gz" "delaycompress, night 3"
rl_check_content "$D/deploy.log.3.gz" deploy/deploy.log "$(rl_day 1)" deploy.log.3.gz
rl_check_content "$D/deploy.log.2.gz" deploy/deploy.log "$(rl_day 2)" deploy.log.2.gz
assert_no_tmp "$T"
rl_assert_accounted
ok "delaycompress: deploy.log.1 plain, .2.gz and older compressed, the previous .1 compressed at the next rotation"

# --- 3. compress = no: every generation plain, archived plain
t_setup "compress = no" "rotate = 2"
at "2026-11-01 12:00:00" evm_run 0 init
D=$ROOT/deploy
night 1
night 2
night 3
assert_eq "$(names deploy/deploy.log)" "deploy.log.1 deploy.log.2" "compress = no, rotate = 2, after 3 nights"
for k in 1 2; do
	rl_is_gzip "$D/deploy.log.$k" && fail "compress = no: deploy.log.$k is gzip data"
	rl_check_content "$D/deploy.log.$k" deploy/deploy.log "$(rl_day $((4 - k)))" "deploy.log.$k"
done
assert_eq "$(find "$ROOT" -name '*.gz' | wc -l)" 0 "compress = no left .gz files in the tree"
arch=$(find "$ARCH" -name 'event-*' ! -name '*.sha256' -printf '%f\n')
[[ $arch =~ ^event-$(rl_day 3)T020000\.tar\.gz$ ]] ||
	fail "compress = no: expected one archive event-$(rl_day 3)T020000.tar.gz (plain logs compress), got: $arch"
rl_extract
rl_check_members
assert_eq "$(rl_members | awk '{ print $2 }' | LC_ALL=C sort | tr '\n' ' ')" \
	"backup/backup.log-$(rl_day 1) config_update/config_update.log-$(rl_day 1) deploy/deploy.log-$(rl_day 1) error.log-$(rl_day 1) " \
	"compress = no: the archived members"
rl_assert_accounted
ok "compress = no: all generations plain, the expired ones archived as plain members in a .tar.gz"

# --- 4. sections: rotate and compress for one log only
t_setup "[deploy/deploy.log]" "rotate = 2" "[backup/backup.log]" "compress = no"
at "2026-11-01 12:00:00" evm_run 0 init
for n in 1 2 3 4 5 6 7 8 9; do
	night "$n"
done
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" "section rotate = 2"
assert_eq "$(names backup/backup.log)" \
	"backup.log.1 backup.log.2 backup.log.3 backup.log.4 backup.log.5 backup.log.6 backup.log.7" \
	"section compress = no (and the global rotate = 7)"
assert_eq "$(names config_update/config_update.log)" \
	"config_update.log.1.gz config_update.log.2.gz config_update.log.3.gz config_update.log.4.gz config_update.log.5.gz config_update.log.6.gz config_update.log.7.gz" \
	"a log without a section"
assert_eq "$(names error.log)" \
	"error.log.1.gz error.log.2.gz error.log.3.gz error.log.4.gz error.log.5.gz error.log.6.gz error.log.7.gz" \
	"error.log without a section"
for k in 1 2 3 4 5 6 7; do
	rl_check_content "$ROOT/backup/backup.log.$k" backup/backup.log "$(rl_day $((10 - k)))" "backup.log.$k"
	rl_check_content "$ROOT/error.log.$k.gz" error.log "$(rl_day $((10 - k)))" "error.log.$k.gz"
done
rl_extract
rl_check_members
assert_eq "$(rl_members | awk '$2 ~ /^deploy/ { print $2 }' | LC_ALL=C sort | tr '\n' ' ')" \
	"$(for n in 1 2 3 4 5 6 7; do printf 'deploy/deploy.log-%s.gz ' "$(rl_day "$n")"; done)" \
	"the deploy.log generations archived (rotate = 2 over 9 nights)"
assert_eq "$(rl_members | awk '$2 ~ /^backup/ { print $2 }' | LC_ALL=C sort | tr '\n' ' ')" \
	"backup/backup.log-$(rl_day 1) backup/backup.log-$(rl_day 2) " \
	"the backup.log generations archived (plain)"
rl_assert_accounted
ok "sections: [deploy/deploy.log] rotate = 2 keeps 2 while others keep 7; [backup/backup.log] compress = no only there"

# --- 5. dateext switched on over numbered generations
t_setup "rotate = 5"
at "2026-11-01 12:00:00" evm_run 0 init
D=$ROOT/deploy
night 1
night 2
night 3
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz deploy.log.3.gz"
tree_state -t "$D" | grep -F 'deploy.log.' >"$T/numbered.before"
conf_add "dateext = yes"
night 4
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-$(rl_day 4).gz deploy.log.1.gz deploy.log.2.gz deploy.log.3.gz" \
	"dateext switched on: a dated generation next to the numbered ones"
tree_state -t "$D" | grep -F 'deploy.log.' >"$T/numbered.after"
assert_same "$T/numbered.after" "$T/numbered.before" "the numbered generations were touched when dateext came on"
night 5
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-$(rl_day 4).gz deploy.log-$(rl_day 5).gz deploy.log.1.gz deploy.log.2.gz deploy.log.3.gz" \
	"dateext, night 5 (5 generations, none expired)"
assert_eq "$(find "$ARCH" -name 'event-*' | wc -l)" 0 "an archive before anything expired"
night 6
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-$(rl_day 4).gz deploy.log-$(rl_day 5).gz deploy.log-$(rl_day 6).gz deploy.log.1.gz deploy.log.2.gz" \
	"dateext, night 6: the oldest numbered generation (.3.gz) expires first"
night 7
assert_eq "$(names deploy/deploy.log)" \
	"deploy.log-$(rl_day 4).gz deploy.log-$(rl_day 5).gz deploy.log-$(rl_day 6).gz deploy.log-$(rl_day 7).gz deploy.log.1.gz" \
	"dateext, night 7: then .2.gz"
rl_check_content "$D/deploy.log.1.gz" deploy/deploy.log "$(rl_day 3)" "the numbered deploy.log.1.gz, left in place"
rl_extract
rl_check_members
assert_eq "$(rl_members | awk '$2 ~ /^deploy/ { print $2 }' | LC_ALL=C sort | tr '\n' ' ')" \
	"deploy/deploy.log-$(rl_day 1).gz deploy/deploy.log-$(rl_day 2).gz " \
	"the numbered generations archived under the day evmaint rotated them"
rl_assert_accounted
ok "dateext switched on later: numbered generations stay untouched, expire oldest first, archived under their rotation day"

exit 0
