#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2016 # dpkg-query's ${Field}s
# make check-package: the Debian package, end to end. Builds it from the
# distribution's files with dpkg-buildpackage -us -uc -b, runs lintian (no
# error, no warning, every override with a reason; info and pedantic tags
# shown), checks its contents, then installs it with apt into a fresh
# Debian 12 (bookworm) chroot, which pulls its dependencies from the archive: the files, the conffiles (a local
# edit survives a reinstall), exactly one nightly job with and without
# systemd (the cron job, run as cron would, steps aside where systemd runs;
# the timer is enabled), and a purge that removes the package's files, its
# conffiles and its state but leaves the tree and the archives alone.
#
# Minutes, root, the network to the Debian archive: not part of make check.
# debootstrap's base system is kept in EVM_PKG_CACHE (default
# ~/.cache/evmaint-check-package) with the .debs apt fetched, so a rerun
# copies it instead of bootstrapping again; each step prints its time.
. "$(dirname "$0")/../t/common.sh"

need_root # dpkg-buildpackage as root (fakeroot is not needed), chroot
need dpkg-buildpackage dh lintian debootstrap chroot apt-get
if [ -z "${abs_top_builddir-}" ] || [ -z "${EVMAINT_VERSION-}" ]; then
	skip "needs the build tree (run it through make check-package)"
fi

SRC=$(cd "$srcdir" && pwd)
V=$EVMAINT_VERSION
SUITE=bookworm
CACHE=${EVM_PKG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evmaint-check-package}

# mirror: the Debian archive this host's apt uses (deb822 or one-line
# sources), so the chroot reaches what the host reaches.
mirror() {
	local m
	m=$({ cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
		awk '/^URIs:/ { u = $2 } /^Suites:/ && / '"$SUITE"'( |$)/ && u !~ /security/ && m == "" { m = u } END { print m }')
	[ -n "$m" ] || m=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		awk '$1 == "deb" && $3 == "'"$SUITE"'" && m == "" { m = $2 } END { print m }')
	echo "${m:-http://deb.debian.org/debian}"
}

t_setup

# --- 1. the version: debian/changelog's is configure.ac's
cl=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
assert_eq "$cl" "$V" "debian/changelog's version (configure.ac's is $V)"

# --- 2. build, from the files the distribution tarball holds
progress "building the package (dpkg-buildpackage -us -uc -b)"
B=$T/build
mkdir -p "$B"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${EVM_MAKE:-make}" -s -C "$abs_top_builddir" \
	distdir distdir="$B/evmaint-$V" >"$T/distdir.log" 2>&1 ||
	fail "make distdir failed: $(tail -20 "$T/distdir.log")"
