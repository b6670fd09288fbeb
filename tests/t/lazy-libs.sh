#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# libarchive is loaded on first use (src/arc-dl.c): a rotate with nothing
# due and a status never map it; a rotate that archives and evmaint
# archive do, and work. A libarchive.so.13 without libarchive's functions
# (an empty shared object first on LD_LIBRARY_PATH) makes them fail with
# a message naming the library and the symbol, exit 1, and lose nothing:
# the next run with the real one archives everything. The compression
# engine (libdeflate, or zlib in a --without-libdeflate build), zlib and
# nettle are loaded on first use too (src/codec-dl.c): a rotate with
# nothing due maps none of them, and one that cannot load the engine
# stops with exit 1, naming it, and the next run finishes the night. The
# binary has no NEEDED entry for any of them and imports none of their
# functions.
# Skipped when configured --disable-dlopen (libarchive linked).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/adv-lib.sh"
. "$(dirname "$0")/crash-lib.sh"

need_root # the tree is root:root
need_tzdata
need ldd tar gzip strace

# Under make check-valgrind, EVMAINT is a script that runs valgrind: the
# loader's trace and the symbols would be valgrind's, not evmaint's.
if [ "$(head -c 4 "$EVMAINT" | od -An -c | tr -d ' ')" != '177ELF' ]; then
	skip "$EVMAINT is not an ELF executable (a wrapper such as valgrind's)"
fi
if [[ $(ldd "$EVMAINT") == *libarchive.so* ]]; then
	skip "configured --disable-dlopen: libarchive is linked"
fi

# loads RUN...: RUN with the dynamic loader's library trace in $T/ld (a
# file, so stderr stays evmaint's).
# shellcheck disable=SC2317 # called through at's "$@"
loads() {
	rm -f "$T"/ld.*
	LD_DEBUG=libs LD_DEBUG_OUTPUT=$T/ld "$@"
	cat "$T"/ld.* >"$T/ld" 2>/dev/null || : >"$T/ld"
	[ -s "$T/ld" ] || fail "LD_DEBUG=libs wrote no trace (a static or secure binary?)"
}
assert_loaded() {
	assert_grep 'libarchive\.so\.13' "$T/ld" "$1: libarchive was not loaded"
}
assert_not_loaded() {
	assert_no_grep 'libarchive\.so' "$T/ld" "$1: libarchive was loaded"
}
# The engine's library: the binary names its functions (for dlsym) only
# when built with libdeflate.
if grep -q -a libdeflate_alloc_compressor "$EVMAINT"; then
	ENGINE=libdeflate.so.0 ENGINE_SYM=libdeflate_
else
	ENGINE=libz.so.1 ENGINE_SYM='[a-z]'
fi
assert_no_codec() {
	assert_no_grep 'lib\(z\|deflate\|nettle\)\.so' "$T/ld" \
		"$1: a compression or hash library was loaded"
}

# night N [STATUS]: 10 lines in deploy.log, rotate at 02:00 of day N.
N_LINES=0
night() {
	put_lines "$ROOT/deploy/deploy.log" deploy $((N_LINES + 1)) $((N_LINES + 10))
	N_LINES=$((N_LINES + 10))
	at "2026-11-0$1 02:00:00" loads evm_run "${2:-0}" rotate
}

# third_night: a fresh tree (rotate = 1) after two nights of 10 lines in
# deploy.log, and 10 more lines there for the third.
third_night() {
	local d
	t_setup "rotate = 1"
	at "2026-11-01 01:00:00" evm_run 0 -q init
	N_LINES=0
	for d in 1 2 3; do
		put_lines "$ROOT/deploy/deploy.log" deploy $((N_LINES + 1)) $((N_LINES + 10))
		N_LINES=$((N_LINES + 10))
		[ "$d" = 3 ] || at "2026-11-0$d 02:00:00" evm_run 0 -q rotate
	done
}

# --- 1. nothing due: rotate and status do not load libarchive
t_setup "rotate = 1"
at "2026-11-01 01:00:00" evm_run 0 init
night 1
at "2026-11-01 03:00:00" loads evm_run 0 rotate
assert_not_loaded "a rotate with nothing due"
assert_no_codec "a rotate with nothing due"
at "2026-11-01 03:00:00" loads evm_run 0 status
assert_not_loaded "status"
ok "a rotate with nothing due and status do not load libarchive; that rotate loads no compression or hash library"

