#!/bin/bash
# shellcheck shell=bash disable=SC2034 # variables set for the test scripts
#
# Line accounting for the rotation tests, sourced after common.sh. Every
# line a test writes is unique and says which log it went to and which
# rotation should take it ("deploy/deploy.log 20261103 0000042"); all of
# them are remembered in $T/written. Afterwards the live logs, the
# generations (zcat) and the members of every archive must hold each of
# them exactly once, and nothing else (evmaint's own ERROR lines in
# error.log aside). Member names and generations can be checked against the
# tags inside: a member deploy/deploy.log-20261103.gz holds exactly the
# lines "deploy/deploy.log 20261103 ...".
#
#	rl_write deploy/deploy.log 20261103 25     # 25 lines, one >> (open, append, close)
#	at "2026-11-03 02:00:00" evm_run 0 rotate
#	rl_assert_accounted                         # tree + $ARCH
#	rl_check_members                            # names match contents

RL_SEQ=0
RL_BUF=
# Where rl_extract looks for archives; empty means $ARCH alone (a test that
# keeps copies of archives that retention removes adds their directory).
RL_ARCHDIRS=()
# Member names of nightly archives: REL-YYYYMMDD[_HHMMSS][.gz].
RL_MEMBER_RE='^(.+\.log)-([0-9]{8}(_[0-9]{6})?)(\.gz)?$'

# rl_make REL TAG N [PAD]: N new lines "REL TAG SEQ" (with PAD x's after,
# to make them longer) in RL_BUF, remembered in $T/written.
rl_make() {
	local rel=$1 tag=$2 n=$3 pad=${4:-0} i line fill=
	RL_BUF=
	if [ "$pad" -gt 0 ]; then
		printf -v fill '%*s' "$pad" ''
		fill=" ${fill// /x}"
	fi
	for ((i = 0; i < n; i++)); do
		RL_SEQ=$((RL_SEQ + 1))
		printf -v line '%s %s %07d%s\n' "$rel" "$tag" "$RL_SEQ" "$fill"
		RL_BUF+=$line
	done
	printf '%s' "$RL_BUF" >>"$T/written"
}

# rl_write REL TAG N [PAD]: appends N new lines to $ROOT/REL at once
# (open, append, close, as the scripts' ">>" does). N = 0 writes nothing.
rl_write() {
	[ "$3" -gt 0 ] || return 0
	rl_make "$@"
	printf '%s' "$RL_BUF" >>"$ROOT/$1"
}

# rl_write_to FILE REL TAG N [PAD]: the same into any FILE (a generation
# made by hand, as logrotate would have left it).
rl_write_to() {
	local f=$1
	shift
	rl_make "$@"
	printf '%s' "$RL_BUF" >>"$f"
}

# rl_count REL TAG: how many lines were written for that log and rotation.
rl_count() {
	[ -e "$T/written" ] || {
		echo 0
		return 0
	}
	awk -v r="$1" -v t="$2" '$1 == r && $2 == t { n++ } END { print n + 0 }' "$T/written"
}

# rl_cat FILE: its content, decompressed if it is a .gz (which must be whole).
rl_cat() {
	case $1 in
	*.gz) gzip -dc -- "$1" || fail "rl_cat: $1 does not decompress" ;;
	*) cat -- "$1" ;;
	esac
}

# rl_mine FILE: its lines without evmaint's own error.log lines.
rl_mine() {
	rl_cat "$1" | { grep -a -v -E -e "$ERRLOG_RE" || true; }
}

