#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Taking over from logrotate: the generations it left (deploy.log.1 plain
# with delaycompress, deploy.log.2.gz ... deploy.log.9.gz; or dateext ones,
# deploy.log-20261116.gz ...) are adopted by the first rotate: shifted, the
# newest kept, the rest archived under the day of their mtime (or their own
# date), every line accounted for. With real logrotate too, when installed.
# Generations sharing one mtime (a tree copied without -p) still get one
# member each, under distinct names.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/rotate-lib.sh"

need_root # the tree is root:root
need_tzdata

D= # $ROOT/deploy, once t_setup has run

names() {
	rl_gens "$ROOT/$(dirname "$1")" "${1##*/}" | tr '\n' ' ' | sed 's/ $//'
}

# gday K: the day logrotate's generation K was last written, as YYYYMMDD:
# .1 the 24th, .9 the 16th (logrotate ran every morning, 9 kept).
gday() {
	date -d "2026-11-25 -$1 days" +%Y%m%d
}

# leftover K [plain]: deploy.log.K(.gz) as logrotate leaves it, holding lines
# tagged with its day, with the mtime of its last write (23:10 that day).
leftover() {
	local k=$1 f
	f=$D/deploy.log.$k
	rl_write_to "$f" deploy/deploy.log "$(gday "$k")" $((3 + k))
	chmod 0640 "$f"
	touch -d "$(rl_iso "$(gday "$k")") 23:10:00" "$f"
	if [ "${2:-}" != plain ]; then
		gzip -n -6 "$f" # gzip keeps the mtime on the .gz
	fi
}

# The tree logrotate left (delaycompress: .1 plain) is adopted by the first
# run at 2026-11-25 02:00: expected afterwards.
check_adopted() {
	local k what=$1
	assert_eq "$(names deploy/deploy.log)" \
		"deploy.log.1.gz deploy.log.2.gz deploy.log.3.gz deploy.log.4.gz deploy.log.5.gz deploy.log.6.gz deploy.log.7.gz" \
		"$what: generations after the first run (rotate = 7)"
	rl_check_content "$D/deploy.log.1.gz" deploy/deploy.log 20261125 "$what: deploy.log.1.gz"
	for k in 2 3 4 5 6 7; do
		gzip -t "$D/deploy.log.$k.gz" || fail "$what: gzip -t fails on deploy.log.$k.gz"
		rl_check_content "$D/deploy.log.$k.gz" deploy/deploy.log "$(gday $((k - 1)))" \
			"$what: deploy.log.$k.gz (logrotate's .$((k - 1)))"
	done
	arch=$(find "$ARCH" -name 'event-*' ! -name '*.sha256' -printf '%f\n')
	[[ $arch =~ ^event-20261125T020000\.tar(\.gz)?$ ]] ||
		fail "$what: expected one archive event-20261125T020000.tar[.gz], got: $arch"
	(cd "$ARCH" && sha256sum -c --status "$arch.sha256") || fail "$what: sha256sum -c $arch.sha256"
	rl_extract
	rl_check_members
	assert_eq "$(rl_members | awk '{ print $2 }' | tr '\n' ' ')" \
		"deploy/deploy.log-$(gday 9).gz deploy/deploy.log-$(gday 8).gz deploy/deploy.log-$(gday 7).gz " \
		"$what: the archived generations, named by their mtime's day"
	rl_assert_accounted
}

# --- 1. numbered leftovers made by hand: .1 plain, .2.gz to .9.gz
t_setup
at "2026-11-24 12:00:00" evm_run 0 init
D=$ROOT/deploy
leftover 1 plain
for k in 2 3 4 5 6 7 8 9; do
	leftover "$k"
done
rl_write_to "$T/error.log.1" error.log 20261124 2
gzip -c "$T/error.log.1" >"$ROOT/error.log.1.gz"
chmod 0640 "$ROOT/error.log.1.gz"
touch -d "2026-11-24 23:10:00" "$ROOT/error.log.1.gz"
rl_write deploy/deploy.log 20261125 4
rl_write error.log 20261125 1
# the preview the migration guide asks for names what the run will write
at "2026-11-25 02:00:00" evm_run 0 -n rotate
assert_eq "$(grep -o ' as deploy/deploy\.log-[0-9_]*\.gz' "$T/out" | sort | tr '\n' ' ')" \
	" as deploy/deploy.log-$(gday 9).gz  as deploy/deploy.log-$(gday 8).gz  as deploy/deploy.log-$(gday 7).gz " \
	"the dry run's archive member names"
