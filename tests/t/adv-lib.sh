#!/bin/bash
# shellcheck shell=bash
#
# Helpers for the adversarial whole-program tests (rotate-attack,
# rotate-writers, archive-snapshot, verify, rotate-logrotate-equiv):
# writers, line accounting over a tree and its archives, archive extraction
# and per-file checksums. Sourced after common.sh, whose helpers it uses.

# need_writer: WRITER is the evm-writer helper (automake exports
# EVM_WRITER); a missing one is a broken harness, not a skip.
WRITER=
need_writer() {
	WRITER=${EVM_WRITER:-$TESTDIR/../evm-writer}
	case $WRITER in
	/*) ;;
	*) WRITER=$PWD/$WRITER ;;
	esac
	if [ ! -x "$WRITER" ]; then
		echo "HARNESS ERROR: no evm-writer at $WRITER (make check builds it, or set EVM_WRITER)" >&2
		exit 99
	fi
}

# put_lines FILE PREFIX FROM TO: appends "PREFIX N" for N in FROM..TO, as a
# script's ">>" would (the file is not created if missing: that is an error).
put_lines() {
	[ -e "$1" ] || fail "put_lines: $1 does not exist"
	seq "$3" "$4" | sed "s/^/$2 /" >>"$1"
}

# unz FILE: the content of FILE, decompressed when it is a .gz.
unz() {
	case $1 in
	*.gz) gzip -dc -- "$1" ;;
	*) cat -- "$1" ;;
	esac
}

# arc_extract ARCHIVE DIR: GNU tar extracts ARCHIVE (.tar or .tar.gz) into
# the new directory DIR; fails the test if tar cannot.
arc_extract() {
	mkdir -p "$2"
	tar -xf "$1" -C "$2" 2>"$T/tar.err" || fail "GNU tar cannot extract $1:
$(cat "$T/tar.err")"
}

# archives_in DIR: the archive files (not sidecars) in DIR, one per line.
archives_in() {
	find "$1" -maxdepth 1 -type f -name 'event-*.tar*' ! -name '*.sha256' -printf '%f\n' |
		LC_ALL=C sort
}

# collect_lines OUT ROOT [ARCH]: every line of every regular file below
# ROOT (decompressed) except README.md and error.log, then every line of
# every member of every archive in ARCH, written to OUT. Each archive is
# extracted into its own directory, so a member held twice counts twice.
collect_lines() {
	local out=$1 root=$2 arch=${3-} a n=0 x f
	: >"$out"
	while IFS= read -r -d '' f; do
		unz "$f" >>"$out" || fail "cannot read $f"
	done < <(find "$root" -type f ! -name README.md ! -name error.log ! -name '.evmaint-tmp.*' -print0)
	[ -n "$arch" ] || return 0
	while IFS= read -r a; do
		n=$((n + 1))
		x=$T/collect.$n
		rm -rf "$x"
		arc_extract "$arch/$a" "$x"
		while IFS= read -r -d '' f; do
			unz "$f" >>"$out" || fail "cannot read member $f of $a"
		done < <(find "$x" -type f -print0)
		rm -rf "$x"
	done < <(archives_in "$arch")
}

# assert_lines_once FILE PREFIX COUNT: the lines "PREFIX 1" .. "PREFIX COUNT"
# are each in FILE exactly once, and no other line starts with "PREFIX ".
assert_lines_once() {
	local f=$1 p=$2 n=$3 got dups missing
	got=$(grep -c -a -e "^$p " -- "$f" || true)
	dups=$(grep -a -e "^$p " -- "$f" | LC_ALL=C sort | uniq -d | sed -n 1,5p)
	[ -z "$dups" ] || fail "lines of '$p' held twice (first: $(echo "$dups" | tr '\n' ' '))"
	missing=$(comm -23 <(seq 1 "$n" | sed "s/^/$p /" | LC_ALL=C sort) \
		<(grep -a -e "^$p " -- "$f" | LC_ALL=C sort))
	if [ -n "$missing" ]; then
		fail "$(echo "$missing" | wc -l) of $n lines of '$p' lost (first: $(echo "$missing" | sed -n 1,5p | tr '\n' ' '))"
	fi
	assert_eq "$got" "$n" "number of lines of '$p' (extra lines not from the writer?)"
}

# file_sums DIR: "SHA256  ./PATH" of every regular file below DIR, sorted.
file_sums() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

# flip_byte FILE OFFSET: inverts the byte at OFFSET in place.
flip_byte() {
	local f=$1 off=$2 b
	b=$(od -An -tu1 -j "$off" -N1 -- "$f" | tr -d ' ')
	[ -n "$b" ] || fail "flip_byte: $f has no byte at $off"
	# shellcheck disable=SC2059 # the format is built on purpose
	printf "\\$(printf '%03o' $((255 - b)))" |
		dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# writer_ok OUTFILE COUNT: evm-writer's summary says all COUNT lines were
# written and no ENOENT, no wrong mode/owner, no other error was seen.
writer_ok() {
	local s
	s=$(tail -n 1 -- "$1")
	case $s in
	"written=$2 enoent=0 badmode=0 errors=0") ;;
	*) fail "writer $1: got '$s', expected 'written=$2 enoent=0 badmode=0 errors=0'" ;;
	esac
}
