#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Fourteen nights of rotation over the four configured logs and a new
# script's log, with numbered lines written every day (and on some days
# none to some logs). Afterwards every line is in exactly one place (live
# log, generation, archive member); each log keeps exactly generations 1..7,
# the right days in each; one archive per night in which something expired,
# which sha256sum -c, GNU tar and bsdtar accept, holding exactly the expired
# generations under deploy/deploy.log-YYYYMMDD.gz, YYYYMMDD the night it was
# rotated; evmaint verify passes, and fails naming a flipped .gz or a
# truncated archive.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/rotate-lib.sh"

need_root # the tree is root:root
need_tzdata

LOGS="deploy/deploy.log backup/backup.log config_update/config_update.log error.log newscript/newscript.log"
NDAYS=14
NKEEP=7

# Lines for log number I on day D: 1 to 40, and none on a few days.
lines_for() {
	local i=$1 d=$2
	case "$i:$d" in
	1:4 | 2:2 | 2:9 | 4:5) echo 0 ;;
	*) echo $(((d * 7 + i * 11) % 40 + 1)) ;;
	esac
}

t_setup
export EVMAINT_JOBS=3 # several compressions at once
at "2026-11-01 12:00:00" evm_run 0 init
mkdir -m 0750 "$ROOT/newscript"

