#!/bin/bash
# init --dry-run says what init would do ("would ..." lines, --json changed
# true) and changes nothing at all: not the tree, not archive_dir, not the
# state directory, not error.log. What it announces is what init then does.
. "$(dirname "$0")/common.sh"

need_root # init creates root:root directories and files

# The actions of a --json run as sorted "verb path" lines (duplicates kept).
actions_of() {
	json_get "$1" '"\n".join(sorted("%s %s" % (a.get("action"), a.get("path")) for a in d["actions"]))'
}

# --- 1. a fresh location: would-lines, nothing created anywhere
t_setup
evm_run 0 --dry-run init
assert_nonempty "$T/out" "a dry run on an empty location printed nothing"
assert_all_lines '^would ' "$T/out" "a dry-run line does not start with 'would'"
for p in deploy/deploy.log backup/backup.log config_update/config_update.log error.log README.md "$ARCH"; do
	assert_grep "$p" "$T/out" "the dry run does not mention $p"
done
assert_empty "$T/err"
assert_no_file "$T/srv" "a dry run created the tree"
assert_no_file "$T/var" "a dry run created the state directory"
ok "init --dry-run on an empty location prints would-lines and creates nothing"

# --- 2. the same with --json
evm_run 0 --json --dry-run init
json_check "$T/out"
assert_json "$T/out" 'd["changed"] is True' "--json --dry-run must say changed true"
assert_json "$T/out" 'd["errors"] == []'
assert_json "$T/out" 'len(d["actions"]) > 0'
assert_no_file "$T/srv" "a --json dry run created the tree"
assert_no_file "$T/var" "a --json dry run created the state directory"
ok "init --json --dry-run on an empty location: changed true, nothing created"

# --- 3. a tree with a 0666 log, a 0777 dir, a missing log, no archive_dir
t_setup
evm_run 0 init
printf 'kept\n' >>"$ROOT/deploy/deploy.log"
chmod 0666 "$ROOT/deploy/deploy.log"
chmod 0777 "$ROOT/config_update"
rm "$ROOT/backup/backup.log"
rmdir "$ARCH"
snap dry -t "$T/srv" "$T/var"
evm_run 0 --dry-run init
assert_all_lines '^would ' "$T/out" "a dry-run line does not start with 'would'"
assert_grep '^would .*deploy/deploy\.log' "$T/out" "the dry run does not mention the 0666 log"
assert_grep '^would .*config_update([^/]|$)' "$T/out" "the dry run does not mention the 0777 directory"
assert_grep '^would .*backup/backup\.log' "$T/out" "the dry run does not mention the missing log"
assert_grep "^would .*$ARCH" "$T/out" "the dry run does not mention the missing archive_dir"
assert_unchanged dry -t "$T/srv" "$T/var"
assert_mode "$ROOT/deploy/deploy.log" 0666
ok "init --dry-run on a drifted tree prints would-lines and changes nothing"

evm_run 0 --json --dry-run init
json_check "$T/out"
assert_json "$T/out" 'd["changed"] is True' "--json --dry-run must say changed true"
assert_json "$T/out" 'd["errors"] == []'
assert_unchanged dry -t "$T/srv" "$T/var"
ok "init --json --dry-run on a drifted tree: changed true, nothing changed"

# --- 4. once repaired, a dry run has nothing to say
evm_run 0 init
evm_run 0 --dry-run init
assert_empty "$T/out" "a dry run on a correct tree printed something"
evm_run 0 --json --dry-run init
json_check "$T/out"
assert_json "$T/out" 'd["changed"] is False' "a dry run on a correct tree must say changed false"
ok "init --dry-run on a correct tree: silent, changed false"

# --- 5. an error in a dry run goes to stderr, never into error.log
t_setup
evm_run 0 init
mkdir "$T/outside"
mv "$ROOT/deploy" "$T/outside/deploy"
ln -s "$T/outside/deploy" "$ROOT/deploy"
snap dryerr -t "$T/srv" "$T/var" "$T/outside"
evm_run 1 --dry-run init
assert_grep 'deploy' "$T/err" "the dry run does not report the symlink"
assert_unchanged dryerr -t "$T/srv" "$T/var" "$T/outside"
ok "init --dry-run reports an error with exit 1 and does not write error.log"

# --- 6. the dry run announces exactly what the real run then does
t_setup
evm_run 0 --json --dry-run init
json_check "$T/out"
actions_of "$T/out" >"$T/would"
assert_eq "$(sort "$T/would" | uniq -d)" "" "the dry run announces an action twice"
evm_run 0 --json init
json_check "$T/out"
actions_of "$T/out" >"$T/did"
assert_same "$T/would" "$T/did" "on an empty location, the dry run's actions (-) differ from the real run's (+)"

t_setup
evm_run 0 init
chmod 0666 "$ROOT/deploy/deploy.log"
chmod 0777 "$ROOT/config_update"
rm "$ROOT/backup/backup.log"
rm -r "$ARCH"
evm_run 0 --json --dry-run init
actions_of "$T/out" >"$T/would"
evm_run 0 --json init
actions_of "$T/out" >"$T/did"
assert_same "$T/would" "$T/did" "on a drifted tree, the dry run's actions (-) differ from the real run's (+)"
ok "init --dry-run announces exactly the actions init then takes"

exit 0
