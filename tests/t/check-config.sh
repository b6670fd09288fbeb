#!/bin/bash
# check-config: a valid config exits 0 and prints the effective settings in
# config syntax that parses back to the same settings; --json gives them as
# JSON; every bad config exits 78 naming FILE:LINE, for init as well, and
# nothing is created anywhere.
. "$(dirname "$0")/common.sh"

# effective FILE: check-config's output without comment lines
effective() {
	grep -v '^#' "$1" || true
}

# --- 1. a valid config, with sections, quotes and comments; it parses back
t_setup
cat >>"$T/evmaint.conf" <<'EOF'
; a comment
logs = deploy/deploy.log  a/b.log   # two logs
rotate = 5
maxsize = 10M
compress_level=9
[deploy/deploy.log]
rotate = 30   ; thirty
dateext = yes
[a/b.log]
compress = no
EOF
evm_run 0 check-config
assert_empty "$T/err"
assert_grep "^root = $ROOT\$" "$T/out"
assert_grep '^logs = deploy/deploy\.log a/b\.log$' "$T/out"
assert_grep '^rotate = 5$' "$T/out"
assert_grep '^compress_level = 9$' "$T/out"
assert_grep '^\[deploy/deploy\.log\]$' "$T/out" "the section is not printed"
# the section's own values and the inherited global ones
sed -n '/^\[deploy\/deploy.log\]/,/^\[/p' "$T/out" >"$T/sect"
assert_grep '^rotate = 30$' "$T/sect" "the section's rotate is not printed in it"
assert_grep '^dateext = yes$' "$T/sect"
assert_grep '^maxsize = 10M$' "$T/sect" "the section does not show the inherited maxsize"
assert_no_file "$T/srv" "check-config created the tree"
assert_no_file "$T/var" "check-config created the state directory"
cp "$T/out" "$T/printed.conf"
effective "$T/printed.conf" >"$T/first"
t_run 0 "$EVMAINT" -c "$T/printed.conf" check-config
effective "$T/out" >"$T/second"
assert_same "$T/first" "$T/second" "the printed config does not parse back to the same settings"
ok "a valid config: exit 0, effective settings printed, and they parse back identically"

