#!/bin/bash
# evmaint verify: every .gz in the tree decompressed in full and every
# archive in archive_dir checked (sidecar, outer gzip, members). Clean: 0.
# A flipped byte or a truncation in a tree .gz, a truncated archive, a
# sidecar with a wrong hash or none, a corrupt member or outer gzip behind a
# matching sidecar (libarchive alone would not notice): 1, naming the file.
# --json lists what was checked with ok flags. It takes no lock and writes
# nothing: the tree, archive_dir and the state directory stay byte-identical,
# whatever it finds.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/adv-lib.sh"

need_root # init creates root:root files
need_tzdata
need gzip python3 flock

# snap_all NAME / unchanged_all NAME: every place verify could write to.
snap_all() {
	snap "$1" -t "$ROOT" "$ARCH" "$T/var"
}
unchanged_all() {
	assert_unchanged "$1" -t "$ROOT" "$ARCH" "$T/var"
}

# bad_verify WHAT RE [JSONPATH]: verify exits 1, stderr matches RE (the file
# named), nothing is written; with JSONPATH, --json marks that path not ok
# and every other checked item ok.
bad_verify() {
	local what=$1 re=$2 jpath=${3-}
	snap_all bad
	evm_run 1 verify
	assert_grep "$re" "$T/err" "verify does not name the damaged file ($what)"
	unchanged_all bad
	if [ -n "$jpath" ]; then
		evm_run 1 --json verify
		json_check "$T/out"
		P=$jpath assert_json "$T/out" '[c["ok"] for c in d["checked"] if c["path"] == env["P"]] == [False]' \
			"--json verify does not mark $jpath as not ok ($what)"
		P=$jpath assert_json "$T/out" 'all(c["ok"] for c in d["checked"] if c["path"] != env["P"])' \
			"--json verify marks an intact file as bad ($what)"
		unchanged_all bad
	fi
}

# keep FILE / restore FILE: a copy aside, put back in place (same inode).
keep() {
	cp -p -- "$1" "$T/kept"
}
restore() {
	cat -- "$T/kept" >"$1"
	touch -r "$T/kept" -- "$1"
}

# member_offset TAR MEMBER: the byte offset of MEMBER's data in TAR.
member_offset() {
	python3 -c 'import sys, tarfile
t = tarfile.open(sys.argv[1], "r:")
print(t.getmember(sys.argv[2]).offset_data)' "$1" "$2"
}

# --- setup: five nights with rotate = 2, so that archives exist, and a
#     snapshot; varied content, so that the deflate data is not trivial
t_setup "rotate = 2"
evm_run 0 init
for day in 20 21 22 23 24; do
	seq 1 3000 | awk -v d="$day" '{ printf "day %s line %d %x %o\n", d, $1, $1 * 7919 % 65521, $1 * 31 }' \
		>>"$ROOT/deploy/deploy.log"
	put_lines "$ROOT/backup/backup.log" "backup $day" 1 500
	at "2026-11-$day 02:00:00" evm_run 0 rotate
done
at "2026-11-25 10:00:00" evm_run 0 archive
NIGHTLY=$ARCH/event-20261122T020000.tar
SNAP=$ARCH/event-20261125T100000.tar.gz
assert_file "$NIGHTLY" "setup: no nightly archive"
assert_file "$SNAP" "setup: no snapshot"
ngz=$(find "$ROOT" -name '*.gz' | wc -l)
narc=$(archives_in "$ARCH" | wc -l)
if [ "$ngz" -lt 4 ] || [ "$narc" -lt 4 ]; then
	fail "setup: $ngz .gz in the tree, $narc archives"
fi

# --- 1. clean: 0; --json lists every .gz and every archive, all ok
snap_all clean
evm_run 0 verify
evm_run 0 --json verify
json_check "$T/out"
(cd "$ROOT" && find . -name '*.gz' -printf '%P\n') >"$T/want.checked"
archives_in "$ARCH" | sed "s|^|$ARCH/|" >>"$T/want.checked"
LC_ALL=C sort -o "$T/want.checked" "$T/want.checked"
json_get "$T/out" '"\n".join(sorted(c["path"] for c in d["checked"]))' >"$T/got.checked"
assert_same "$T/got.checked" "$T/want.checked" "--json verify: the checked paths"
assert_json "$T/out" 'all(c["ok"] is True for c in d["checked"])' "an intact file is not ok"
assert_json "$T/out" 'sorted(set(c["kind"] for c in d["checked"])) == ["archive", "gzip"]' "kinds"
unchanged_all clean
ok "clean tree ($ngz .gz) and archive_dir ($narc archives): exit 0, --json lists each with ok true, nothing written"

# --- 2. a flipped byte in the middle of a tree .gz's deflate data
F=$ROOT/deploy/deploy.log.2.gz
keep "$F"
flip_byte "$F" $(($(stat -c %s "$F") / 2))
if gzip -t "$F" 2>/dev/null; then
	fail "setup: the flipped byte went unnoticed by gzip -t too"
fi
bad_verify "flipped byte" 'deploy/deploy\.log\.2\.gz' deploy/deploy.log.2.gz
restore "$F"
# the last byte of the CRC-32 in the trailer
flip_byte "$F" $(($(stat -c %s "$F") - 5))
bad_verify "flipped CRC byte" 'deploy/deploy\.log\.2\.gz' deploy/deploy.log.2.gz
restore "$F"
evm_run 0 verify
ok "a flipped byte in deploy.log.2.gz (data or CRC): exit 1 naming it, only it not ok; restored: 0"

