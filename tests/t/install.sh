#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# make install DESTDIR=... puts exactly the expected files where configure
# said: the program in sbindir, the config in sysconfdir, both man pages, the
# cron job, the systemd units and the ansible example, each naming the
# installed program by its configured path. A reinstall leaves an edited
# config alone (and puts back what was removed); make uninstall removes all
# it added and keeps only a config someone edited.
. "$(dirname "$0")/common.sh"

if [ -z "${abs_top_builddir-}" ] || [ -z "${EVM_SBINDIR-}" ]; then
	skip "needs the build tree (run it through make check)"
fi
need "${EVM_MAKE:-make}" cmp find

SRC=$(cd "$srcdir" && pwd)

# evm_make DESTDIR TARGET [VAR=VALUE...]: make TARGET DESTDIR=... in the
# build tree; its output in $T/make.log. The
# outer make's flags (its jobserver above all) are not this make's business.
evm_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR \
		"${EVM_MAKE:-make}" -s -C "$abs_top_builddir" "$2" DESTDIR="$1" "${@:3}" \
		>"$T/make.log" 2>&1 || fail "make $2 DESTDIR=$1 failed:
$(tail -40 "$T/make.log")"
}

# files DIR: every file and symlink below DIR, relative to it, sorted.
files() {
	(cd "$1" && find . ! -type d -print | sed 's|^\./|/|' | LC_ALL=C sort)
}

t_setup
D=$T/dest
CONF=$EVM_SYSCONFDIR/evmaint.conf

# --- 1. the layout
evm_make "$D" install
{
	echo "$EVM_SBINDIR/evmaint"
	echo "$CONF"
	echo "$EVM_MANDIR/man8/evmaint.8"
	echo "$EVM_MANDIR/man5/evmaint.conf.5"
	[ -z "$EVM_CRONDIR" ] || echo "$EVM_CRONDIR/evmaint"
	echo "$EVM_DOCDIR/README.md"
	(cd "$SRC" && find ansible -type f) | sed "s|^ansible/|$EVM_EXAMPLEDIR/|"
	if [ -n "$EVM_UNITDIR" ]; then
		echo "$EVM_UNITDIR/evmaint.service"
		echo "$EVM_UNITDIR/evmaint.timer"
	fi
} | tr -s / | LC_ALL=C sort >"$T/expected"
files "$D" >"$T/installed"
assert_same "$T/expected" "$T/installed" "make install did not install exactly the expected files"

[ -x "$D$EVM_SBINDIR/evmaint" ] || fail "the installed program is not executable"
"$D$EVM_SBINDIR/evmaint" --version >"$T/out"
assert_grep '^evmaint [0-9]' "$T/out" "the installed program does not run"
assert_same "$SRC/etc/evmaint.conf" "$D$CONF" "the installed config is not etc/evmaint.conf"
assert_same "$SRC/README.md" "$D$EVM_DOCDIR/README.md"
# The manual and the examples, written for the package's paths, name this
# build's where they differ: the program, the config, the cron job, the units.
paths() {
	sed -e "s|/usr/sbin/evmaint|$EVM_SBINDIR/evmaint|g" \
		-e "s|/etc/evmaint\\.conf|$CONF|g" \
		-e "s|/etc/cron\\.d/evmaint|$EVM_CRONDIR/evmaint|g" \
		-e "s|/usr/share/doc/evmaint|$EVM_DOCDIR|g" \
		${EVM_UNITDIR:+-e "s| /lib/systemd/system/evmaint| $EVM_UNITDIR/evmaint|g"} "$1"
}
paths "$SRC/man/evmaint.8" >"$T/want"
assert_same "$T/want" "$D$EVM_MANDIR/man8/evmaint.8"
paths "$SRC/man/evmaint.conf.5" >"$T/want"
assert_same "$T/want" "$D$EVM_MANDIR/man5/evmaint.conf.5"
(cd "$SRC" && find ansible -type f) >"$T/examples"
while IFS= read -r f; do
	paths "$SRC/$f" >"$T/want"
	assert_same "$T/want" "$D$EVM_EXAMPLEDIR/${f#ansible/}"
done <"$T/examples"
if [ "$EVM_SBINDIR" != /usr/sbin ]; then
	assert_no_grep '/usr/sbin/evmaint' "$D$EVM_MANDIR/man8/evmaint.8" \
		"the installed manual names /usr/sbin/evmaint, not where this build installs"
	assert_no_grep '/usr/sbin/evmaint' "$D$EVM_EXAMPLEDIR/roles/evmaint/defaults/main.yml" \
		"the installed role names /usr/sbin/evmaint, not where this build installs"