# --- 2. values that need quoting survive the round trip
t_setup
weird="$T/we ird#dir;x\"q\\b"
esc=${weird//\\/\\\\}
esc=${esc//\"/\\\"}
{
	echo "root = $ROOT"
	printf 'archive_dir = "%s"\n' "$esc"
	echo "state_file = $STATE"
} >"$T/evmaint.conf"
evm_run 0 check-config
cp "$T/out" "$T/printed.conf"
effective "$T/printed.conf" >"$T/first"
t_run 0 "$EVMAINT" -c "$T/printed.conf" check-config
effective "$T/out" >"$T/second"
assert_same "$T/first" "$T/second" "a quoted path does not survive the round trip"
evm_run 0 --json check-config
json_check "$T/out"
WANT=$weird assert_json "$T/out" 'd["settings"]["archive_dir"] == env["WANT"]' \
	"--json check-config must give archive_dir as the path itself, not in config quoting"
ok "paths with blanks, #, ;, quotes and backslashes survive print and parse, and JSON gives them as they are"

# --- 3. --json check-config: one JSON object with the settings
t_setup
evm_run 0 --json check-config
json_check "$T/out"
assert_json "$T/out" 'd["command"] == "check-config"'
assert_json "$T/out" 'd["errors"] == []'
assert_json "$T/out" 'isinstance(d["settings"], dict)' "no settings object"
for k in root archive_dir state_file logs rotate compress compress_level delaycompress dateext \
	notifempty maxsize mode owner group dir_mode archive_keep_days; do
	assert_json "$T/out" "'$k' in d['settings']" "setting $k missing from --json check-config"
done
assert_json "$T/out" "d['settings']['root'] == '$ROOT'"
assert_json "$T/out" "str(d['settings']['rotate']) == '7'"
ok "--json check-config: valid JSON with every setting"

# --- 4. an empty config file means the built-in defaults of the contract
t_setup
: >"$T/empty.conf"
t_run 0 "$EVMAINT" -c "$T/empty.conf" check-config
for line in 'root = /srv/service/event' 'archive_dir = /srv/service/backups/logs_archives' \
	'state_file = /var/lib/evmaint/state' \
	'logs = deploy/deploy.log backup/backup.log config_update/config_update.log error.log' \
	'rotate = 7' 'compress = yes' 'compress_level = 6' 'delaycompress = no' 'dateext = no' \
	'notifempty = yes' 'maxsize = 0' 'mode = 0640' 'owner = root' 'group = root' \
	'dir_mode = 0750' 'archive_keep_days = 0'; do
	assert_grep "^$line\$" "$T/out" "built-in default differs from the contract"
done
ok "an empty config: the contract's defaults"

# --- 5. no -c and no file at the default path: built-in defaults, exit 0
default=$(evm_raw 0 --help && sed -n 's/.*--config FILE *default \(\/[^ ]*\).*/\1/p' "$T/out")
if [ -n "$default" ] && [ ! -e "$default" ]; then
	evm_raw 0 check-config
	assert_grep '^root = /srv/service/event$' "$T/out"
	ok "no config file at $default: check-config shows the built-in defaults, exit 0"
else
	echo "skipped: default config path '${default:-?}' exists or is unknown"
fi

# --- 6. bad configs: 78, FILE:LINE, nothing created, for init too
# bad LINE TEXT...: a config whose LINE-th line is the culprit.
bad() {
	local line=$1 cmd
	shift
	t_setup
	rm "$T/evmaint.conf"
	{
		echo "# line 1"
		echo "root = $ROOT"
		echo "archive_dir = $ARCH"
		echo "state_file = $STATE"
		printf '%s\n' "$@"
	} >"$T/bad.conf"
	[ "$(grep -c '' "$T/bad.conf")" -ge "$line" ] || fail "test bug: line $line beyond the config"
	for cmd in check-config init "--json init" "--dry-run init"; do
		# shellcheck disable=SC2086 # cmd is split on purpose
		t_run 78 "$EVMAINT" -c "$T/bad.conf" $cmd
		assert_fgrep "$T/bad.conf:$line" "$T/err" "the message for '$*' does not name $T/bad.conf:$line ($cmd)"
		assert_no_file "$T/srv" "a bad config ($*) still created the tree ($cmd)"
		assert_no_file "$T/var" "a bad config ($*) still created the state directory ($cmd)"
		case $cmd in
		--json*)
			json_check "$T/out"
			assert_json "$T/out" "any('bad.conf:$line' in s for s in S(d['errors']))" \
				"--json: the config error is not among the errors"
			;;
		esac
	done
}
bad 6 "rotate = 3" "frobnicate = 1"
bad 5 "rotate = many"
bad 5 "compress = maybe"
bad 5 "maxsize = 10X"
bad 5 "mode = 0999"
bad 5 "compress_level = 10"
bad 5 "rotate = -1"
bad 5 "archive_keep_days = 99999999"
bad 6 "rotate = 3" "just some words"
bad 5 "[deploy/deploy.log"
bad 5 'owner = "root'
bad 5 "owner = no-such-user-evmaint"
bad 5 "group = no-such-group-evmaint"
bad 5 "[/srv/service/event/deploy/deploy.log]" "rotate = 1"
bad 5 "[../deploy.log]" "rotate = 1"
bad 5 "[deploy//deploy.log]" "rotate = 1"
bad 6 "rotate = 3" "rotate = 4"
bad 7 "[deploy/deploy.log]" "rotate = 3" "rotate = 4"
bad 7 "[deploy/deploy.log]" "rotate = 3" "[deploy/deploy.log]"
bad 6 "[deploy/deploy.log]" "root = /elsewhere"
bad 5 "logs = /abs.log"
bad 5 "logs = a.log a.log"
bad 5 "rotate ="
ok "bad key, value, range, syntax, user, group, section path, duplicates: exit 78 naming FILE:LINE, nothing created"

# root itself relative or inside-out
t_setup
rm "$T/evmaint.conf"
printf '%s\n' "# relative root" "root = srv/event" "archive_dir = $ARCH" "state_file = $STATE" >"$T/bad.conf"
for cmd in check-config init; do
	t_run 78 "$EVMAINT" -c "$T/bad.conf" "$cmd"
	assert_fgrep "$T/bad.conf:2" "$T/err" "a relative root is not reported at line 2"
	assert_no_file "$T/srv" "a relative root created something below the cwd"
	assert_no_file "$T/var"
done
printf '%s\n' "# archive_dir inside root" "root = $ROOT" "archive_dir = $ROOT/archives" "state_file = $STATE" >"$T/bad.conf"
t_run 78 "$EVMAINT" -c "$T/bad.conf" init
assert_fgrep "$T/bad.conf:3" "$T/err" "archive_dir inside root is not reported at its line"
assert_no_file "$T/srv"
ok "a relative root, archive_dir inside root: exit 78 at the right line, nothing created"

# --- 7. all errors of a file in one run
t_setup
printf '%s\n' "rotate = x" "# fine" "frob = 1" >>"$T/evmaint.conf"
first=$(($(grep -c '' "$T/evmaint.conf") - 2))
evm_run 78 check-config
assert_fgrep "$T/evmaint.conf:$first" "$T/err"
assert_fgrep "$T/evmaint.conf:$((first + 2))" "$T/err" "only the first error of the file is reported"
ok "every error of a config is reported in one run"

# --- 8. a missing or unusable -c FILE is an error, not the defaults
t_setup
t_run 78 "$EVMAINT" -c "$T/no-such.conf" check-config
assert_fgrep "$T/no-such.conf" "$T/err" "the missing config file is not named"
t_run 78 "$EVMAINT" -c "$T/no-such.conf" init
assert_no_file "$T/srv"
t_run 78 "$EVMAINT" -c "$T" check-config
t_run 78 "$EVMAINT" --json -c "$T/no-such.conf" check-config
json_check "$T/out"
assert_no_file "$T/var"
ok "-c with a missing file or a directory: exit 78, nothing created"

# --- 9. a config another user can change is refused: it names what root
#        deletes and where it writes
getent group nogroup >/dev/null || skip "needs a group 'nogroup'"
t_setup
chown nobody "$T/evmaint.conf"
t_run 78 "$EVMAINT" -c "$T/evmaint.conf" init
assert_fgrep "$T/evmaint.conf: owned by uid $(id -u nobody), not root" "$T/err"
assert_no_file "$T/srv"
chown root:nogroup "$T/evmaint.conf"
chmod 0664 "$T/evmaint.conf"
t_run 78 "$EVMAINT" -c "$T/evmaint.conf" check-config
assert_fgrep "writable by its group (mode 0664)" "$T/err"
chmod 0646 "$T/evmaint.conf"
t_run 78 "$EVMAINT" -c "$T/evmaint.conf" rotate
assert_fgrep "writable by others (mode 0646)" "$T/err"
chown root:root "$T/evmaint.conf"
chmod 0664 "$T/evmaint.conf" # group root: as trusted as the owner
t_run 0 "$EVMAINT" -c "$T/evmaint.conf" check-config
assert_no_file "$T/srv"
ok "a config owned by another user, or writable by a non-root group or others: exit 78 saying so, nothing created"

exit 0
