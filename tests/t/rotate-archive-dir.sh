#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# archive_dir missing (an unmounted backup volume): rotate never creates it,
# says so (stderr, error.log) and exits 1 every night, keeps everything
# that could not be archived (generations pile up past `rotate`), and still
# rotates the live logs; once it is back (init, or mkdir), the next run
# archives the whole backlog in one archive and the tree is back to
# `rotate` generations, no line lost. archive_keep_days: archives whose
# stamp's day is more than N calendar days before the run's day are
# removed with their sidecars; the newest one never is.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/rotate-lib.sh"

need_root # the tree is root:root
need_tzdata

LOGS="deploy/deploy.log backup/backup.log config_update/config_update.log error.log"

# night N [STATUS]: lines in every log, then rotate at 02:00, exit STATUS.
night() {
	local tag l
	tag=$(rl_day "$1")
	for l in $LOGS; do
		rl_write "$l" "$tag" $((2 + $1 % 5))
	done
	at "$(rl_iso "$tag") 02:00:00" evm_run "${2:-0}" rotate
}

ngens() {
	rl_gens "$ROOT/$(dirname "$1")" "${1##*/}" | wc -l
}

archives() {
	find "$ARCH" -mindepth 1 -maxdepth 1 -name 'event-*' ! -name '*.sha256' -printf '%f\n' | LC_ALL=C sort
}

sidecars() {
	find "$ARCH" -mindepth 1 -maxdepth 1 -name '*.sha256' -printf '%f\n' | sed 's/\.sha256$//' | LC_ALL=C sort
}

# --- 1. archive_dir gone for 10 nights, then init brings it back
t_setup
at "2026-11-01 12:00:00" evm_run 0 init
rm -rf "$ARCH"
for n in 1 2 3 4 5 6 7 8 9 10; do
	night "$n" 1
	assert_fgrep "$ARCH" "$T/err" "night $n: stderr does not name the missing archive_dir"
	assert_errlog 'archive_dir'
	assert_no_file "$ARCH" "night $n: rotate created archive_dir"
	for l in $LOGS; do
		assert_eq "$(ngens "$l")" "$n" "night $n: generations of $l (nothing may leave the tree)"
	done
	rl_check_content "$ROOT/deploy/deploy.log.1.gz" deploy/deploy.log "$(rl_day "$n")" \
		"night $n: deploy.log.1.gz (the live log must still rotate)"
	assert_empty "$ROOT/deploy/deploy.log" "night $n: the live deploy.log was not rotated"
done
assert_file "$ROOT/deploy/deploy.log.10.gz" "the 10th generation"
rl_assert_accounted
ok "archive_dir missing for 10 nights: exit 1 naming it (stderr, error.log), not created, logs rotated, 10 generations kept"

at "2026-11-11 12:00:00" evm_run 0 init
assert_dir "$ARCH" "init did not recreate archive_dir"
assert_mode "$ARCH" 0750
night 11 0
assert_empty "$T/err" "the night archive_dir came back: stderr"
for l in $LOGS; do
	assert_eq "$(ngens "$l")" 7 "the night archive_dir came back: generations of $l"
done
assert_eq "$(archives)" "event-$(rl_day 11)T020000.tar" "the backlog is not in one archive of that night"
assert_eq "$(sidecars)" "$(archives)" "sidecars"
(cd "$ARCH" && sha256sum -c --status "$(archives).sha256") || fail "sha256sum -c fails on the backlog's archive"
rl_extract
rl_check_members
assert_eq "$(rl_members | wc -l)" 16 "members of the backlog archive (4 logs x 4 nights)"
for l in $LOGS; do
	for n in 1 2 3 4; do
		assert_fgrep "$l-$(rl_day "$n").gz" <(rl_members) "the backlog archive lacks $l of night $n"
	done
done
rl_assert_accounted
evm_run 0 verify
ok "archive_dir back (init): the next night exits 0, archives the 4-night backlog of every log in one archive, 7 generations"

# --- 2. the same with mkdir, rotate = 2
t_setup "rotate = 2"
at "2026-11-01 12:00:00" evm_run 0 init
rm -rf "$ARCH"
for n in 1 2 3 4 5; do
	night "$n" 1
done
assert_eq "$(ngens deploy/deploy.log)" 5 "rotate = 2, archive_dir missing for 5 nights"
mkdir -m 0750 "$ARCH"
night 6 0
assert_eq "$(ngens deploy/deploy.log)" 2 "rotate = 2, after archive_dir came back"
assert_eq "$(archives | wc -l)" 1 "archives written the night archive_dir came back"
rl_extract
rl_check_members
rl_assert_accounted
ok "archive_dir back (mkdir): the backlog archived at once, 2 generations left"