assert_no_grep 'waiting for archive_dir' "$T/err" "a backlog said to wait for an archive_dir that is there"
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_empty "$T/err" "adopting logrotate's generations wrote to stderr"
check_adopted "numbered leftovers"
assert_eq "$(names error.log)" "error.log.1.gz error.log.2.gz" "error.log's single leftover"
rl_check_content "$ROOT/error.log.2.gz" error.log 20261124 "error.log.2.gz (logrotate's .1.gz)"
ok "logrotate's deploy.log.1 and .2.gz-.9.gz: shifted, .1 compressed, 7 kept, 3 archived as deploy.log-<mtime day>.gz"

# the next night goes on as usual: one more expires, named from the mtime
rl_write deploy/deploy.log 20261126 2
at "2026-11-26 02:00:00" evm_run 0 rotate
assert_eq "$(rl_gens "$D" deploy.log | wc -l)" 7 "generations the night after"
rl_extract
rl_check_members
assert_fgrep "deploy/deploy.log-$(gday 6).gz" <(rl_members) "the next night's expired leftover"
rl_assert_accounted
ok "the night after: the next leftover archived under its mtime's day"

# --- 2. dateext leftovers, evmaint with dateext
t_setup "dateext = yes"
at "2026-11-24 12:00:00" evm_run 0 init
D=$ROOT/deploy
for k in 1 2 3 4 5 6 7 8 9; do
	t=$(gday "$k")
	rl_write_to "$D/deploy.log-$t" deploy/deploy.log "$t" 3
	gzip -n "$D/deploy.log-$t"
	chmod 0640 "$D/deploy.log-$t.gz"
	touch -d "$(rl_iso "$t") 06:25:00" "$D/deploy.log-$t.gz"
done
rl_write deploy/deploy.log 20261125 2
at "2026-11-25 02:00:00" evm_run 0 rotate
want="deploy.log-20261125.gz"
for k in 1 2 3 4 5 6; do
	want="deploy.log-$(gday "$k").gz $want"
done
assert_eq "$(names deploy/deploy.log)" "$want" "dateext leftovers: the 7 newest kept"
rl_extract
rl_check_members
assert_eq "$(rl_members | awk '{ print $2 }' | tr '\n' ' ')" \
	"deploy/deploy.log-$(gday 9).gz deploy/deploy.log-$(gday 8).gz deploy/deploy.log-$(gday 7).gz " \
	"dateext leftovers archived"
rl_assert_accounted
ok "logrotate's dateext deploy.log-YYYYMMDD.gz: the 7 newest kept, the 2 oldest and 1 more archived under their names"

# --- 3. dateext leftovers, evmaint numbered: they count, and expire oldest first
t_setup
at "2026-11-24 12:00:00" evm_run 0 init
D=$ROOT/deploy
for k in 1 2 3 4 5 6 7 8 9; do
	t=$(gday "$k")
	rl_write_to "$D/deploy.log-$t" deploy/deploy.log "$t" 3
	gzip -n "$D/deploy.log-$t"
	touch -d "$(rl_iso "$t") 06:25:00" "$D/deploy.log-$t.gz"
done
rl_write deploy/deploy.log 20261125 2
at "2026-11-25 02:00:00" evm_run 0 rotate
want="deploy.log.1.gz"
for k in 1 2 3 4 5 6; do
	want="deploy.log-$(gday "$k").gz $want"
done
assert_eq "$(names deploy/deploy.log)" "$want" "dateext leftovers under numbered naming"
rl_extract
assert_eq "$(rl_members | awk '{ print $2 }' | tr '\n' ' ')" \
	"deploy/deploy.log-$(gday 9).gz deploy/deploy.log-$(gday 8).gz deploy/deploy.log-$(gday 7).gz " \
	"the oldest dated leftovers archived"
rl_check_members
rl_assert_accounted
ok "logrotate's dateext leftovers with numbered naming: counted among the 7, oldest archived first"

# --- 4. real logrotate, when installed: its tree, adopted
if command -v logrotate >/dev/null 2>&1; then
	t_setup
	at "2026-11-24 12:00:00" evm_run 0 init
	D=$ROOT/deploy
	cat >"$T/logrotate.conf" <<EOF
