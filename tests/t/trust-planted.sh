#!/bin/bash
# Trust: what evmaint keeps its own data in (the state directory, state
# file, journal, lock file, archive_dir) is refused, never adopted, when
# another user owns it or may write to it -- also when a local user planted
# it in a sticky, world-writable directory (as /tmp is) before evmaint's
# mkdir, which then fails with EEXIST. Refused: exit 1, a message naming
# the path and its owner, and nothing changed.
. "$(dirname "$0")/common.sh"

need_root # the victim is root's evmaint
need setpriv
if ! getent passwd nobody >/dev/null || ! getent group nogroup >/dev/null; then
	skip "needs user nobody and group nogroup"
fi

# as_nobody CMD...: the local attacker.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# sticky_setup [CONFIG LINE...]: t_setup, plus $S, a sticky world-writable
# directory of our own (never /tmp itself, which other tests share).
# shellcheck disable=SC2120 # the config lines are optional
sticky_setup() {
	t_setup "$@"
	S=$(mktemp -d "$T/sticky.XXXXXX")
	chmod 1777 "$S"
}

# with_state FILE: the config's state_file becomes FILE.
with_state() {
	sed -i "s|^state_file = .*|state_file = $1|" "$T/evmaint.conf"
	STATE=$1
}

# a tree made with a state of root's own, then a day of lines in deploy.log
tree_ready() {
	evm_run 0 --state "$T/own/state" init
	printf 'line 1\nline 2\n' >>"$ROOT/deploy/deploy.log"
}

# the tree, untouched: no generation, the live log with its lines
assert_tree_untouched() {
	assert_eq "$(cat "$ROOT/deploy/deploy.log")" "$(printf 'line 1\nline 2')" \
		"deploy.log changed"
	assert_no_file "$ROOT/deploy/deploy.log.1.gz" "deploy.log was rotated"
	assert_no_file "$ROOT/deploy/deploy.log.1" "deploy.log was rotated"
}

# --- 1. a planted state directory, with a lock file and a journal in it
sticky_setup
with_state "$S/evmaint/state"
tree_ready
as_nobody mkdir -m 0755 "$S/evmaint"
as_nobody touch "$S/evmaint/state.lock"
printf 'evmaint-journal 1\nroot %s\nrename deploy/deploy.log deploy/deploy.log.1\n' "$ROOT" |
	as_nobody tee "$S/evmaint/state.journal" >/dev/null
snap planted -t "$S" "$ROOT/deploy"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "$S/evmaint is owned by nobody" "$T/err" "the refusal does not name the directory and its owner"
assert_unchanged planted -t "$S" "$ROOT/deploy"
assert_tree_untouched
evm_run 1 init
assert_fgrep "$S/evmaint is owned by nobody" "$T/err"
assert_owner "$S/evmaint" nobody:nogroup "init took the planted state directory over"
assert_empty "$S/evmaint/state.lock" "init wrote its pid into the planted lock file"
assert_unchanged planted -t "$S" "$ROOT/deploy"
assert_grep 'owned by nobody' "$ROOT/error.log" "the refusal is not in error.log"
evm_run 0 status
assert_fgrep "$S/evmaint is owned by nobody" "$T/err" "status does not warn about the planted state directory"
evm_run 1 --dry-run init
assert_fgrep "$S/evmaint is owned by nobody" "$T/err" "init --dry-run does not say the state directory is refused"
assert_unchanged planted -t "$S" "$ROOT/deploy"
ok "a state directory planted by nobody (lock, journal): rotate and init exit 1 naming it and its owner; nothing changed"

# --- 2. the same planted after evmaint's own mkdir would have made it:
#        a state file path whose directory does not exist yet
sticky_setup
with_state "$S/deep/evmaint/state"
tree_ready
as_nobody mkdir -p -m 0755 "$S/deep/evmaint"
evm_run 1 init
assert_fgrep "$S/deep is owned by nobody" "$T/err" "a planted ancestor of the state directory is not refused by name"
assert_owner "$S/deep/evmaint" nobody:nogroup
assert_no_file "$S/deep/evmaint/state.lock" "a lock file was created in the planted directory"
evm_run 1 --dry-run init
assert_fgrep "$S/deep is owned by nobody" "$T/err" "init --dry-run does not say the state directory is refused"
ok "a planted ancestor of the state directory: refused naming it and its owner, nothing created in it"