declare -A ROTS # log -> the tags of the nights it was rotated, in order
: >"$T/expected.members"
: >"$T/expected.archives"
for ((d = 1; d <= NDAYS; d++)); do
	tag=$(rl_day "$d")
	i=0
	expired=0
	for l in $LOGS; do
		n=$(lines_for "$i" "$d")
		rl_write "$l" "$tag" "$n"
		if [ "$n" -gt 0 ]; then
			ROTS[$l]="${ROTS[$l]:-} $tag"
			read -r -a r <<<"${ROTS[$l]}"
			if [ "${#r[@]}" -gt "$NKEEP" ]; then
				# the generation rotated KEEP rotations ago leaves tonight
				echo "TONIGHT ${l}-${r[${#r[@]} - NKEEP - 1]}.gz" >>"$T/expected.members"
				expired=1
			fi
		fi
		i=$((i + 1))
	done
	ls "$ARCH" >"$T/arch.before"
	at "$(rl_iso "$tag") 02:00:00" evm_run 0 rotate
	assert_empty "$T/err" "night $tag: rotate wrote to stderr"
	ls "$ARCH" >"$T/arch.after"
	new=$(LC_ALL=C comm -13 "$T/arch.before" "$T/arch.after" | grep -v '\.sha256$' || true)
	if [ "$expired" = 1 ]; then
		[[ $new =~ ^event-${tag}T020000\.tar(\.gz)?$ ]] ||
			fail "night $tag: expected one new archive event-${tag}T020000.tar[.gz], got: '$new'"
		assert_file "$ARCH/$new.sha256" "night $tag: no sidecar for $new"
		assert_fgrep "$new" "$T/out" "night $tag: stdout does not name the archive written"
		echo "$new" >>"$T/expected.archives"
		sed -i "s/^TONIGHT /$new /" "$T/expected.members"
	else
		assert_eq "$new" "" "night $tag: an archive although nothing expired"
	fi
	for l in $LOGS; do
		read -r -a r <<<"${ROTS[$l]:-}"
		want=${#r[@]}
		[ "$want" -le "$NKEEP" ] || want=$NKEEP
		assert_eq "$(rl_gens "$ROOT/$(dirname "$l")" "${l##*/}" | wc -l)" "$want" \
			"night $tag: generations of $l"
	done
done
assert_no_tmp "$T"
ok "$NDAYS nights rotated, exit 0, no stderr; an archive exactly on the nights something expired"

# a last day's lines, not rotated yet
last=$(rl_day $((NDAYS + 1)))
for l in $LOGS; do
	rl_write "$l" "$last" 3
done

# --- the tree: generations 1..7, each holding its night's lines
for l in $LOGS; do
	read -r -a r <<<"${ROTS[$l]}"
	m=${#r[@]}
	[ "$m" -ge "$NKEEP" ] || fail "test setup: $l was rotated only $m times"
	want=$(for ((k = 1; k <= NKEEP; k++)); do echo "${l##*/}.$k.gz"; done | LC_ALL=C sort)
	assert_eq "$(rl_gens "$ROOT/$(dirname "$l")" "${l##*/}")" "$want" "the generations of $l"
	for ((k = 1; k <= NKEEP; k++)); do
		g=$ROOT/$l.$k.gz
		gzip -t "$g" || fail "gzip -t fails on $g"
		rl_check_content "$g" "$l" "${r[m - k]}" "$l.$k.gz"
	done
	rl_check_content "$ROOT/$l" "$l" "$last" "the live $l"
done
ok "every log has exactly LOG.1.gz..LOG.$NKEEP.gz, generation k holding the lines of its k-th last rotation"

# --- every line, exactly once
rl_assert_accounted

# --- the archives: names, members, checksums, readers
rl_check_members
ok "every member is named LOG-YYYYMMDD.gz and holds exactly the lines of that night's rotation"
rl_members >"$T/got.members"
LC_ALL=C sort -o "$T/expected.members" "$T/expected.members"
assert_same "$T/got.members" "$T/expected.members" "archive members (archive, member)"
find "$ARCH" -mindepth 1 ! -name '*.sha256' -printf '%f\n' | LC_ALL=C sort >"$T/got.archives"
assert_same "$T/got.archives" "$T/expected.archives" "the archives in archive_dir"
ok "each expired generation is in the archive of the night it expired, and nothing else is"

cd "$ARCH"
while read -r a; do
	sha256sum -c --status "$a.sha256" || fail "sha256sum -c $a.sha256 fails"
	assert_eq "$(awk '{ print $2 }' "$a.sha256")" "$a" "the file named in $a.sha256"
	awk -v a="$a" '$1 == a { print $2 }' "$T/expected.members" | LC_ALL=C sort >"$T/want.list"
	for tool in tar bsdtar; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "note: no $tool here, its listing is not checked"
			continue
		fi
		"$tool" -tf "$a" >"$T/$tool.list" 2>"$T/$tool.err" || fail "$tool -tf $a fails: $(cat "$T/$tool.err")"
		assert_empty "$T/$tool.err" "$tool -tf $a complains"
		grep -v '/$' "$T/$tool.list" | LC_ALL=C sort >"$T/$tool.files"
		assert_same "$T/$tool.files" "$T/want.list" "$tool -tf $a"
	done
done <"$T/expected.archives"
cd "$T"
ok "$(wc -l <"$T/expected.archives") archives: sha256sum -c passes, GNU tar and bsdtar list exactly the expected members"

# --- verify: clean, then a flipped byte in a generation, then a truncated archive
evm_run 0 verify
g=$ROOT/deploy/deploy.log.3.gz
cp -p "$g" "$T/saved.gz"
size=$(stat -c %s "$g")
rl_flip "$g" $((23 + (size - 31) / 2))
evm_run 1 verify
assert_grep 'deploy/deploy\.log\.3\.gz' "$T/err" "verify does not name the corrupt generation"
assert_no_grep 'deploy\.log\.2\.gz|event-' "$T/err" "verify blames files that are fine"
cp -p "$T/saved.gz" "$g"
evm_run 0 verify
a=$(head -1 "$T/expected.archives")
cp -p "$ARCH/$a" "$T/saved.tar"
truncate -s $(($(stat -c %s "$ARCH/$a") / 2)) "$ARCH/$a"
evm_run 1 verify
assert_fgrep "$a" "$T/err" "verify does not name the truncated archive"
assert_no_grep '\.gz: ' "$T/err" "verify blames generations that are fine"
cp -p "$T/saved.tar" "$ARCH/$a"
evm_run 0 verify
ok "verify: 0 on the clean result, 1 naming a generation with a flipped byte, 1 naming a truncated archive"

exit 0