$D/deploy.log {
	rotate 9
	compress
	delaycompress
	create 0640 root root
	missingok
}
EOF
	# nine mornings of logrotate: run i holds the lines of day gday(10 - i)
	for i in 1 2 3 4 5 6 7 8 9; do
		rl_write deploy/deploy.log "$(gday $((10 - i)))" $((3 + 10 - i))
		logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf" >"$T/lr.out" 2>&1 ||
			fail "logrotate failed: $(cat "$T/lr.out")"
	done
	assert_file "$D/deploy.log.1" "logrotate did not leave a plain deploy.log.1 (delaycompress)"
	assert_file "$D/deploy.log.9.gz" "logrotate did not leave deploy.log.9.gz"
	touch -d "$(rl_iso "$(gday 1)") 23:10:00" "$D/deploy.log.1"
	for k in 2 3 4 5 6 7 8 9; do
		touch -d "$(rl_iso "$(gday "$k")") 23:10:00" "$D/deploy.log.$k.gz"
	done
	rl_write deploy/deploy.log 20261125 4
	at "2026-11-25 02:00:00" evm_run 0 rotate
	assert_empty "$T/err" "adopting real logrotate's generations wrote to stderr"
	check_adopted "logrotate's own leftovers"
	ok "a tree rotated 9 times by logrotate $(logrotate --version 2>&1 | sed -n 1p | awk '{ print $2 }'): adopted, 7 kept, 3 archived by mtime day"
else
	echo "note: logrotate is not installed: its real leftovers are not tried"
fi

# --- 5. leftovers that share one mtime (a tree copied without -p)
t_setup
at "2026-11-24 12:00:00" evm_run 0 init
D=$ROOT/deploy
for k in 1 2 3 4 5 6 7 8 9 10; do
	rl_write_to "$D/deploy.log.$k" deploy/deploy.log "copied$k" 3
	gzip -n "$D/deploy.log.$k"
	touch -d "2026-11-20 10:00:00" "$D/deploy.log.$k.gz"
done
rl_write deploy/deploy.log 20261125 2
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_eq "$(rl_gens "$D" deploy.log | wc -l)" 7 "generations after adopting 10 copied leftovers"
a=$(find "$ARCH" -name 'event-*' ! -name '*.sha256' -printf '%f\n')
rl_list "$ARCH/$a" >"$T/members.raw"
LC_ALL=C sort "$T/members.raw" >"$T/members"
assert_eq "$(wc -l <"$T/members")" 4 "members archived from 10 leftovers + 1 rotation, 7 kept"
assert_all_lines '^deploy/deploy\.log-20261120(_[0-9]{6})?\.gz$' "$T/members" \
	"member names of leftovers with an mtime on 2026-11-20"
dup=$(uniq -d "$T/members")
[ -z "$dup" ] || fail "one archive holds several members under one name (extracting it keeps only the last): $dup
$(cat "$T/members.raw")"
rl_assert_accounted
ok "10 leftovers with one mtime: the 4 expired ones archived under 4 distinct member names, every line extractable"

# The 6 copies still in the tree expire on later nights, one archive each:
# their names were fixed at first sight, so no two archives hold different
# files under one member name (the contract's promise for nightly archives).
for day in 26 27 28 29 30; do
	rl_write deploy/deploy.log "202611$day" 2
	at "2026-11-$day 02:00:00" evm_run 0 rotate
done
rl_write deploy/deploy.log 20261201 2
at "2026-12-01 02:00:00" evm_run 0 rotate
assert_eq "$(find "$ARCH" -name 'event-*.tar*' ! -name '*.sha256' | wc -l)" 7 \
	"nightly archives after 7 nights"
for a in "$ARCH"/event-*.tar*; do
	case $a in *.sha256) continue ;; esac
	rl_list "$a"
done >"$T/all.raw"
LC_ALL=C sort "$T/all.raw" >"$T/all"
assert_eq "$(grep -c 'copied\|20261120' "$T/all")" 10 "the 10 copied leftovers, each archived once"
dup=$(uniq -d "$T/all")
[ -z "$dup" ] || fail "one member name in two nightly archives: $dup"
rl_assert_accounted
ok "the copies expiring on 6 later nights: 10 distinct member names across 7 archives"

# --- 6. the generations of a log that is gone (its script retired, the live
# file deleted, never listed in `logs`): a log without its file, kept to
# `rotate` and archived beyond it like any, listed by status, held by a
# snapshot; nothing creates the live file again
t_setup "rotate = 2"
at "2026-11-24 12:00:00" evm_run 0 init
mkdir -m 0750 "$ROOT/retired"
for k in 1 2 3 4 5; do
	rl_write_to "$ROOT/retired/old.log.$k" retired/old.log "left$k" 2
	gzip -n "$ROOT/retired/old.log.$k"
	chmod 0640 "$ROOT/retired/old.log.$k.gz"
	touch -d "2026-11-$((20 - k)) 10:00:00" "$ROOT/retired/old.log.$k.gz"
done
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_eq "$(rl_gens "$ROOT/retired" old.log | tr '\n' ' ')" "old.log.1.gz old.log.2.gz " \
	"the retired log's generations after a night (rotate = 2)"
