#!/bin/bash
# Invariants 1, 2, 3, 4 and 7 under I/O errors. ENOSPC and EIO are injected
# into each system call evmaint uses to change or read the tree, at a spread
# of occurrences (strace -e inject=SYSCALL:error=E:when=N). The faulted run
# must end with exit 0 or 1 (never a crash), keep every line written, leave
# every live log in place with its mode, show no partial .gz; a rerun
# without faults must leave exactly the tree of an uninterrupted run.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/crash-lib.sh"
need strace tar zcat sha256sum gzip
need_root

# LeakSanitizer cannot work under ptrace; the runs under strace skip it.
LSAN_OFF="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

crash_setup
export EVMAINT_JOBS=1

crash_restore
at "$CRASH_NOW" evm_run 0 -q rotate
crash_members >"$T/ref"
crash_expected_lines | LC_ALL=C sort -u >"$T/lines.want"

# After a faulted run: nothing lost, live logs whole, no visible partial .gz.
check_faulted() {
	local what=$1 f
	crash_lines | LC_ALL=C sort -u >"$T/lines.got"
	if ! LC_ALL=C comm -23 "$T/lines.want" "$T/lines.got" | cmp -s - /dev/null; then
		fail "$what: lines lost: $(LC_ALL=C comm -23 "$T/lines.want" "$T/lines.got" | sed -n 1,3p)"
	fi
	for f in deploy/deploy.log backup/backup.log config_update/config_update.log error.log; do
		assert_file "$ROOT/$f" "$what: live log missing"
		assert_mode "$ROOT/$f" 0640 "$what: live log mode"
	done
	while IFS= read -r f; do
		gzip -t "$f" 2>/dev/null || fail "$what: a corrupt .gz is visible: $f"
	done < <(find "$ROOT" -name '*.gz' ! -name '.evmaint-tmp.*')
}

# How often SYSCALL runs before evmaint's own work starts (the loader, libc,
# the sanitizers' runtime, the time zone): faults there are not evmaint's to
# handle, so counting starts at its config file, in a run without faults.
startup_calls() {
	crash_restore
	ASAN_OPTIONS=$LSAN_OFF EVMAINT_NOW="$CRASH_NOW" strace -f -y -o "$T/trace0" \
		-e trace="$1,openat" "$EVMAINT" -c "$T/evmaint.conf" -q rotate \
		>/dev/null 2>&1 </dev/null || true
	awk -v sc="$1" '/evmaint\.conf/ { print n + 0; exit }
		$2 ~ "^" sc "\\(" { n++ }' "$T/trace0"
}

# fault SYSCALL ERRNO N [PATH]: 0 when the fault fired and everything held.
# With PATH, only the calls on that file or directory count and fault.
fault() {
	local sc=$1 e=$2 n=$3 rc=0 only=() dups
	[ -z "${4:-}" ] || only=(-P "$4")
	echo "fault: $sc=$e#$n${4:+ on $4}" >&2
	crash_restore
	ASAN_OPTIONS=$LSAN_OFF EVMAINT_NOW="$CRASH_NOW" strace -f -y -o "$T/trace" "${only[@]}" -e trace="$sc" \
		-e inject="$sc":error="$e":when="$n" \
		"$EVMAINT" -c "$T/evmaint.conf" -q rotate >"$T/out" 2>"$T/err" </dev/null || rc=$?
	grep -q 'INJECTED' "$T/trace" || return 1
	case $rc in
	0 | 1) ;;
	78) # the config itself could not be read: nothing may have changed
		grep -q 'evmaint\.conf.*INJECTED' "$T/trace" ||
			fail "$sc=$e#$n: exit 78 but the fault was not on the config"
		;;
	*) fail "$sc=$e#$n: exit $rc (a crash?): $(head -c 2000 "$T/err")" ;;
	esac
	check_faulted "$sc=$e#$n"
	at "$CRASH_NOW" evm_run 0 -q rotate
	crash_listing >"$T/listing"
	crash_members "$T/listing" >"$T/got"
	assert_same "$T/got" "$T/ref" "$sc=$e#$n ($(grep -m1 INJECTED "$T/trace" | cut -c1-160)), then a clean rerun"
	# Each generation in one archive: one whose removal failed is removed
	# by the rerun, not archived a second time (found by the stress run).
	dups=$(awk '$1 == "archive" { print $3 }' "$T/listing" | LC_ALL=C sort | uniq -d)
	[ -z "$dups" ] || fail "$sc=$e#$n: archived twice: $dups"
	return 0
}

total=0
for spec in write:ENOSPC write:EIO fsync:EIO fsync:ENOSPC syncfs:EIO \
	renameat2:EIO renameat2:ENOSPC renameat:EIO openat:ENOSPC openat:EIO \
	unlinkat:EIO read:EIO pread64:EIO fchmod:EIO fchown:EIO utimensat:EIO \
	getdents64:EIO newfstatat:EIO mkdirat:ENOSPC ftruncate:EIO lseek:EIO; do
	sc=${spec%%:*}
	e=${spec#*:}
	base=$(startup_calls "$sc")
	for n in 1 2 3 4 6 9 13 19 28 42 63 95; do
		fault "$sc" "$e" $((base + n)) || break
		total=$((total + 1))
	done
done
# The state directory's fsyncs: the first is the journal's publication,
# failing after its rename (the journal is in place). Found by the stress
# run: the prepared files were removed under that journal, and the next
# run's recovery could not finish the shift it replayed.
for n in 1 2 3; do
	fault fsync EIO "$n" "$(dirname "$STATE")" || break
	total=$((total + 1))
done
[ "$total" -ge 100 ] || fail "only $total faults fired"
ok "$total injected faults: nothing lost, no partial .gz, every rerun converged"