# rl_extract: every archive in $ARCH (or each of RL_ARCHDIRS) extracted into
# $T/arx/NAME/ with GNU tar (bsdtar when there is no GNU tar).
rl_extract() {
	local d a tool=tar
	if [ ${#RL_ARCHDIRS[@]} -gt 0 ]; then
		set -- "${RL_ARCHDIRS[@]}"
	else
		set -- "$ARCH"
	fi
	command -v tar >/dev/null 2>&1 || tool=bsdtar
	need "$tool"
	rm -rf "$T/arx"
	mkdir -p "$T/arx"
	for d in "$@"; do
		[ -d "$d" ] || continue
		for a in "$d"/event-*.tar "$d"/event-*.tar.gz; do
			[ -f "$a" ] || continue
			mkdir -p "$T/arx/${a##*/}"
			"$tool" -xf "$a" -C "$T/arx/${a##*/}" ||
				fail "$tool cannot extract $a"
		done
	done
}

# rl_found OUT: every line now in the tree (every file but README.md: live
# logs, plain and .gz generations) and in the archives (see rl_extract),
# evmaint's ERROR lines left out, into OUT.
rl_found() {
	local out=$1 f
	: >"$out"
	while IFS= read -r -d '' f; do
		rl_mine "$f" >>"$out"
	done < <(find "$ROOT" -type f ! -path "$ROOT/README.md" -print0)
	rl_extract
	while IFS= read -r -d '' f; do
		rl_mine "$f" >>"$out"
	done < <(find "$T/arx" -type f -print0)
}

# rl_assert_accounted: every line written is found exactly once, and
# nothing else is found.
rl_assert_accounted() {
	local n
	rl_found "$T/found"
	[ -e "$T/written" ] || : >"$T/written"
	LC_ALL=C sort "$T/written" >"$T/written.sorted"
	LC_ALL=C sort "$T/found" >"$T/found.sorted"
	LC_ALL=C comm -23 "$T/written.sorted" "$T/found.sorted" >"$T/missing"
	LC_ALL=C comm -13 "$T/written.sorted" "$T/found.sorted" >"$T/extra"
	[ ! -s "$T/missing" ] || fail "$(wc -l <"$T/missing") lines lost (written, found nowhere), e.g.:
$(head -20 "$T/missing")"
	[ ! -s "$T/extra" ] || fail "$(wc -l <"$T/extra") lines found twice, or never written, e.g.:
$(head -20 "$T/extra")"
	n=$(wc -l <"$T/written.sorted")
	ok "line accounting: all $n lines found exactly once"
}

# rl_check_content FILE REL TAG WHAT: FILE holds exactly the lines written
# for REL and TAG (evmaint's ERROR lines aside).
rl_check_content() {
	local f=$1 rel=$2 tag=$3 what=$4 bad got want
	bad=$(rl_mine "$f" | awk -v r="$rel" -v t="$tag" '($1 != r || $2 != t) && ++n <= 5')
	[ -z "$bad" ] || fail "$what holds lines that are not '$rel $tag':
$bad"
	got=$(rl_mine "$f" | wc -l)
	want=$(rl_count "$rel" "$tag")
	assert_eq "$got" "$want" "$what: number of lines of '$rel $tag'"
}

# rl_members: after rl_extract, one line "ARCHIVE MEMBER" per member file.
rl_members() {
	local f rel
	while IFS= read -r -d '' f; do
		rel=${f#"$T/arx/"}
		printf '%s %s\n' "${rel%%/*}" "${rel#*/}"
	done < <(find "$T/arx" -type f -print0) | LC_ALL=C sort
}

# rl_check_members: after rl_extract, every member of every archive has a
# nightly member name (REL-YYYYMMDD[_HHMMSS][.gz]), holds exactly the lines
# written for that log and that rotation, and no member name occurs twice.
rl_check_members() {
	local a m dup
	while read -r a m; do
		[[ $m =~ $RL_MEMBER_RE ]] ||
			fail "$a: member '$m' is not named REL-YYYYMMDD[_HHMMSS][.gz]"
		rl_check_content "$T/arx/$a/$m" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" \
			"member $m of $a"
	done < <(rl_members)
	dup=$(rl_members | awk '{ print $2 }' | LC_ALL=C sort | uniq -d)
	[ -z "$dup" ] || fail "one member name in two archives: $dup"
}

# rl_gens DIR NAME: the generations of log NAME in DIR, one per line, in
# LC_ALL=C name order.
rl_gens() {
	find "$1" -maxdepth 1 -type f \( -name "$2.[0-9]*" -o -name "$2-[0-9]*" \) \
		-printf '%f\n' | LC_ALL=C sort
}

# rl_day N: the date N days after 2026-11-01 as YYYYMMDD (a calendar day).
rl_day() {
	date -d "2026-11-01 +$1 days" +%Y%m%d
}

# rl_iso YYYYMMDD: as YYYY-MM-DD.
rl_iso() {
	printf '%s-%s-%s\n' "${1:0:4}" "${1:4:2}" "${1:6:2}"
}

# rl_epoch "YYYY-MM-DD HH:MM:SS": the local time as seconds since the epoch.
rl_epoch() {
	date -d "$1" +%s
}

# rl_is_gzip FILE: the file starts with gzip's magic number.
rl_is_gzip() {
	[ "$(head -c 2 -- "$1" | od -An -tx1 | tr -d ' \n')" = 1f8b ]
}

# rl_flip FILE OFFSET: inverts the bits of one byte in place.
rl_flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 -- "$1" | tr -d ' ')
	[ -n "$b" ] || fail "rl_flip: $1 is shorter than $2 bytes"
	# shellcheck disable=SC2059 # the format is the byte itself
	printf "\\$(printf '%03o' $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# rl_gz_header FILE: "MTIME NAME" from the gzip header (MTIME, FNAME), the
# name empty when the header has none.
rl_gz_header() {
	need python3
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
if b[:3] != b"\x1f\x8b\x08":
    sys.exit("%s: not a gzip file" % sys.argv[1])
flg, mtime, p = b[3], struct.unpack("<I", b[4:8])[0], 10
if flg & 4:
    p += 2 + struct.unpack("<H", b[p:p + 2])[0]
name = ""
if flg & 8:
    e = b.index(b"\0", p)
    name = b[p:e].decode("latin-1")
print(mtime, name)
PY
}

# rl_list ARCHIVE: its member names, as GNU tar (else bsdtar) lists them.
rl_list() {
	local tool=tar
	command -v tar >/dev/null 2>&1 || tool=bsdtar
	need "$tool"
	"$tool" -tf "$1" || fail "$tool -tf $1 fails"
}