assert_no_file "$ROOT/retired/old.log" "rotate created the retired log's live file"
a=$(find "$ARCH" -name 'event-*' ! -name '*.sha256' -printf '%f\n')
rl_list "$ARCH/$a" >"$T/members"
assert_eq "$(grep -c '^retired/old\.log-2026111[5-7]\.gz$' "$T/members")" 3 \
	"the 3 oldest generations archived under their mtime days"
at "2026-11-25 03:00:00" evm_run 0 status
assert_grep '^retired/old\.log +- +- +missing ' "$T/out" "status does not list the retired log"
at "2026-11-25 04:00:00" evm_run 0 archive
snapshot=$(find "$ARCH" -name 'event-*.tar.gz')
tar -tzf "$snapshot" >"$T/snap"
assert_grep '^retired/old\.log\.1\.gz$' "$T/snap" "the snapshot lacks the retired log's generation"
rm -f "$snapshot" "$snapshot.sha256"
at "2026-11-25 05:00:00" evm_run 0 init
assert_no_file "$ROOT/retired/old.log" "init created the retired log's live file"
rl_assert_accounted
ok "generations whose live log is gone: kept to rotate, the rest archived, in status and the snapshot, the live file never recreated"

# --- 6b. but not in a directory others may write or own: generations
# planted there are theirs, left alone and reported as a log there is
mkdir -m 0777 "$ROOT/open"
mkdir -m 0750 "$ROOT/theirs"
chown nobody "$ROOT/theirs"
for d in open theirs; do
	for k in 1 2 3 4; do
		printf 'planted %s\n' "$k" >"$ROOT/$d/x.log.$k"
	done
done
snap st -t "$ROOT/open" "$ROOT/theirs"
at "2026-11-26 02:00:00" evm_run 1 rotate
assert_unchanged st -t "$ROOT/open" "$ROOT/theirs"
assert_fgrep "open/x.log: its directory is writable by others" "$T/err"
assert_fgrep "theirs/x.log: its directory is owned by nobody" "$T/err"
assert_eq "$(find "$ARCH" -name 'event-20261126*' ! -name '*.sha256' -exec tar -tf {} \; | grep -c 'open/\|theirs/' || true)" 0 \
	"a planted generation archived"
ok "generations without their log in a directory others may write or own: left alone, reported (exit 1)"

# --- 7. a pair left from logrotate's time: deploy.log.1 and deploy.log.1.gz
# holding different lines (not an interrupted compression, which the next
# run settles). Reported every night while kept, named by status --check,
# never counted as two generations; beyond rotate both are archived, as
# NAME-DAY and NAME-DAY.gz, and the tree converges. No line lost.
t_setup "rotate = 2"
at "2026-11-24 12:00:00" evm_run 0 init
rl_write_to "$ROOT/deploy/deploy.log.1" deploy/deploy.log plain 3
rl_write_to "$T/other" deploy/deploy.log other 2
gzip -n -c "$T/other" >"$ROOT/deploy/deploy.log.1.gz"
chmod 0640 "$ROOT/deploy/deploy.log.1" "$ROOT/deploy/deploy.log.1.gz"
touch -d "2026-11-23 23:10:00" "$ROOT/deploy/deploy.log.1" "$ROOT/deploy/deploy.log.1.gz"
rcs=
for d in 25 26 27 28; do
	rl_write deploy/deploy.log "202611$d" 2
	RC=0
	EVMAINT_NOW="2026-11-$d 02:00:00" evm rotate >"$T/out" 2>"$T/err" </dev/null || RC=$?
	rcs="$rcs $RC"
	if [ "$d" = 25 ]; then
		assert_fgrep "deploy/deploy.log.1: and deploy.log.1.gz hold different data" "$T/err"
		at "2026-11-25 03:00:00" evm_run 2 status --check
		assert_fgrep "pair: deploy/deploy.log.2 and deploy.log.2.gz: one generation twice" "$T/out" \
			"status --check does not name the pair"
		assert_no_grep 'backlog' "$T/out" "the pair counted as two generations"
	fi
done
[ "${rcs##* }" = 0 ] || fail "the tree did not converge: rotate exits$rcs"
assert_eq "$(names deploy/deploy.log)" "deploy.log.1.gz deploy.log.2.gz" "generations in the end"
rl_extract
assert_eq "$(rl_members | awk '$2 ~ /^deploy\/deploy\.log-20261123(\.gz)?$/' | wc -l)" 2 \
	"both copies archived under the day of their mtime"
rl_assert_accounted
ok "a plain and a .gz copy of one generation holding different lines: reported (exits$rcs), named by status, both archived beyond rotate; no line lost"

exit 0