# --- 3. a truncated tree .gz
F=$ROOT/backup/backup.log.1.gz
keep "$F"
truncate -s $(($(stat -c %s "$F") / 2)) "$F"
bad_verify "truncated .gz" 'backup/backup\.log\.1\.gz' backup/backup.log.1.gz
: >"$F"
bad_verify "empty .gz" 'backup/backup\.log\.1\.gz' backup/backup.log.1.gz
restore "$F"
evm_run 0 verify
ok "a truncated or empty backup.log.1.gz: exit 1 naming it"

# --- 4. a truncated nightly archive and a truncated snapshot
for A in "$NIGHTLY" "$SNAP"; do
	keep "$A"
	truncate -s $(($(stat -c %s "$A") * 2 / 3)) "$A"
	bad_verify "truncated $(basename "$A")" "$(basename "$A" | sed 's/[.]/\\./g')" "$A"
	restore "$A"
done
evm_run 0 verify
ok "a truncated nightly archive or snapshot: exit 1 naming it"

# --- 5. a sidecar with a wrong hash; an archive without its sidecar
S=$NIGHTLY.sha256
keep "$S"
h=$(cut -c1 "$S")
if [ "$h" = 0 ]; then n=1; else n=0; fi
printf '%s%s' "$n" "$(cut -c2- "$S")" >"$S"
printf '\n' >>"$S"
if (cd "$ARCH" && sha256sum -c --status "$S"); then
	fail "setup: the altered sidecar still matches"
fi
bad_verify "wrong hash in the sidecar" "$(basename "$NIGHTLY" | sed 's/[.]/\\./g')" "$NIGHTLY"
rm "$S"
bad_verify "no sidecar" "$(basename "$NIGHTLY" | sed 's/[.]/\\./g')" "$NIGHTLY"
cp -p "$T/kept" "$S"
evm_run 0 verify
ok "a sidecar with a wrong hash, or none: exit 1 naming the archive"

# --- 6. damage behind a matching sidecar: a corrupt .gz member of a
#        nightly archive; a corrupt outer gzip of the snapshot
keep "$NIGHTLY"
cp -p "$S" "$T/kept.side"
tar -tf "$NIGHTLY" >"$T/members"
M=$(grep -m1 '\.gz$' "$T/members")
off=$(member_offset "$NIGHTLY" "$M")
msize=$(tar -tvf "$NIGHTLY" "$M" | awk '{ print $3 }')
flip_byte "$NIGHTLY" $((off + msize / 2))
(cd "$ARCH" && sha256sum "$(basename "$NIGHTLY")" >"$(basename "$S")")
mkdir "$T/m"
tar -xf "$NIGHTLY" -C "$T/m" "$M"
if gzip -t "$T/m/$M" 2>/dev/null; then
	fail "setup: the damaged member $M still passes gzip -t"
fi
bad_verify "corrupt member $M, sidecar matching" "$(basename "$NIGHTLY" | sed 's/[.]/\\./g')" "$NIGHTLY"
restore "$NIGHTLY"
cat "$T/kept.side" >"$S"
evm_run 0 verify

S=$SNAP.sha256
keep "$SNAP"
cp -p "$S" "$T/kept.side"
flip_byte "$SNAP" $(($(stat -c %s "$SNAP") - 6))
(cd "$ARCH" && sha256sum "$(basename "$SNAP")" >"$(basename "$S")")
if gzip -t "$SNAP" 2>/dev/null; then
	fail "setup: the damaged snapshot still passes gzip -t"
fi
bad_verify "corrupt outer gzip CRC, sidecar matching" "$(basename "$SNAP" | sed 's/[.]/\\./g')" "$SNAP"
restore "$SNAP"
cat "$T/kept.side" >"$S"
evm_run 0 verify
ok "damage that a matching sidecar hides (a member's CRC, the outer gzip's CRC): exit 1 naming the archive"

# --- 7. no lock: works while another instance holds it, creates no lock
hold_lock 600
snap_all locked
t0=$(now_s)
evm_run 0 verify
took=$(elapsed "$t0")
lock_is_held "$STATE.lock" || fail "the holder lost the lock during verify"
unchanged_all locked
kill "$HOLDER_PID"
wait "$HOLDER_PID" || true
rm -rf "${T:?}/var"
evm_run 0 verify
assert_no_file "$T/var" "verify created the state directory or its lock"
ok "verify runs while the lock is held (${took}s) and creates no lock file"

# --- 8. what is named as an archive but is none (a symlink, a FIFO): not
# followed, not opened (no hang), and reported: verify cannot vouch for it
ln -s /etc/passwd "$ARCH/event-20261101T020000.tar"
mkfifo "$ARCH/event-20261102T020000.tar.gz"
evm_run 1 verify
assert_fgrep "event-20261101T020000.tar: named as an archive but is a symlink: not checked" "$T/err"
assert_fgrep "event-20261102T020000.tar.gz: named as an archive but is a fifo: not checked" "$T/err"
rm -f "$ARCH/event-20261101T020000.tar" "$ARCH/event-20261102T020000.tar.gz"
evm_run 0 verify
ok "a symlink and a FIFO named as archives: reported, not followed, exit 1"

# --- progress on a TTY only (script(1) gives it one)
assert_no_grep 'verified .* of .*files' "$T/err" "progress printed without a TTY"
need script
script -qec "$EVMAINT -c $T/evmaint.conf verify" /dev/null </dev/null >"$T/tty.out" 2>&1 ||
	fail "verify on a TTY failed: $(cat "$T/tty.out")"
assert_grep 'evmaint: verified [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B, [0-9]+/[0-9]+ files' "$T/tty.out" \
	"no progress on a TTY"
ok "verify on a TTY shows progress on stderr; off a TTY none"

exit 0