fi
assert_fgrep "$EVM_SBINDIR/evmaint" "$D$EVM_MANDIR/man8/evmaint.8" "the installed manual does not name the program's path"
assert_fgrep "$CONF" "$D$EVM_MANDIR/man5/evmaint.conf.5" "the installed evmaint.conf(5) does not name the config's path"
# Modes: cron and systemd read only root's files nobody else may write.
for f in "$CONF" ${EVM_CRONDIR:+"$EVM_CRONDIR/evmaint"} ${EVM_UNITDIR:+"$EVM_UNITDIR/evmaint.service"} \
	${EVM_UNITDIR:+"$EVM_UNITDIR/evmaint.timer"}; do
	assert_mode "$D$f" 0644
done
if [ -n "$EVM_CRONDIR" ]; then
	assert_fgrep " $EVM_SBINDIR/evmaint " "$D$EVM_CRONDIR/evmaint" "the cron job does not name the installed program"
fi
if [ -n "$EVM_UNITDIR" ]; then
	assert_grep "^ExecStart=$EVM_SBINDIR/evmaint " "$D$EVM_UNITDIR/evmaint.service" \
		"the service does not run the installed program"
	assert_same "$SRC/etc/systemd/evmaint.timer" "$D$EVM_UNITDIR/evmaint.timer"
fi
while IFS= read -r f; do
	case $f in
	"$EVM_SBINDIR"/*) continue ;;
	esac
	assert_no_grep '@[a-z_]+@' "$D$f" "an unsubstituted @variable@ in the installed $f"
done <"$T/installed"
"$D$EVM_SBINDIR/evmaint" -c "$D$CONF" check-config >/dev/null ||
	fail "the installed config does not pass check-config"
ok "make install: $(wc -l <"$T/installed") files, each where configure said${EVM_UNITDIR:+ (units in $EVM_UNITDIR)}"

# --- 1b. a part that would not work where it goes is named, in one line
# each; where all is well (above) nothing is said.
if [ "$EVM_CRONDIR" = /etc/cron.d ]; then
	assert_no_grep '^evmaint: WARNING' "$T/make.log" "make install warned about a layout that works"
fi
rm -rf "$T/odd"
evm_make "$T/odd" install crondir=/opt/cron.d systemdsystemunitdir=/opt/units
assert_grep '^evmaint: WARNING: the cron job went to /opt/cron.d, which cron does not read' "$T/make.log" \
	"make install into a cron.d that cron does not read did not say so"
if [ -n "$EVM_UNITDIR" ]; then
	assert_grep '^evmaint: WARNING: the systemd units went to /opt/units, which systemd does not read' \
		"$T/make.log" "make install into a unit directory systemd does not read did not say so"
fi
assert_eq "$(grep -c '^evmaint: WARNING' "$T/make.log")" "$([ -n "$EVM_UNITDIR" ] && echo 2 || echo 1)" \
	"warning lines of make install (one per part that would not work)"
ok "make install says in one line each that a cron job or unit went where it would not run: $(grep -m1 WARNING "$T/make.log")"
rm -rf "$T/odd"

# --- 2. reinstall: an edited config is kept as it is; the rest comes back
printf '\n# local edit\nrotate = 30\n' >>"$D$CONF"
cp -p "$D$CONF" "$T/edited"
ino=$(stat -c %i:%Y "$D$CONF")
rm -f "$D$EVM_MANDIR/man8/evmaint.8" "$D$EVM_DOCDIR/README.md"
evm_make "$D" install
assert_same "$T/edited" "$D$CONF" "a reinstall changed the edited config"
assert_eq "$(stat -c %i:%Y "$D$CONF")" "$ino" "a reinstall touched the edited config (inode:mtime)"
files "$D" >"$T/installed"
assert_same "$T/expected" "$T/installed" "a reinstall did not restore the installed files"
ok "reinstall keeps an edited config byte for byte and restores removed files"

# --- 3. uninstall: everything install added goes; an edited config stays
evm_make "$D" uninstall
files "$D" >"$T/left"
printf '%s\n' "$CONF" | tr -s / >"$T/only-conf"
assert_same "$T/only-conf" "$T/left" "make uninstall left other files than the edited config"
assert_same "$T/edited" "$D$CONF" "make uninstall changed the edited config"
ok "make uninstall removes every file it installed and keeps the edited config"

# ... and an unedited one goes with the rest.
rm -rf "$D"
evm_make "$D" install
evm_make "$D" uninstall
files "$D" >"$T/left"
assert_empty "$T/left" "make uninstall after a fresh install left files behind"
ok "install then uninstall leaves no file behind"
exit 0
