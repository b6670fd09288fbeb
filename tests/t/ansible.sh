#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The ansible role (ansible/roles/evmaint) through its playbook, run by the
# real ansible-playbook (connection local)
# against a temporary tree: --check on a bare host reports changes and makes
# none; the first run installs the config and builds the tree (changed); the
# second changes nothing (changed=0); after drift and a new setting, --check
# reports both and leaves tree and config as they were, and a run repairs
# them; a setting evmaint refuses never replaces the config (validate:).
# Every path comes in as a variable, so the play never touches /etc or /srv.
. "$(dirname "$0")/common.sh"

need_root # the play installs the config owned by root
need ansible-playbook

SRC=$(cd "$srcdir" && pwd)
PLAYBOOK=$SRC/ansible/evmaint.yml
assert_file "$PLAYBOOK" "the ansible playbook is missing"

t_setup
mkdir -p "$T/etc" "$T/home" "$T/tmp" "$T/prom"
CONF=$T/etc/evmaint.conf

# The play's settings: this build's program (installed by nobody), this
# test's tree, a per-log section, and the host's systemd left alone (where
# systemd runs, the play would enable the timer).
cat >"$T/vars.json" <<EOF
{
  "evmaint_install": "none",
  "evmaint_bin": "$EVMAINT",
  "evmaint_conf": "$CONF",
  "evmaint_root": "$ROOT",
  "evmaint_archive_dir": "$ARCH",
  "evmaint_state_file": "$STATE",
  "evmaint_sections": {"deploy/deploy.log": {"rotate": 30}},
  "evmaint_metrics_file": "$T/prom/evmaint.prom",
  "evmaint_timer": false,
  "evmaint_systemd_dropin": true,
  "evmaint_systemd_dropin_dir": "$T/etc/evmaint.service.d"
}
EOF
# ansible's own files (its temporary directories, a config that ignores
# any on the host) stay in $T too.
cat >"$T/ansible.cfg" <<EOF
[defaults]
local_tmp = $T/home/.ansible/tmp
remote_tmp = $T/home/.ansible/tmp
retry_files_enabled = False
nocolor = True
EOF

# play [ARG...]: ansible-playbook on this host; output in $T/play.out, the
# recap in RECAP, its counts in CHANGED and FAILED.
CHANGED='' FAILED='' PLAY_RC='' RECAP=''
play() {
	local recap
	PLAY_RC=0
	# ansible refuses a locale that is not UTF-8 (common.sh sets C).
	(cd "$T" && env LC_ALL=C.UTF-8 HOME="$T/home" TMPDIR="$T/tmp" \
		ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_FORCE_COLOR=0 \
		timeout 300 ansible-playbook -i localhost, -c local \
		-e "@$T/vars.json" -e 'ansible_python_interpreter={{ ansible_playbook_python }}' \
		"$@" "$PLAYBOOK") >"$T/play.out" 2>&1 </dev/null || PLAY_RC=$?
	recap=$(grep -E '^localhost +:' "$T/play.out" | tail -1) ||
		fail "ansible-playbook printed no recap (exit $PLAY_RC):
$(tail -40 "$T/play.out")"
	RECAP=$(echo "$recap" | tr -s ' ' | sed 's/ $//')
	CHANGED=$(echo "$recap" | sed -n -E 's/.* changed=([0-9]+).*/\1/p')
	FAILED=$(echo "$recap" | sed -n -E 's/.* failed=([0-9]+).*/\1/p')
}

# play_ok [ARG...]: a play that must succeed.
play_ok() {
	play "$@"
	if [ "$PLAY_RC" != 0 ] || [ "$FAILED" != 0 ]; then
		fail "ansible-playbook $* failed (exit $PLAY_RC):
$(tail -60 "$T/play.out")"
	fi
}

# task_result NAME: changed/ok/skipping/fatal of the task NAME in the output.
task_result() {
	awk -v t="TASK [evmaint : $1]" 'index($0, t) == 1 { f = 1; next }
		f && /^(changed|ok|skipping|fatal):/ { sub(/:.*/, ""); print; exit }' "$T/play.out"
}

state_dir_names() {
	find "$(dirname "$STATE")" -mindepth 1 -printf '%f\n' | LC_ALL=C sort
}

# Nothing on the host outside $T may change either: the default paths.
snap host -t /etc/evmaint.conf /srv/service /var/lib/evmaint

# --- 1. --check on a bare host: changes reported, none made
play_ok --check --diff
[ "$CHANGED" -ge 2 ] || fail "--check on a bare host reported changed=$CHANGED, expected the config and init:
$(tail -40 "$T/play.out")"
assert_eq "$(task_result "Install the configuration, checked by evmaint before it is used")" changed \
	"the template task in check mode"
assert_eq "$(task_result "Run evmaint init")" changed "the init task in check mode"
assert_grep 'would create .*deploy/deploy.log' "$T/play.out" "the dry run's actions are not shown"
assert_no_file "$CONF" "--check installed the config"
assert_no_file "$ROOT" "--check created the tree"
assert_no_file "$ARCH" "--check created archive_dir"
assert_no_file "$(dirname "$STATE")" "--check created the state directory"
[ -z "$(ls -A "$T/tmp")" ] || fail "--check left files in TMPDIR: $(ls -A "$T/tmp")"
CHECK_RECAP=$RECAP
ok "--check on a bare host: $RECAP; nothing created"