# --- 3. archive_keep_days = 5 over 20 nights, 3 of them missed
t_setup "archive_keep_days = 5" "rotate = 1"
at "2026-11-01 12:00:00" evm_run 0 init
mkdir "$T/saved" # a copy of every archive, for the line accounting
RL_ARCHDIRS=("$T/saved")
ran=()
for n in $(seq 1 20); do
	case $n in 12 | 13 | 14) continue ;; esac
	archives >"$T/before"
	night "$n" 0
	ran+=("$n")
	cp -p "$ARCH"/event-* "$T/saved/" 2>/dev/null || true
	want=
	# retention counts from tonight, or from the previous run when that
	# was before yesterday (night 15 follows night 11: from the 11th)
	ref=$n
	[ "$n" = 15 ] && ref=11
	for m in "${ran[@]}"; do
		# an archive each night from the second on; kept while its day is
		# at most 5 calendar days before the reference day
		if [ "$m" -ge 2 ] && [ "$m" -ge $((ref - 5)) ]; then
			want+="event-$(rl_day "$m")T020000.tar"$'\n'
		fi
	done
	assert_eq "$(archives)" "${want%$'\n'}" "night $n: the archives kept with archive_keep_days = 5"
	assert_eq "$(sidecars)" "$(archives)" "night $n: sidecars (one per archive, none left over)"
	archives | LC_ALL=C comm -23 "$T/before" - >"$T/removed"
	while read -r a; do
		assert_fgrep "$a" "$T/out" "night $n: the removal of $a is not reported on stdout"
	done <"$T/removed"
done
rl_assert_accounted
ok "archive_keep_days = 5: kept exactly the archives of the last 5 calendar days and tonight's (after missed nights: of the previous run's), sidecars with them"

# --- 4. never the newest
t_setup "archive_keep_days = 1" "rotate = 1"
at "2026-11-01 12:00:00" evm_run 0 init
LOGS=deploy/deploy.log
night 1
night 2
assert_eq "$(archives)" "event-$(rl_day 2)T020000.tar"
at "$(rl_iso "$(rl_day 9)") 02:00:00" evm_run 0 rotate # nothing to rotate or archive
assert_eq "$(archives)" "event-$(rl_day 2)T020000.tar" "the only archive, 7 days old, was removed"
assert_eq "$(sidecars)" "$(archives)"
night 10
assert_eq "$(archives)" "event-$(rl_day 10)T020000.tar" "keep_days = 1: an old archive once a newer one exists"
night 11
assert_eq "$(archives)" "event-$(rl_day 10)T020000.tar"$'\n'"event-$(rl_day 11)T020000.tar" \
	"keep_days = 1: yesterday's archive"
at "$(rl_iso "$(rl_day 20)") 02:00:00" evm_run 0 rotate # nothing new
# 9 nights after the last run: retention counts from that run, this once
assert_eq "$(archives)" "event-$(rl_day 10)T020000.tar"$'\n'"event-$(rl_day 11)T020000.tar" \
	"keep_days = 1, 9 nights after the last run: what that run kept"
at "$(rl_iso "$(rl_day 20)") 03:00:00" evm_run 0 rotate # nothing new
assert_eq "$(archives)" "event-$(rl_day 11)T020000.tar" "keep_days = 1, nothing new: all but the newest"
assert_eq "$(sidecars)" "$(archives)"
night 21
assert_eq "$(archives)" "event-$(rl_day 21)T020000.tar" "keep_days = 1: older archives once a newer one exists"
assert_eq "$(sidecars)" "$(archives)"
ok "archive_keep_days = 1: the newest archive is kept however old; removed once a newer one exists"

# --- 5. an archive_dir or state directory others can write is not used:
#        sources are deleted on the strength of what is there
t_setup "rotate = 1"
at "2026-11-01 12:00:00" evm_run 0 init
LOGS=deploy/deploy.log
night 1
chmod 0777 "$ARCH"
rl_write deploy/deploy.log "$(rl_day 2)" 2
at "$(rl_iso "$(rl_day 2)") 02:00:00" evm_run 1 rotate
assert_fgrep "$ARCH is writable by others (mode 0777)" "$T/err" "the message does not say why archive_dir is refused"
assert_file "$ROOT/deploy/deploy.log.2.gz" "the expired generation was not kept"
assert_eq "$(archives)" "" "an archive written into a world-writable archive_dir"
at "$(rl_iso "$(rl_day 2)") 03:00:00" evm_run 1 archive
assert_fgrep "$ARCH is writable by others" "$T/err"
chmod 0750 "$ARCH"
chmod 0777 "$(dirname "$STATE")"
rl_write deploy/deploy.log "$(rl_day 3)" 2
snap st -t "$ROOT/deploy" "$ARCH" # error.log gets the error
at "$(rl_iso "$(rl_day 3)") 02:00:00" evm_run 1 rotate
assert_fgrep "$(dirname "$STATE") is writable by others (mode 0777)" "$T/err"
assert_unchanged st -t "$ROOT/deploy" "$ARCH"
chmod 0750 "$(dirname "$STATE")"
at "$(rl_iso "$(rl_day 3)") 02:00:00" evm_run 0 rotate
assert_eq "$(archives)" "event-$(rl_day 3)T020000.tar" "the backlog, once archive_dir is fixed"
ok "archive_dir or the state directory writable by others: exit 1 naming it, nothing archived or removed; fixed, the next run converges"