# --- 3. a lock file owned by nobody inside root's own state directory
t_setup
evm_run 0 init
chown nobody:nogroup "$STATE.lock"
: >"$STATE.lock"
evm_run 1 init
assert_fgrep "$STATE.lock is owned by nobody" "$T/err"
assert_empty "$STATE.lock" "init wrote its pid into a lock file owned by nobody"
assert_owner "$STATE.lock" nobody:nogroup
evm_run 1 rotate
assert_fgrep "$STATE.lock is owned by nobody" "$T/err"
ok "a lock file owned by nobody in root's state directory: refused, not used"

# --- 4. state file and journal owned by nobody in root's state directory
t_setup
evm_run 0 init
printf 'line 1\nline 2\n' >>"$ROOT/deploy/deploy.log"
at "2026-11-24 02:00:00" evm_run 0 rotate
printf 'line 1\nline 2\n' >"$ROOT/deploy/deploy.log"
rm "$ROOT/deploy/deploy.log.1.gz"
chown nobody:nogroup "$STATE"
snap st -t "$ROOT/deploy"
st_sum=$(sha256sum <"$STATE")
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "$STATE" "$T/err"
assert_fgrep "owned by nobody" "$T/err" "the state file's owner is not named"
assert_unchanged st -t "$ROOT/deploy"
assert_eq "$(sha256sum <"$STATE")" "$st_sum" "the state file owned by nobody was rewritten"
assert_owner "$STATE" nobody:nogroup
assert_tree_untouched
chown root:root "$STATE"
cp "$STATE" "$T/state.saved"
printf 'evmaint-journal 1\n' >"$STATE.journal"
chown nobody:nogroup "$STATE.journal"
snap jr -t "$ROOT/deploy"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "$STATE.journal" "$T/err"
assert_fgrep "owned by nobody" "$T/err" "the journal's owner is not named"
assert_unchanged jr -t "$ROOT/deploy"
assert_eq "$(cat "$STATE.journal")" "evmaint-journal 1" "the journal owned by nobody was changed or removed"
cmp -s "$STATE" "$T/state.saved" || fail "the state file was rewritten"
assert_tree_untouched
ok "a state file or journal owned by nobody: rotate exits 1 naming it and its owner, replays and rewrites nothing"

# --- 5. a state directory writable by its group (even root's group)
t_setup
evm_run 0 init
printf 'line 1\nline 2\n' >>"$ROOT/deploy/deploy.log"
chmod 0770 "$(dirname "$STATE")"
snap gw -t "$ROOT/deploy"
assert_no_file "$STATE"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "$(dirname "$STATE") is writable by its group (mode 0770)" "$T/err"
assert_unchanged gw -t "$ROOT/deploy"
assert_no_file "$STATE" "a state file was written into a refused directory"
assert_tree_untouched
evm_run 1 init
assert_fgrep "$(dirname "$STATE") is writable by its group (mode 0770)" "$T/err"
assert_mode "$(dirname "$STATE")" 0770 "init changed a refused state directory"
ok "a group-writable state directory: refused by rotate and init, left as it is"

# --- 6. archive_dir planted by nobody: init refuses it, never chowns it
sticky_setup
sed -i "s|^archive_dir = .*|archive_dir = $S/archives|" "$T/evmaint.conf"
ARCH=$S/archives
as_nobody mkdir -m 0755 "$ARCH"
echo planted | as_nobody tee "$ARCH/event-20261101T020000.tar" >/dev/null
snap arch -t "$ARCH"
evm_run 1 init
assert_fgrep "archive_dir $ARCH is owned by nobody" "$T/err" "init does not refuse archive_dir naming its owner"
assert_owner "$ARCH" nobody:nogroup "init took archive_dir over"
assert_unchanged arch -t "$ARCH"
assert_file "$ROOT/deploy/deploy.log" "init did not make the tree (only archive_dir is refused)"
printf 'line 1\nline 2\n' >>"$ROOT/deploy/deploy.log"
at "2026-11-25 02:00:00" evm_run 1 archive
assert_fgrep "$ARCH is owned by nobody" "$T/err"
assert_unchanged arch -t "$ARCH"
ok "an archive_dir planted by nobody: init exits 1 naming it and its owner, neither chowns nor adopts it; archive refuses it"