# --- 2. the first run: config installed, tree built
play_ok
[ "$CHANGED" -ge 2 ] || fail "the first run reported changed=$CHANGED:
$(tail -40 "$T/play.out")"
assert_file "$CONF"
assert_mode "$CONF" 0644
assert_owner "$CONF" root:root
"$EVMAINT" -c "$CONF" check-config >"$T/settings"
assert_grep "^root = $ROOT\$" "$T/settings" "the installed config does not name the tree"
assert_grep '^rotate = 30$' "$T/settings" "the installed config lost the deploy.log section"
for l in deploy/deploy.log backup/backup.log config_update/config_update.log error.log README.md; do
	assert_file "$ROOT/$l"
done
assert_dir "$ARCH"
assert_dir "$(dirname "$STATE")"
# The role's defaults are evmaint's built-in ones, every key written out:
# the global settings are an empty config's, but for the paths set above.
: >"$T/empty.conf"
globals() {
	"$EVMAINT" -c "$1" check-config | sed -e 1d -e '/^\[/,$d' -e '/^$/d' |
		grep -v -E '^(root|archive_dir|state_file|metrics_file) = '
}
globals "$T/empty.conf" >"$T/builtin"
globals "$CONF" >"$T/role"
assert_same "$T/builtin" "$T/role" "the role's defaults differ from evmaint's"
while IFS=' ' read -r key _; do
	assert_grep "^$key = " "$CONF" "the role does not write the key $key"
done <"$T/builtin"
# the sandboxed service may write every path of this config, not only the
# defaults its unit opens
DROPIN=$T/etc/evmaint.service.d/ansible-paths.conf
assert_file "$DROPIN"
assert_grep "^ReadWritePaths=\"-$ROOT\" \"-$ARCH\" \"-$(dirname "$STATE")\" \"-$T/prom\"\$" "$DROPIN" \
	"the drop-in does not open the configured paths to the service"
FIRST_RECAP=$RECAP
ok "first run: $RECAP; config installed, tree built, the service's paths opened"

# --- 3. the second run: nothing to do
# (The lock file beside the state is left out: it holds the last holder's
# PID, by design.)
snap second -t "$T/srv" "$T/etc"
state_dir_names >"$T/statedir"
play_ok
assert_eq "$CHANGED" 0 "changed count of the second run (recap: $RECAP)"
assert_eq "$(task_result "Run evmaint init")" ok "the init task of the second run"
assert_unchanged second -t "$T/srv" "$T/etc"
state_dir_names | assert_same "$T/statedir" - "files appeared beside the state file"
SECOND_RECAP=$RECAP
ok "second run: $RECAP"
play_ok --check
assert_eq "$CHANGED" 0 "changed count of --check on a converged host (recap: $RECAP)"
assert_unchanged second -t "$T/srv" "$T/etc"
ok "--check on a converged host: $RECAP"

# --- 4. drift and a new setting: --check reports both, changes nothing
chmod 0755 "$ROOT/backup"
rm "$ROOT/config_update/config_update.log"
snap drift -t "$T/srv" "$T/etc"
play_ok --check --diff -e evmaint_rotate=5
[ "$CHANGED" -ge 2 ] || fail "--check after drift reported changed=$CHANGED:
$(tail -40 "$T/play.out")"
assert_grep '^\+rotate = "5"' "$T/play.out" "--diff does not show the new setting"
assert_grep 'would (create|repair).*config_update' "$T/play.out" "the dry run does not mention the missing log"
assert_unchanged drift -t "$T/srv" "$T/etc"
state_dir_names | assert_same "$T/statedir" - "files appeared beside the state file"
DRIFT_RECAP=$RECAP
ok "--check after drift: $RECAP; tree and config untouched"

# --check with the install from a .deb: the copy and the install are
# reported, nothing is written (a real install is tests/package/deb.sh's).
echo "not a package" >"$T/evmaint_0_all.deb"
play_ok --check -e evmaint_install=deb -e "evmaint_deb=$T/evmaint_0_all.deb" \
	-e "evmaint_deb_dir=$T/debs"
assert_eq "$(task_result "Copy the .deb to the host")" changed "the copy of the .deb in check mode"
assert_eq "$(task_result "Install the .deb and its dependencies")" skipping \
	"the install of a .deb not yet copied, in check mode"
assert_no_file "$T/debs" "--check made the .deb's directory"
assert_unchanged drift -t "$T/srv" "$T/etc"
ok "--check with evmaint_install=deb: $RECAP; nothing copied or installed"

# ... and a run repairs both
play_ok -e evmaint_rotate=5
[ "$CHANGED" -ge 2 ] || fail "the repairing run reported changed=$CHANGED"
assert_mode "$ROOT/backup" 0750
assert_file "$ROOT/config_update/config_update.log"
"$EVMAINT" -c "$CONF" check-config >"$T/settings"
assert_grep '^rotate = 5$' "$T/settings" "the new setting did not reach the config"
play_ok -e evmaint_rotate=5
assert_eq "$CHANGED" 0 "changed count after the repair (recap: $RECAP)"
ok "a run repairs the drift and installs the setting; the next one changes nothing"

# --- 5. a setting evmaint refuses: the play fails, the config stays
cp -p "$CONF" "$T/good.conf"
play -e evmaint_rotate=many
[ "$FAILED" -ge 1 ] || fail "a config that check-config refuses was accepted:
$(tail -40 "$T/play.out")"
assert_eq "$(task_result "Install the configuration, checked by evmaint before it is used")" fatal \
	"the template task with a bad setting"
assert_grep "rotate" "$T/play.out" "the failure does not name the bad key"
assert_same "$T/good.conf" "$CONF" "a refused config replaced the good one"
ok "a bad setting fails validate: (check-config exit 78) and the old config stays"

assert_unchanged host -t /etc/evmaint.conf /srv/service /var/lib/evmaint
echo "recaps: check on bare host: $CHECK_RECAP | first: $FIRST_RECAP | second: $SECOND_RECAP | check after drift: $DRIFT_RECAP"
exit 0
