#!/bin/bash
# Invariant 6: one instance at a time, through flock on <state_file>.lock.
# A second init exits 75 within a second, or waits with --wait; check-config
# only reads and does not take the lock; the lock file is never removed.
. "$(dirname "$0")/common.sh"

need_root # init creates root:root directories and files

need flock

# --- 1. held by someone else: 75 at once, a message naming another evmaint
t_setup
hold_lock 3
t0=$(now_s)
evm_run 75 init
took=$(elapsed "$t0")
lock_is_held "$STATE.lock" || fail "the holder lost the lock before the check ended (machine too slow?)"
assert_lt "$took" 1 "init facing a held lock must exit 75 within 1 second (took ${took}s)"
assert_grep 'another evmaint' "$T/err" "the message does not say another evmaint holds the lock"
assert_no_file "$ROOT" "init created the tree without the lock"
assert_no_file "$ARCH" "init created archive_dir without the lock"
ok "init while another holds $STATE.lock: exit 75 in ${took}s, 'another evmaint' on stderr, nothing done"

# --- 2. --json while held: still exactly one JSON document, exit 75
evm_run 75 --json init
json_check "$T/out"
assert_json "$T/out" 'len(d["errors"]) >= 1' "the JSON object has no error for the lock"
ok "--json init while locked: one valid JSON object, exit 75"

# --- 3. check-config only reads: it works while the lock is held
evm_run 0 check-config
assert_grep "^root = $ROOT\$" "$T/out"
lock_is_held "$STATE.lock" || fail "the holder lost the lock before check-config ran"
ok "check-config does not take the lock"

# --- 4. --wait 5: waits for the holder to let go, then does the work
wait "$HOLDER_PID" || true
hold_lock 60
t0=$(now_s)
release_lock_in 1
evm_run 0 --wait 5 init
took=$(elapsed "$t0")
assert_ge "$took" 1 "init --wait 5 returned before the holder let go (took ${took}s)"
assert_lt "$took" 5 "init --wait 5 took longer than its wait (${took}s)"
assert_file "$ROOT/deploy/deploy.log"
assert_file "$STATE.lock" "the lock file was removed"
lock_is_free "$STATE.lock" || fail "the lock is still held after init ended"
ok "init --wait 5 waits for the holder (${took}s), then succeeds"

# --- 5. --wait 1 against a longer holder: gives up after about a second
hold_lock 5
t0=$(now_s)
evm_run 75 --wait 1 init
took=$(elapsed "$t0")
assert_ge "$took" 0.9 "--wait 1 gave up too early (${took}s)"
assert_lt "$took" 3 "--wait 1 waited far too long (${took}s)"
kill "$HOLDER_PID"
wait "$HOLDER_PID" || true
wait_until 5 lock_is_free "$STATE.lock" || fail "the holder did not let go"
ok "--wait 1 against a 5 s holder: exit 75 after ${took}s"

# --- 6. the lock file stays; a run releases the lock when it ends
t_setup
evm_run 0 init
assert_file "$STATE.lock" "init did not leave the lock file"
ino=$(stat -c %i "$STATE.lock")
lock_is_free "$STATE.lock" || fail "the lock is held after init ended"
evm_run 0 init
evm_run 0 --dry-run init
evm_run 0 check-config
assert_file "$STATE.lock" "the lock file was removed"
assert_eq "$(stat -c %i "$STATE.lock")" "$ino" "the lock file was replaced (another inode means no mutual exclusion)"
ok "the lock file $STATE.lock stays (same inode) and is free between runs"

# --- 7. check-config on a fresh location creates no state dir and no lock
t_setup
evm_run 0 check-config
assert_no_file "$T/var" "check-config created the state directory or the lock"
ok "check-config creates no lock file"

exit 0