# --- 6b. cat, which only reads, does not read it either: a nightly archive
#         nobody forged there would put its lines in the history
mkdir "$T/forge" && (cd "$T/forge" && mkdir deploy &&
	printf '2026-11-20T00:00:00+01:00 deploy[1]: FORGED\n' | gzip >deploy/deploy.log-20261120.gz &&
	tar cf "$T/forged.tar" deploy/deploy.log-20261120.gz)
as_nobody cp "$T/forged.tar" "$ARCH/event-20261121T020000.tar"
evm_run 1 cat deploy
assert_no_grep FORGED "$T/out" "cat printed a line from an archive_dir nobody owns"
assert_fgrep "archive_dir: $ARCH is owned by nobody" "$T/err" "cat does not name the refused archive_dir"
assert_grep '^line 1$' "$T/out" "cat held back the tree's own lines"
# and a root that nobody owns
sticky_setup
as_nobody mkdir "$S/event"
printf '2026-11-20T00:00:00+01:00 x[1]: FORGED\n' | as_nobody tee "$S/event/error.log" >/dev/null
evm_run 1 --root "$S/event" cat error
assert_empty "$T/out" "cat printed a log under a root nobody owns"
assert_fgrep "root $S/event is owned by nobody" "$T/err"
# a state directory rotate refuses (group-writable): its journal not read
t_setup
evm_run 0 init
printf '2026-11-20T00:00:00+01:00 deploy[1]: mine\n' >>"$ROOT/deploy/deploy.log"
chmod 0770 "$(dirname "$STATE")"
evm_run 1 cat deploy
assert_fgrep "state directory $(dirname "$STATE") is writable by its group" "$T/err"
assert_grep 'deploy\[1\]: mine$' "$T/out" "the log's lines held back"
chmod 0750 "$(dirname "$STATE")"
ok "cat reads neither an archive_dir nor a root that nobody owns, nor a journal from a state directory rotate refuses, naming them (exit 1)"

# --- 7. the lock file: reading it is enough to flock it, so others never
#        may, whatever mode says; one that others may read loses the bit
t_setup "mode = 0644" "dir_mode = 0755"
evm_run 0 init
assert_mode "$STATE.lock" 0640 "the lock file under mode 0644"
if as_nobody flock -n -s "$STATE.lock" true 2>/dev/null; then
	fail "nobody could open and flock the lock file"
fi
chmod 0644 "$STATE.lock"
ino=$(stat -c %i "$STATE.lock")
evm_run 0 rotate
assert_mode "$STATE.lock" 0640 "rotate left the lock file readable by others"
assert_eq "$(stat -c %i "$STATE.lock")" "$ino" "the lock file was replaced"
assert_fgrep "repaired $STATE.lock: mode 0644 -> 0640" "$T/out"
# a dry run changes nothing, the lock file's mode included; nor does a run
# that does not get the lock (exit 75)
chmod 0644 "$STATE.lock"
evm_run 0 -n rotate
assert_mode "$STATE.lock" 0644 "a dry run changed the lock file's mode"
flock -x "$STATE.lock" "$EVMAINT" -c "$T/evmaint.conf" rotate >"$T/out" 2>"$T/err" && rc=0 || rc=$?
assert_eq "$rc" 75 "rotate while the lock is held"
assert_mode "$STATE.lock" 0644 "a run without the lock changed the lock file's mode"
ok "the lock file: never readable by others (0640 under mode 0644); rotate takes the bit away, in place"

# --- 8. a tree directory others may write: rotate leaves it alone, what
#        has evmaint's temporary prefix in it too (it may be theirs)
t_setup
evm_run 0 init
chmod o+x "$T" "$T/srv" "$ROOT"	# the way down, for nobody
chmod 0777 "$ROOT/deploy"
echo planted | as_nobody tee "$ROOT/deploy/.evmaint-tmp.x.log" >/dev/null
as_nobody mkdir "$ROOT/deploy/sub"
echo planted | as_nobody tee "$ROOT/deploy/sub/.evmaint-tmp.y.log" >/dev/null
evm_run 1 rotate
assert_file "$ROOT/deploy/.evmaint-tmp.x.log" "rotate removed a file from a directory others may write"
assert_file "$ROOT/deploy/sub/.evmaint-tmp.y.log" "rotate removed a file from a directory nobody owns"
assert_no_grep 'removed deploy/' "$T/out"
ok "a tree directory others may write: nothing in it removed, leftovers' prefix or not"

exit 0
