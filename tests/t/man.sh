#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The documentation cannot fall behind the program: every key check-config
# prints is in evmaint.conf(5) with its default and in etc/evmaint.conf,
# commented out at its default; every documented key is a real one, and the
# KEYS list is check-config's keys in their order; every command and option
# of --help is in evmaint(8); etc/evmaint.conf and the example of
# evmaint.conf(5) pass check-config, the former giving exactly the built-in
# defaults; both pages pass "mandoc -Tlint -W warning".
. "$(dirname "$0")/common.sh"

# automake exports srcdir relative to the build directory: resolve it now,
# before t_setup changes directory.
SRC=$(cd "$srcdir" && pwd)
MAN8=$SRC/man/evmaint.8
MAN5=$SRC/man/evmaint.conf.5
ETC=$SRC/etc/evmaint.conf
for f in "$MAN8" "$MAN5" "$ETC"; do
	assert_file "$f" "a documentation file is missing"
done

t_setup
: >"$T/empty.conf"

# settings FILE: the "key = value" lines of check-config output in FILE.
settings() {
	grep -E '^[a-z_]+ = ' -- "$1" || true
}

# --- 1. the built-in defaults, as check-config prints them
evm_raw 0 -c "$T/empty.conf" check-config
settings "$T/out" >"$T/defaults"
nkeys=$(wc -l <"$T/defaults")
[ "$nkeys" -ge 10 ] || fail "check-config printed only $nkeys settings:
$(cat "$T/out")"
ok "check-config with an empty config prints $nkeys built-in settings"

# key_block KEY: the lines of evmaint.conf(5) from ".It Cm KEY" to the
# next list item, list end or section.
key_block() {
	awk -v k="$1" '
		f && /^\.(It|El|Sh)( |$)/ { exit }
		$1 == ".It" && $2 == "Cm" && $3 == k { f = 1 }
		f { print }
	' "$MAN5"
}

