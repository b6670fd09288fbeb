#!/bin/bash
# Trust in the tree: against the configured owner, group and dir_mode. A
# directory owned by anyone else (root planted by a local user in a sticky
# directory, or a subdirectory given away) is refused by every command --
# init does not chown it, rotate and archive leave what is in it alone --
# with a message naming it and its owner. A directory evmaint's user owns
# but others may write to: init repairs the mode and says so; rotate
# leaves it alone and says so until then.
. "$(dirname "$0")/common.sh"

need_root # the victim is root's evmaint
need setpriv
if ! getent passwd nobody >/dev/null || ! getent group nogroup >/dev/null; then
	skip "needs user nobody and group nogroup"
fi

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# --- 1. root planted by nobody in a sticky world-writable directory, with
#        deploy/ and a deploy.log of theirs: init takes none of it over
t_setup
S=$(mktemp -d "$T/sticky.XXXXXX")
chmod 1777 "$S"
sed -i "s|^root = .*|root = $S/event|" "$T/evmaint.conf"
ROOT=$S/event
as_nobody mkdir -m 0755 "$ROOT" "$ROOT/deploy"
printf 'theirs\n' | as_nobody tee "$ROOT/deploy/deploy.log" >/dev/null
snap planted -t "$ROOT"
evm_run 1 init
assert_fgrep "$ROOT: directory owned by nobody" "$T/err" "init does not refuse root naming its owner"
assert_unchanged planted -t "$ROOT"
assert_owner "$ROOT" nobody:nogroup "init took root over"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "owned by nobody" "$T/err"
assert_unchanged planted -t "$ROOT"
at "2026-11-25 03:00:00" evm_run 1 archive
assert_fgrep "owned by nobody" "$T/err"
assert_unchanged planted -t "$ROOT"
ok "a root planted by nobody: init, rotate and archive exit 1 naming it and its owner; nothing in it changed"

# --- 2. a subdirectory of the tree owned by nobody
t_setup
evm_run 0 init
printf 'line 1\nline 2\n' >>"$ROOT/deploy/deploy.log"
printf 'b\n' >>"$ROOT/backup/backup.log"
chown nobody:nogroup "$ROOT/deploy"
chmod 0644 "$ROOT/deploy/deploy.log"
snap sub -t "$ROOT/deploy"
evm_run 1 init
assert_fgrep "deploy: directory owned by nobody: refused" "$T/err"
assert_unchanged sub -t "$ROOT/deploy"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "deploy/deploy.log: its directory is owned by nobody" "$T/err"
assert_unchanged sub -t "$ROOT/deploy"
assert_file "$ROOT/backup/backup.log.1.gz" "the logs in the other directories were not rotated"
ok "a tree directory owned by nobody: init neither chowns it nor repairs what is in it; rotate leaves it alone, rotates the rest, exit 1"

# --- 2b. the same, with the listed log deleted by whoever may write there
#         and generations planted beside it: still theirs, still left alone
#         (a listed log that is missing is no licence to take the directory)
t_setup
evm_run 0 init
printf 'b\n' >>"$ROOT/backup/backup.log"
chown nobody:nogroup "$ROOT/deploy"
chmod 0777 "$ROOT/config_update"
for d in deploy config_update; do
	rm -f "$ROOT/$d/$d.log"
	for k in 1 2 3; do
		printf 'planted %s\n' "$k" >"$ROOT/$d/$d.log.$k"
	done
	printf '2026-11-18T10:00:00+01:00 x[1]: FORGED\n' | gzip -n >"$ROOT/$d/$d.log-20261118.gz"
	chown nobody:nogroup "$ROOT/$d"/*
done
snap planted -t "$ROOT/deploy" "$ROOT/config_update"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "deploy/deploy.log: its directory is owned by nobody" "$T/err"
assert_fgrep "config_update/config_update.log: its directory is writable by others (mode 0777)" "$T/err"
assert_unchanged planted -t "$ROOT/deploy" "$ROOT/config_update"
assert_file "$ROOT/backup/backup.log.1.gz" "the log in the trusted directory was not rotated"
assert_eq "$(find "$ARCH" -name 'event-*' ! -name '*.sha256' -exec tar -tf {} \; | grep -c '^deploy/\|^config_update/' || true)" 0 \
	"a planted generation was archived"
at "2026-11-25 03:00:00" evm_run 1 archive
assert_fgrep "deploy/deploy.log: its directory is owned by nobody" "$T/err"
snapshot=$(find "$ARCH" -name 'event-*.tar.gz')
assert_eq "$(tar -tzf "$snapshot" | grep -c '^deploy/\|^config_update/' || true)" 0 \
	"the snapshot holds planted files"
assert_unchanged planted -t "$ROOT/deploy" "$ROOT/config_update"
evm_run 2 status --check
assert_grep '^EVMAINT CRITICAL .*refused: deploy/deploy\.log its directory is owned by nobody' "$T/out" \
	"status --check does not go CRITICAL on the refused directory"
ok "a listed log deleted in a directory others own or may write, generations planted there: rotate and archive leave them alone, exit 1; status --check CRITICAL"

# --- 3. a tree directory of root's, mode 0777: rotate reports it and leaves
#        it alone; init repairs the mode and says so; then rotate works
t_setup
evm_run 0 init
printf 'line 1\nline 2\n' >>"$ROOT/deploy/deploy.log"
printf 'b\n' >>"$ROOT/backup/backup.log"
chmod 0777 "$ROOT/deploy"
chmod 0770 "$ROOT/backup" # root's group, but beyond dir_mode 0750
snap wide -t "$ROOT/deploy" "$ROOT/backup"
at "2026-11-25 02:00:00" evm_run 1 rotate
assert_fgrep "deploy/deploy.log: its directory is writable by others (mode 0777)" "$T/err"
assert_fgrep "evmaint init repairs the mode" "$T/err"
assert_fgrep "backup/backup.log: its directory is writable beyond dir_mode 0750 (mode 0770)" "$T/err"
assert_unchanged wide -t "$ROOT/deploy" "$ROOT/backup"
evm_run 0 init
assert_grep "deploy: mode 0777 -> 0750" "$T/out" "init does not say it repaired the mode"
assert_grep "backup: mode 0770 -> 0750" "$T/out" "init does not say it repaired the mode"
assert_mode "$ROOT/deploy" 0750
assert_mode "$ROOT/backup" 0750
at "2026-11-25 02:00:00" evm_run 0 rotate
assert_file "$ROOT/deploy/deploy.log.1.gz" "deploy.log was not rotated once the mode was repaired"
assert_file "$ROOT/backup/backup.log.1.gz" "backup.log was not rotated once the mode was repaired"
ok "root-owned tree directories of mode 0777 and 0770 (dir_mode 0750): rotate exits 1 leaving them alone; init repairs them to 0750 and says so; then rotate works"

exit 0
