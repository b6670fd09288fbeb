#!/bin/bash
# File names are bytes. A byte that is not valid UTF-8 appears in JSON as
# the four characters \xNN, so --json output stays one valid UTF-8 document;
# valid UTF-8 names pass through as they are; control characters never reach
# a terminal raw.
. "$(dirname "$0")/common.sh"

need_root # init creates root:root directories and files
need python3

FF=$(printf 'bad\377name.log')          # bad<0xff>name.log
UTF=$(printf 'd\303\251j\303\240/caf\303\251.log') # déjà/café.log
CTL=$(printf 'ctl\001x.log')            # ctl<0x01>x.log

# --- 1. a configured log whose name holds 0xff: created; JSON says \xff
t_setup
printf 'logs = %s %s %s error.log\n' "$FF" "$UTF" "$CTL" >>"$T/evmaint.conf"
evm_run 0 --json init
assert_file "$ROOT/$FF" "the log with a 0xff byte in its name was not created"
assert_file "$ROOT/$UTF"
assert_file "$ROOT/$CTL"
assert_mode "$ROOT/$FF" 0640
json_check "$T/out"
assert_json "$T/out" 'any(s == r"bad\xffname.log" or s.endswith(r"/bad\xffname.log") for s in S(d["actions"]))' \
	"no action names the log as bad\\xffname.log (backslash, x, f, f)"
assert_json "$T/out" 'not any("\ufffd" in s for s in S(d))' "a replacement character instead of \\xff"
assert_json "$T/out" 'any(s == "déjà/café.log" or s.endswith("/déjà/café.log") for s in S(d["actions"]))' \
	"a valid UTF-8 name was not passed through as it is"
assert_json "$T/out" 'any(s.endswith("ctl\x01x.log") or s.endswith(r"ctl\x01x.log") for s in S(d["actions"]))' \
	"the name with a control character is missing from the actions"
ok "--json init: a 0xff byte is \\xff in valid UTF-8 JSON, UTF-8 names as they are"

# --- 2. human output: no raw invalid byte, no raw control character
t_setup
printf 'logs = %s %s\n' "$FF" "$CTL" >>"$T/evmaint.conf"
evm_run 0 init
assert_fgrep 'bad\xffname.log' "$T/out" "stdout does not show the name as bad\\xffname.log"
if grep -q "$(printf '\377')" "$T/out" "$T/err"; then
	fail "a raw 0xff byte reached stdout/stderr"
fi
if grep -q "$(printf '\001')" "$T/out" "$T/err"; then
	fail "a raw control character reached stdout/stderr"
fi
ok "human output escapes the 0xff byte and control characters"

# --- 3. the same names found in the tree: repairs and errors in JSON
t_setup
evm_run 0 init
printf 'x\n' >"$ROOT/deploy/$FF"
chmod 0666 "$ROOT/deploy/$FF"
mkdir "$T/outside"
ln -s "$T/outside" "$ROOT/$(printf 'link\376dir')"
mkdir -m 0750 "$ROOT/$(printf 'w\377')"
ln -s "$T/outside/x" "$ROOT/$(printf 'w\377')/$(printf 'sym\377.log')"
evm_run 1 --json init
json_check "$T/out"
assert_mode "$ROOT/deploy/$FF" 0640
assert_json "$T/out" 'any(r"deploy/bad\xffname.log" in s for s in S(d["actions"]))' \
	"the repair of deploy/bad\\xffname.log is not in the actions as \\xff"
assert_json "$T/out" 'any(r"w\xff/sym\xff.log" in s for s in S(d["errors"]))' \
	"the refused symlink w\\xff/sym\\xff.log is not in the errors as \\xff"
ok "--json: names with invalid bytes in repairs and errors stay valid JSON"

# --- 4. error.log: the message with an invalid byte is escaped too
assert_errlog 'w\\xff/sym\\xff\.log'
if grep -q "$(printf '\377')" "$ROOT/error.log"; then
	fail "a raw 0xff byte was written into error.log"
fi
ok "error.log gets the escaped name"

# --- 5. check-config --json with such a name in logs
t_setup
printf 'logs = %s\n' "$FF" >>"$T/evmaint.conf"
evm_run 0 --json check-config
json_check "$T/out"
assert_json "$T/out" 'r"bad\xffname.log" in d["settings"]["logs"]' "check-config --json does not give logs with \\xff"
evm_run 0 check-config
cp "$T/out" "$T/printed.conf"
t_run 0 "$EVMAINT" -c "$T/printed.conf" check-config
grep -v '^#' "$T/printed.conf" >"$T/first" || true
grep -v '^#' "$T/out" >"$T/second" || true
assert_same "$T/first" "$T/second" "check-config output with a 0xff name does not parse back"
ok "check-config: a 0xff name is \\xff in JSON, and the printed config parses back"

exit 0