# --- 6. a generation that does not inflate (corrupt, or a foreign file
#        named .gz) holds back no other: the rest is archived and removed,
#        it stays in the tree, named by its path, exit 1; a snapshot holds
#        the rest of the tree; once it is gone the night is clean again
t_setup "rotate = 1"
RL_ARCHDIRS=()
at "2026-11-01 12:00:00" evm_run 0 init
LOGS="deploy/deploy.log backup/backup.log config_update/config_update.log error.log"
night 1
printf 'not gzip at all\n' >"$ROOT/deploy/deploy.log.5.gz"
printf 'cut short\n' | gzip -c | head -c 20 >"$ROOT/backup/backup.log.4.gz"
night 2 1
assert_fgrep "deploy/deploy.log.6.gz: not archived: cannot be inflated:" "$T/err"
assert_fgrep "backup/backup.log.5.gz: not archived: cannot be inflated:" "$T/err"
assert_no_grep "archive not written" "$T/err" "one bad generation failed the whole archive"
assert_errlog 'deploy/deploy\.log\.6\.gz: not archived'
assert_file "$ROOT/deploy/deploy.log.6.gz" "the corrupt generation left the tree"
assert_file "$ROOT/backup/backup.log.5.gz" "the cut-short generation left the tree"
for l in $LOGS; do
	assert_no_file "$ROOT/$l.2.gz" "$l.2.gz (archived, so removed)"
done
assert_eq "$(archives)" "event-$(rl_day 2)T020000.tar" "night 2's archive"
rl_extract
assert_eq "$(rl_members | wc -l)" 4 "members of night 2's archive: each log's good generation"
rl_check_members
at "$(rl_iso "$(rl_day 2)") 12:00:00" evm_run 1 archive
assert_fgrep "deploy/deploy.log.6.gz: not in the snapshot: cannot be inflated:" "$T/err"
snapshot=$(find "$ARCH" -name 'event-*.tar.gz')
tar -tzf "$snapshot" >"$T/snap"
assert_fgrep "deploy/deploy.log.1.gz" "$T/snap" "the snapshot lacks the good generation"
assert_fgrep "deploy/deploy.log" "$T/snap"
assert_no_grep "deploy\.log\.6\.gz|backup\.log\.5\.gz" "$T/snap" "the snapshot holds a file that does not inflate"
rm -f "$snapshot" "$snapshot.sha256" "$ROOT/deploy/deploy.log.6.gz" "$ROOT/backup/backup.log.5.gz"
night 3 0
assert_empty "$T/err" "the night after the bad generations were removed"
rl_assert_accounted
ok "generations that do not inflate: left in the tree and named (exit 1), the rest archived and removed; the snapshot holds the rest; then clean"

# --- 7. archive_dir inside root through a symbolic link (the paths
# as written keep apart, so check-config cannot see it): init does not
# create it in the tree; rotate and archive write no archive there; status
# is CRITICAL naming it
t_setup
mkdir -p "$ROOT"
chmod 0750 "$ROOT"
ln -s "$ROOT/archives" "$T/arclink"
printf 'root = %s\narchive_dir = %s\nstate_file = %s\n' "$ROOT" "$T/arclink" "$STATE" >"$T/evmaint.conf"
evm_run 0 check-config
evm_run 1 init
assert_fgrep "archive_dir $T/arclink is inside root $ROOT through a symbolic link on the way" "$T/err"
assert_no_file "$ROOT/archives" "init created archive_dir in the tree"
assert_file "$ROOT/deploy/deploy.log" "init did not do the rest"
mkdir -m 0750 "$ROOT/archives"
echo "a line" >>"$ROOT/error.log"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "archive_dir $T/arclink is inside root $ROOT through a symbolic link" "$T/err"
at "2026-11-25 03:00:00" evm_run 1 archive
assert_empty_dir() { [ -z "$(ls -A "$1")" ] || fail "$2: $(ls -A "$1")"; }
assert_empty_dir "$ROOT/archives" "an archive was written inside the tree"
EVMAINT_LOGROTATE_CONF=/dev/null/none at "2026-11-25 03:00:00" evm_run 2 status --check
assert_grep "^EVMAINT CRITICAL - .*archive_dir: $T/arclink .*is inside root" "$T/out"
ok "archive_dir inside root through a symbolic link: not created there, no archive written there, CRITICAL"

exit 0