rc=0
(cd "$B/evmaint-$V" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR \
	DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$T/build.log" 2>&1 </dev/null || rc=$?
assert_eq "$rc" 0 "dpkg-buildpackage failed:
$(tail -40 "$T/build.log")
exit status"
DEB=$(find "$B" -maxdepth 1 -name "evmaint_${V}_*.deb")
if [ -z "$DEB" ] || [ "$(echo "$DEB" | wc -l)" != 1 ]; then
	fail "expected one evmaint_${V}_*.deb, found: $DEB"
fi
CHANGES=$(find "$B" -maxdepth 1 -name "evmaint_${V}_*.changes")
assert_grep '^# PASS: +[1-9]' "$T/build.log" "the package build ran no unit test"
ok "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes), its unit tests passing: $(grep -E '^# (TOTAL|FAIL)' "$T/build.log" | tr -s ' ' | paste -sd' ' -)"

# --- 3. lintian: no error, no warning; an override only with its reason
progress "lintian"
for o in "$SRC"/debian/*lintian-overrides "$SRC"/debian/source/lintian-overrides; do
	[ -e "$o" ] || continue
	awk 'NF && $1 !~ /^#/ && prev !~ /^#/ { print FILENAME ":" FNR ": " $0; bad = 1 }
		{ prev = $0 } END { exit bad }' "$o" ||
		fail "a lintian override without a comment giving its reason (above)"
done
rc=0
lintian --fail-on error,warning --display-info --pedantic "$CHANGES" >"$T/lintian.out" 2>&1 || rc=$?
echo "lintian $(lintian --version | awk '{print $2}') on $(basename "$CHANGES"):"
sed 's/^/  | /' "$T/lintian.out"
assert_eq "$rc" 0 "lintian's exit status"
assert_no_grep '^[EW]: ' "$T/lintian.out" "lintian reports errors or warnings"
ok "lintian: no error, no warning"

# --- 4. what the .deb holds
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' >"$T/contents"
for f in /usr/sbin/evmaint /etc/evmaint.conf /etc/cron.d/evmaint \
	/lib/systemd/system/evmaint.service /lib/systemd/system/evmaint.timer \
	/usr/share/man/man8/evmaint.8.gz /usr/share/man/man5/evmaint.conf.5.gz \
	/usr/share/doc/evmaint/README.md.gz /usr/share/doc/evmaint/copyright \
	/usr/share/doc/evmaint/examples/ansible/evmaint.yml \
	/usr/share/doc/evmaint/examples/ansible/roles/evmaint/tasks/main.yml \
	/usr/share/doc/evmaint/examples/ansible/roles/evmaint/defaults/main.yml \
	/usr/share/doc/evmaint/examples/ansible/roles/evmaint/templates/evmaint.conf.j2; do
	grep -q -x -F "$f" "$T/contents" || fail "the package does not hold $f"
done
mkdir "$T/ctl"
dpkg-deb -e "$DEB" "$T/ctl"
printf '%s\n' /etc/cron.d/evmaint /etc/evmaint.conf | assert_same - "$T/ctl/conffiles" \
	"the package's conffiles"
# What evmaint loads with dlopen is in no NEEDED entry: Depends must name it.
depends=$(sed -n 's/^Depends: //p' "$T/ctl/control")
for p in libarchive13 libdeflate0 libnettle8 zlib1g; do
	grep -q -w "$p" <<<"$depends" || fail "Depends does not name $p (loaded with dlopen): $depends"
done
ok "the package holds the program, config, cron job, units, manual, README and the ansible role; conffiles: $(paste -sd' ' "$T/ctl/conffiles"); Depends names the libraries evmaint loads on first use"

# --- 5. a fresh bookworm chroot: the base from the cache, or debootstrap
BASE=$CACHE/$SUITE-minbase
if [ ! -e "$BASE/.evmaint-complete" ]; then
	progress "debootstrap --variant=minbase $SUITE from $(mirror) into $BASE (cached for the next run)"
	rm -rf "$BASE" "$BASE.tmp"
	mkdir -p "$CACHE"
	debootstrap --variant=minbase "$SUITE" "$BASE.tmp" "$(mirror)" >"$T/debootstrap.log" 2>&1 ||
		fail "debootstrap failed: $(tail -20 "$T/debootstrap.log")"
	chroot "$BASE.tmp" apt-get clean
	touch "$BASE.tmp/.evmaint-complete"
	mv "$BASE.tmp" "$BASE"
fi
progress "copying the base system"
R=$T/root
cp -a "$BASE" "$R"
rm -f "$R/.evmaint-complete"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
# Services are not started in a chroot (cron's postinst would try).
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
mkdir -p "$CACHE/debs"
find "$CACHE/debs" -name '*.deb' -exec cp -t "$R/var/cache/apt/archives/" {} +

# in_root CMD...: CMD in the chroot, with a clean environment.
in_root() {
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

progress "apt-get install ./$(basename "$DEB") in the chroot"
cp "$DEB" "$R/tmp/"
in_root dpkg-query -W -f '${Package}\n' | sort >"$T/pkgs-before"
rc=0
in_root sh -c "apt-get -q update && apt-get -q -y --no-install-recommends install /tmp/$(basename "$DEB")" \
	>"$T/apt.log" 2>&1 || rc=$?
assert_eq "$rc" 0 "apt-get install failed in the chroot:
$(tail -30 "$T/apt.log")
exit status"
cp -n "$R"/var/cache/apt/archives/*.deb "$CACHE/debs/" 2>/dev/null || true
in_root dpkg-query -W -f '${Package}\n' | sort >"$T/pkgs-after"
pulled=$(comm -13 "$T/pkgs-before" "$T/pkgs-after" | grep -v -x evmaint | paste -sd' ' -)
[ -n "$pulled" ] || fail "installing the package pulled no dependency from the archive"
grep -q -w libarchive13 <<<"$pulled" || fail "libarchive13 was not pulled in: $pulled"
assert_eq "$(in_root dpkg-query -W -f '${Status}' evmaint)" "install ok installed" "the package's status"
ok "apt installed evmaint in a fresh $SUITE chroot, pulling from the archive: $pulled"

# --- 6. the files, as installed
progress "checking the installed files"
in_root /usr/sbin/evmaint --version >"$T/out"
assert_grep "^evmaint $V" "$T/out" "the installed program does not run"
in_root /usr/sbin/evmaint check-config >"$T/settings" ||
	fail "check-config fails on the packaged /etc/evmaint.conf"
assert_grep '^root = /srv/service/event$' "$T/settings" "the packaged config's root"
assert_grep '^state_file = /var/lib/evmaint/state$' "$T/settings" "the packaged config's state_file"
for f in /etc/evmaint.conf /etc/cron.d/evmaint /lib/systemd/system/evmaint.timer; do
	assert_mode "$R$f" 0644
	assert_owner "$R$f" root:root
done
assert_eq "$(in_root dpkg-query -W -f '${Conffiles}\n' evmaint | awk 'NF { print $1 }' | paste -sd' ' -)" \
	"/etc/cron.d/evmaint /etc/evmaint.conf" "dpkg's conffiles of evmaint"
# (into files, not "zcat | grep -q": under pipefail, grep closing the pipe
# at its first match fails the pipeline by SIGPIPE once the page is longer
# than the pipe holds)
zcat "$R/usr/share/man/man8/evmaint.8.gz" >"$T/man8"
zcat "$R/usr/share/man/man5/evmaint.conf.5.gz" >"$T/man5"
grep -q '/usr/sbin/evmaint' "$T/man8" ||
	fail "the installed evmaint(8) does not name /usr/sbin/evmaint"
grep -q '/etc/evmaint\.conf' "$T/man5" ||
	fail "the installed evmaint.conf(5) does not name /etc/evmaint.conf"
ok "/usr/sbin/evmaint $(head -1 "$T/out" | cut -d' ' -f2) runs; /etc/evmaint.conf passes check-config; conffiles registered; manual names /usr/sbin and /etc"

# --- 7. exactly one nightly job, with or without systemd
progress "checking the nightly job"
# Every scheduler entry in the chroot that names evmaint.
jobs=$(cd "$R" && grep -l -r -s evmaint etc/cron.d etc/cron.daily etc/cron.hourly \
	etc/cron.weekly etc/crontab var/spool/cron 2>/dev/null | paste -sd' ' -) || true
assert_eq "$jobs" "etc/cron.d/evmaint" "cron files naming evmaint"
grep -v -E '^[[:space:]]*(#|$)' "$R/etc/cron.d/evmaint" >"$T/job"
assert_eq "$(wc -l <"$T/job")" 1 "job lines in /etc/cron.d/evmaint"
timers=$(cd "$R" && find etc/systemd/system -path '*.wants/*' -name '*evmaint*' 2>/dev/null |
	LC_ALL=C sort | paste -sd' ' -) || true
assert_eq "$timers" "etc/systemd/system/timers.target.wants/evmaint.timer" \
	"systemd units of evmaint enabled by the package"
assert_grep '^OnCalendar=daily$' "$R/lib/systemd/system/evmaint.timer"
read -r _ _ _ _ _ user cmd <"$T/job"
assert_eq "$user" root "the cron job's user"

# The data: a tree, a rotation's worth of lines, a snapshot in archive_dir.
in_root /usr/sbin/evmaint -q init
seq 1 1000 >>"$R/srv/service/event/deploy/deploy.log"

# as_cron: the job's command in the chroot as cron runs it (cron's
# environment, cwd /, no stdin); its output, which cron would mail, in
# $T/cron.out.
as_cron() {
	chroot "$R" /usr/bin/env -i HOME=/root LOGNAME=root PATH=/usr/bin:/bin SHELL=/bin/sh \
		/bin/sh -c "cd / && $cmd" >"$T/cron.out" 2>&1 </dev/null
}
# With systemd running (as its /run/systemd/system says): the timer's night,
# the job steps aside.
mkdir -p "$R/run/systemd/system"
as_cron || fail "the cron job failed where systemd runs: $(cat "$T/cron.out")"
assert_empty "$T/cron.out" "the cron job printed something where systemd runs"
assert_no_file "$R/srv/service/event/deploy/deploy.log.1.gz" "the cron job rotated where systemd runs (twice a night with the timer)"
assert_eq "$(wc -l <"$R/srv/service/event/deploy/deploy.log")" 1000 "deploy.log's lines"
# Without systemd: the job is the night's pass.
rm -rf "$R/run/systemd"
as_cron || fail "the cron job failed without systemd: $(cat "$T/cron.out")"
assert_empty "$T/cron.out" "the cron job printed something"
assert_file "$R/srv/service/event/deploy/deploy.log.1.gz" "the cron job did not rotate without systemd"
assert_eq "$(zcat "$R/srv/service/event/deploy/deploy.log.1.gz" | wc -l)" 1000 "lines in deploy.log.1.gz"
ok "one nightly job: /etc/cron.d/evmaint (1 line) and evmaint.timer (enabled); with /run/systemd/system the cron job steps aside, without it it rotates"

# --- 8. a local edit of the conffile survives a reinstall
progress "reinstalling over an edited /etc/evmaint.conf"
printf '\n# local edit\nrotate = 9\n' >>"$R/etc/evmaint.conf"
cp -p "$R/etc/evmaint.conf" "$T/edited.conf"
in_root dpkg -i "/tmp/$(basename "$DEB")" >"$T/dpkg.log" 2>&1 ||
	fail "dpkg -i over the installed package failed: $(tail -20 "$T/dpkg.log")"
assert_same "$T/edited.conf" "$R/etc/evmaint.conf" "a reinstall changed the edited conffile"
ok "a reinstall keeps the edited /etc/evmaint.conf"

# --- 9. remove keeps the conffiles, purge removes them and the state, and
# never the tree or archive_dir
in_root /usr/sbin/evmaint -q archive
ls "$R/srv/service/backups/logs_archives/"event-*.tar.gz >/dev/null ||
	fail "evmaint archive wrote no snapshot in the chroot"
snap data -t "$R/srv"
progress "apt-get remove, then purge"
in_root apt-get -q -y remove evmaint >"$T/remove.log" 2>&1 ||
	fail "apt-get remove failed: $(tail -20 "$T/remove.log")"
assert_no_file "$R/usr/sbin/evmaint" "remove left the program"
assert_file "$R/etc/evmaint.conf" "remove took the conffile (only purge may)"
assert_same "$T/edited.conf" "$R/etc/evmaint.conf" "remove changed the conffile"
in_root dpkg --purge evmaint >"$T/purge.log" 2>&1 ||
	fail "dpkg --purge failed: $(tail -20 "$T/purge.log")"
assert_eq "$(in_root dpkg-query -W -f '${Status}' evmaint 2>/dev/null || true)" "" "dpkg still knows evmaint after the purge"
while IFS= read -r f; do
	[ -d "$R$f" ] && continue
	if [ -e "$R$f" ] || [ -L "$R$f" ]; then
		fail "the purge left $f"
	fi
done <"$T/contents"
for f in /etc/evmaint.conf /etc/cron.d/evmaint /var/lib/evmaint \
	/etc/systemd/system/timers.target.wants/evmaint.timer /usr/share/doc/evmaint; do
	assert_no_file "$R$f" "the purge left $f"
done
assert_unchanged data -t "$R/srv"
ok "remove keeps the conffiles; purge removes every file of the package, the conffiles, the timer's link and /var/lib/evmaint; the tree and the archives are untouched"
progress "done"
exit 0