# --- 2. a rotate that archives, and evmaint archive, load it and work
night 2
assert_loaded "a rotate that archives"
assert_grep "${ENGINE//./\\.}" "$T/ld" "a rotate that compresses did not load $ENGINE"
[ -n "$(archives_in "$ARCH")" ] || fail "night 2 archived nothing"
at "2026-11-02 10:00:00" loads evm_run 0 archive
assert_loaded "evmaint archive"
check_arch() {
	local a
	while IFS= read -r a; do
		(cd "$ARCH" && sha256sum -c --quiet "$a.sha256") >"$T/sum.out" 2>&1 ||
			fail "sha256sum -c rejects $a: $(cat "$T/sum.out")"
		tar -tf "$ARCH/$a" >/dev/null || fail "tar cannot list $a"
	done < <(archives_in "$ARCH")
}
check_arch
# a snapshot holds copies of the tree: out of the line counts below
rm -f "$ARCH"/event-*.tar.gz "$ARCH"/event-*.tar.gz.sha256
collect_lines "$T/lines" "$ROOT" "$ARCH"
assert_lines_once "$T/lines" deploy "$N_LINES"
ok "a rotate that archives and evmaint archive load libarchive; their archives check out"

# --- 3. a libarchive.so.13 that is not libarchive: a clear error, exit 1,
#        nothing lost; the next run archives what was left
if command -v cc >/dev/null 2>&1 &&
	mkdir "$T/fake" &&
	echo 'int evm_not_libarchive;' |
	cc -shared -fPIC -x c -o "$T/fake/libarchive.so.13" - 2>"$T/cc.err"; then
	snap arch -t "$ARCH"
	LD_LIBRARY_PATH=$T/fake at "2026-11-02 11:00:00" evm_run 1 archive
	assert_grep 'libarchive\.so\.13.*archive_[a-z_]+' "$T/err" \
		"archive: the message does not name libarchive and the symbol"
	assert_unchanged arch -t "$ARCH"
	assert_no_tmp "$ARCH"
	assert_errlog 'libarchive'
	sed -n 1p "$T/err"
	ok "archive with a libarchive.so.13 lacking its functions: exit 1 naming library and symbol, archive_dir untouched"

	put_lines "$ROOT/deploy/deploy.log" deploy $((N_LINES + 1)) $((N_LINES + 10))
	N_LINES=$((N_LINES + 10))
	LD_LIBRARY_PATH=$T/fake at "2026-11-03 02:00:00" evm_run 1 rotate
	assert_grep 'libarchive\.so\.13.*archive_[a-z_]+' "$T/err" \
		"rotate: the message does not name libarchive and the symbol"
	assert_unchanged arch -t "$ARCH"
	collect_lines "$T/lines" "$ROOT" "$ARCH"
	assert_lines_once "$T/lines" deploy "$N_LINES"
	at "2026-11-03 02:10:00" evm_run 0 rotate
	check_arch
	collect_lines "$T/lines" "$ROOT" "$ARCH"
	assert_lines_once "$T/lines" deploy "$N_LINES"
	ok "rotate with it: exit 1 naming library and symbol, no line lost; the next run archives the backlog"

	# A run killed once its archive is published, before the sources are
	# removed: the next run must check that archive before a replay
	# removes any. Without libarchive it cannot: the journal is kept (not
	# set aside as a forgery), status says so, and a run with libarchive
	# finishes the night.
	fake=$T/fake
	third_night
	crash_snapshot
	n=0 pending=
	while [ -z "$pending" ] && [ "$n" -lt 40 ]; do
		n=$((n + 1))
		rc=0
		crash_kill_before "2026-11-03 02:00:00" unlinkat "$n" || rc=$?
		[ "$rc" = 137 ] || fail "a kill before unlinkat call $n did not land (exit $rc)"
		a=$(sed -n 's/^archive //p' "$STATE.journal" 2>/dev/null || :)
		[ -n "$a" ] && [ -f "$ARCH/$a" ] && pending=$a
	done
	[ -n "$pending" ] || fail "no kill left a journal whose archive was published"
	LD_LIBRARY_PATH=$fake at "2026-11-03 02:05:00" evm_run 1 rotate
	assert_grep "cannot check .*$pending.*libarchive\.so\.13" "$T/err" \
		"rotate: the message does not say the archive cannot be checked"
	assert_no_grep 'set aside' "$T/err" "a journal set aside for want of libarchive"
	assert_file "$STATE.journal"
	[ -z "$(find "$STATE".journal.rejected-* 2>/dev/null)" ] ||
		fail "a journal was set aside for want of libarchive"
	LD_LIBRARY_PATH=$fake at "2026-11-03 02:06:00" evm_run 2 status --check
	assert_grep 'journal.*cannot be checked' "$T/out" \
		"status --check does not say the journal cannot be checked"
	# Nor without nettle, which libarchive itself loads: the probe still
	# says what is wrong, on its one line.
	if mkdir "$T/fake-probe" && echo 'int evm_not_nettle;' |
		cc -shared -fPIC -x c -o "$T/fake-probe/libnettle.so.8" - 2>"$T/cc.err"; then
		LD_LIBRARY_PATH=$T/fake-probe at "2026-11-03 02:06:30" evm_run 2 status --check
		assert_eq "$(wc -l <"$T/out")" 1 "lines of status --check"
		assert_grep '^EVMAINT CRITICAL - journal.*cannot be checked.*nettle_sha256' "$T/out" \
			"status --check without nettle does not say the journal cannot be checked"
	fi
	# with libarchive, status finds the journal one the next run finishes
	at "2026-11-03 02:07:00" evm_run 1 status --check
	assert_no_grep 'journal' "$T/out" "status --check: a journal the next run finishes"
	at "2026-11-03 02:10:00" evm_run 0 -q rotate
	assert_no_file "$STATE.journal"
	[ -z "$(find "$STATE".journal.rejected-* 2>/dev/null)" ] ||
		fail "a journal was set aside"
	check_arch
	collect_lines "$T/lines" "$ROOT" "$ARCH"
	assert_lines_once "$T/lines" deploy "$N_LINES"
	ok "a journal whose archive cannot be checked without libarchive: kept, exit 1, status CRITICAL (without nettle too); with libarchive the night is finished, every line once"