# --- 2. every key, with its default, in evmaint.conf(5) and etc/evmaint.conf
while IFS= read -r line; do
	key=${line%% = *}
	value=${line#* = }
	key_block "$key" >"$T/block"
	assert_nonempty "$T/block" "evmaint.conf(5) has no '.It Cm $key' entry"
	for word in $value; do
		grep -q -F -e "$word" -- "$T/block" ||
			fail "evmaint.conf(5): the entry of '$key' does not give its default '$value' ('$word' missing)"
	done
	grep -q -x -F -e "#$key = $value" -- "$ETC" ||
		fail "etc/evmaint.conf has no line '#$key = $value' (the key commented out at its default)"
done <"$T/defaults"
ok "every key is in evmaint.conf(5) with its default and in etc/evmaint.conf at its default"

# --- 3. nothing documented that the program does not know
awk '/^\.Sh /{ s = ($2 == "KEYS") } s && $1 == ".It" && $2 == "Cm" { print $3 }' \
	"$MAN5" >"$T/doc-keys"
assert_nonempty "$T/doc-keys" "evmaint.conf(5) has no KEYS list"
while IFS= read -r key; do
	grep -q -E "^$key = " -- "$T/defaults" ||
		fail "evmaint.conf(5) documents '$key', which check-config does not know"
done <"$T/doc-keys"
sed -n -E 's/^#?([a-z_]+) = .*/\1/p' "$ETC" >"$T/etc-keys"
while IFS= read -r key; do
	grep -q -E "^$key = " -- "$T/defaults" ||
		fail "etc/evmaint.conf sets '$key', which check-config does not know"
done <"$T/etc-keys"
ok "every key documented or in etc/evmaint.conf is a real one"

# --- 3b. both ways at once: the KEYS list is exactly the keys check-config
# prints, in its order (the key table's; tests/unit/test_conf.c compares each
# entry's type, per-log mark, default and bounds with the table)
sed 's/ = .*//' "$T/defaults" >"$T/keys"
assert_same "$T/keys" "$T/doc-keys" \
	"evmaint.conf(5)'s KEYS list is not check-config's keys in their order"
ok "evmaint.conf(5) lists exactly check-config's keys, in the same order"

# --- 4. etc/evmaint.conf: valid, and exactly the built-in defaults, both as
# installed (all commented out) and with every key line uncommented
evm_raw 0 -c "$ETC" check-config
settings "$T/out" >"$T/etc-settings"
assert_same "$T/defaults" "$T/etc-settings" "etc/evmaint.conf does not give the built-in defaults"
sed -E 's/^#([a-z_]+ = )/\1/' "$ETC" >"$T/uncommented.conf"
evm_raw 0 -c "$T/uncommented.conf" check-config
settings "$T/out" >"$T/unc-settings"
assert_same "$T/defaults" "$T/unc-settings" \
	"etc/evmaint.conf with its key lines uncommented does not give the built-in defaults"
ok "etc/evmaint.conf passes check-config with the defaults, commented or not"

# --- 5. the example of evmaint.conf(5) is a valid configuration
awk '/^\.Sh /{ s = ($2 == "EXAMPLES") } s && /^\.Bd -literal/ { f = 1; next }
	f && /^\.Ed/ { exit } f { print }' "$MAN5" | sed 's/\\e/\\/g' >"$T/example.conf"
assert_grep '^\[' "$T/example.conf" "the example of evmaint.conf(5) has no section"
evm_raw 0 -c "$T/example.conf" check-config
ok "the example of evmaint.conf(5) passes check-config"

# --- 6. every command and option of --help in evmaint(8)
evm_raw 0 --help
awk '/^commands:/ { c = 1; next } c && /^$/ { exit } c && /^  [a-z]/ { print $1 }' \
	"$T/out" >"$T/commands"
[ "$(wc -l <"$T/commands")" -ge 5 ] || fail "could not find the commands in --help:
$(cat "$T/out")"
while IFS= read -r cmd; do
	grep -q -E "^\.It Cm $cmd( |$)" -- "$MAN8" ||
		fail "evmaint(8) has no '.It Cm $cmd' entry for the command '$cmd'"
done <"$T/commands"
grep -o -E -e '--[a-z][a-z-]*' -- "$T/out" | sort -u >"$T/long"
sed -n -E 's/^ +-([a-zA-Z]), --.*/\1/p' "$T/out" | sort -u >"$T/short"
[ "$(wc -l <"$T/long")" -ge 10 ] || fail "could not find the options in --help"
while IFS= read -r opt; do
	grep -q -F -e "Fl \\${opt#-}" -- "$MAN8" ||
		fail "evmaint(8) does not document the option $opt ('Fl \\${opt#-}')"
done <"$T/long"
while IFS= read -r opt; do
	grep -q -E -e "Fl $opt( |$)" -- "$MAN8" ||
		fail "evmaint(8) does not document the option -$opt"
done <"$T/short"
ok "every command and option of --help is in evmaint(8)"

# --- 7. no literal display swallows the prose after it: a macro line
# inside ".Bd -literal" means an ".Ed" is missing (mandoc accepts it, and
# the text after renders as part of the example).
awk '/^\.Bd -literal/ { b = 1; next } /^\.Ed/ { b = 0; next }
	b && /^\.[A-Z][a-z]/ { print FILENAME ":" FNR ": " $0 }' \
	"$MAN8" "$MAN5" >"$T/inlit"
assert_empty "$T/inlit" "a macro inside a literal display (a missing .Ed before it)"
ok "every literal display is closed before the prose that follows it"

# --- 8. mandoc's lint, warnings included
need mandoc
rc=0
mandoc -Tlint -W warning "$MAN8" "$MAN5" >"$T/lint" 2>&1 || rc=$?
assert_empty "$T/lint" "mandoc -Tlint -W warning complains"
assert_eq "$rc" 0 "mandoc -Tlint -W warning exit status"
ok "mandoc -Tlint -W warning: both pages clean"
exit 0
