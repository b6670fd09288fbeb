#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# ansible-lint (Debian's package, its default production profile) finds no
# violation in the playbook and the role, and no rule is skipped for them.
. "$(dirname "$0")/common.sh"

need ansible-lint

SRC=$(cd "$srcdir" && pwd)
t_setup
# A copy: ansible-lint writes caches beside what it reads, and a distcheck
# source tree is read-only.
cp -r "$SRC/ansible" "$T/ansible"
mkdir -p "$T/home"
if grep -r -n -E 'noqa|skip_list|warn_list' "$T/ansible"; then
	fail "a rule of ansible-lint is silenced in the role or the playbook"
fi
rc=0
(cd "$T/ansible" && env LC_ALL=C.UTF-8 HOME="$T/home" ANSIBLE_LOCAL_TEMP="$T/home/tmp" \
	timeout 300 ansible-lint --nocolor evmaint.yml) >"$T/lint.out" 2>&1 </dev/null || rc=$?
assert_eq "$rc" 0 "ansible-lint failed:
$(tail -40 "$T/lint.out")
exit status"
assert_grep 'Passed with production profile: 0 failure\(s\), 0 warning\(s\)' "$T/lint.out" \
	"ansible-lint did not pass cleanly"
version=$(ansible-lint --version 2>/dev/null </dev/null | sed -n '1s/^ansible-lint \([^ ]*\).*/\1/p') || true
ok "ansible-lint ${version:-?}: $(grep 'Passed with' "$T/lint.out")"
exit 0