else
	echo "note: no C compiler to build a fake libarchive.so.13: its case is left out"
fi

# --- 4. an engine library that is not one: the rotation stops with exit 1
#        naming it and the symbol (stderr and error.log), no line lost; the
#        next run, with the real one, finishes the night
if command -v cc >/dev/null 2>&1 &&
	mkdir "$T/fake-engine" &&
	echo 'int evm_not_an_engine;' |
	cc -shared -fPIC -x c -o "$T/fake-engine/$ENGINE" - 2>"$T/cc.err"; then
	fake=$T/fake-engine
	third_night
	LD_LIBRARY_PATH=$fake at "2026-11-03 02:00:00" evm_run 1 rotate
	assert_grep "${ENGINE//./\\.}: cannot resolve $ENGINE_SYM" "$T/err" \
		"rotate: the message does not name $ENGINE and the symbol"
	assert_errlog "${ENGINE//./\\.}: cannot resolve"
	sed -n '$p' "$T/err"
	collect_lines "$T/lines" "$ROOT" "$ARCH"
	assert_lines_once "$T/lines" deploy "$N_LINES"
	at "2026-11-03 02:10:00" evm_run 0 -q rotate
	assert_no_file "$STATE.journal"
	assert_no_tmp "$ROOT/deploy"
	assert_file "$ROOT/deploy/deploy.log.1.gz"
	gzip -t "$ROOT/deploy/deploy.log.1.gz" || fail "deploy.log.1.gz does not test"
	check_arch
	collect_lines "$T/lines" "$ROOT" "$ARCH"
	assert_lines_once "$T/lines" deploy "$N_LINES"
	ok "rotate with a $ENGINE lacking its functions: exit 1 naming library and symbol, in error.log too, no line lost; the next run finishes the night"
else
	echo "note: no C compiler to build a fake $ENGINE: its case is left out"
fi

# --- 5. the binary neither needs nor imports the codec libraries: a call
#        that codec-dl.h does not redirect would bring one back as a
#        NEEDED entry and an undefined symbol, which part 1 sees only as a
#        library mapped at start-up. libarchive, which links them, is the
#        positive control of the symbol pattern.
need nm objdump
codec_syms='^(inflate|deflate|crc32|adler32|zlibVersion|gz[a-z]|compress|uncompress|libdeflate_|nettle_)'
objdump -p "$EVMAINT" >"$T/dyn"
assert_grep 'NEEDED.*libc\.so' "$T/dyn" "objdump -p lists no NEEDED libc: the check reads nothing"
assert_no_grep 'NEEDED.*lib\(z\|deflate\|nettle\|archive\)\.so' "$T/dyn" \
	"the binary needs a library that is loaded on first use"
nm -D --undefined-only "$EVMAINT" | awk '{ print $NF }' | sed 's/@.*//' >"$T/undef"
[ -s "$T/undef" ] || fail "nm -D lists no undefined symbol: the check reads nothing"
if grep -E "$codec_syms" "$T/undef" >"$T/codec-undef"; then
	fail "the binary imports codec functions, not redirected through codec-dl.h: $(tr '\n' ' ' <"$T/codec-undef")"
fi
# Into files, then read: under pipefail, a reader that stops at its first
# match (awk's exit, grep -q) leaves the writer to die of SIGPIPE.
ldconfig -p >"$T/ldconfig"
libarchive=$(awk '/libarchive\.so\.13 / { print $NF; exit }' "$T/ldconfig")
[ -n "$libarchive" ] || fail "ldconfig -p does not list libarchive.so.13"
nm -D --undefined-only "$libarchive" | awk '{ print $NF }' | sed 's/@.*//' >"$T/lib-undef"
grep -E -q "$codec_syms" "$T/lib-undef" ||
	fail "the codec symbol pattern matches nothing libarchive imports: it would pass anything"
ok "the binary neither needs nor imports zlib, libdeflate, nettle or libarchive (nm -D, objdump -p)"
exit 0
