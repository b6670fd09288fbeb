#!/bin/bash
# evmaint rotate does, night after night, what logrotate 3.21 does with the
# seed stanza extended to the subdirectories ("daily rotate 7 compress
# missingok notifempty create 0640 root root" over /ROOT/*.log and
# /ROOT/*/*.log): the same writes go into two identical trees, one rotated
# by logrotate (its own state file, the date faked with faketime, or its
# state file pre-seeded when faketime is missing), the other by evmaint with
# EVMAINT_NOW. After every night, across the end of summer time, the two
# trees hold the same file names and each file the same decompressed bytes
# (evmaint's archives of expired generations aside). The documented
# difference -- logrotate skips its first run for a log it has no state
# for -- is bridged by seeding logrotate's state, as its own tests do.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/adv-lib.sh"

need_root # create 0640 root root; init's root:root files
need_tzdata
need logrotate gzip
FAKE=1
if [ "${EVM_NO_FAKETIME:-0}" = 1 ] || ! command -v faketime >/dev/null 2>&1; then
	FAKE=0
fi

t_setup
evm_run 0 init
mkdir -m 0750 "$ROOT/newscript"
: >"$ROOT/newscript/newscript.log"
chmod 0640 "$ROOT/newscript/newscript.log"
mkdir -m 0755 "$T/lr"
LR=$T/lr/event
cp -a "$ROOT" "$LR"
LRSTATE=$T/lr/state
cat >"$T/lr/logrotate.conf" <<EOF
$LR/*.log $LR/*/*.log {
	daily
	rotate 7
	compress
	missingok
	notifempty
	create 0640 root root
}
EOF

# both REL PREFIX FROM TO: the same lines appended to REL in both trees.
both() {
	put_lines "$ROOT/$1" "$2" "$3" "$4"
	put_lines "$LR/$1" "$2" "$3" "$4"
}

# seed_state DATE REL...: logrotate's state says each log was last rotated
# on DATE (Y-M-D), added to what the file already holds.
seed_state() {
	local date=$1 rel
	shift
	if [ ! -s "$LRSTATE" ]; then
		echo 'logrotate state -- version 2' >"$LRSTATE"
	fi
	for rel in "$@"; do
		printf '"%s" %s-4:0:0\n' "$LR/$rel" "$date" >>"$LRSTATE"
	done
}

# lr_logs: every log logrotate's globs match, relative to LR.
lr_logs() {
	(cd "$LR" && find . -mindepth 1 -maxdepth 2 -type f -name '*.log' -printf '%P\n') | LC_ALL=C sort
}

# night WHEN: logrotate on LR and evmaint rotate on ROOT, both at WHEN.
night() {
	local when=$1
	if [ "$FAKE" = 1 ]; then
		t_run 0 faketime "$when" logrotate -s "$LRSTATE" "$T/lr/logrotate.conf"
	else
		# no faketime: logrotate runs today, so its state must say "before"
		rm -f "$LRSTATE"
		# shellcheck disable=SC2046 # one name per line, no spaces
		seed_state 2000-1-1 $(lr_logs)
		t_run 0 logrotate -s "$LRSTATE" "$T/lr/logrotate.conf"
	fi
	cp "$T/err" "$T/lr.err"
	at "$when" evm_run 0 rotate
}

# same_trees WHEN: same file names, same decompressed bytes, in both trees.
same_trees() {
	local f
	(cd "$ROOT" && find . -type f -printf '%P\n') | LC_ALL=C sort >"$T/ev.list"
	(cd "$LR" && find . -type f -printf '%P\n') | LC_ALL=C sort >"$T/lr.list"
	assert_same "$T/lr.list" "$T/ev.list" "file names after the night of $1 (logrotate's tree vs evmaint's)"
	while IFS= read -r f; do
		unz "$LR/$f" >"$T/lr.data" || fail "logrotate's $f does not decompress"
		unz "$ROOT/$f" >"$T/ev.data" || fail "evmaint's $f does not decompress"
		assert_same "$T/lr.data" "$T/ev.data" "content of $f after the night of $1 (logrotate's vs evmaint's)"
	done <"$T/ev.list"
}

# The first night logrotate would skip without a state entry: seed it.
if [ "$FAKE" = 1 ]; then
	# shellcheck disable=SC2046 # one name per line, no spaces
	seed_state 2026-10-19 $(lr_logs)
fi

nights=0
for day in 20 21 22 23 24 25 26 27 28 29 30 31; do
	nights=$((nights + 1))
	when="2026-10-$day 04:00:00"
	case $day in
	26) ;; # nothing written at all: nothing rotates anywhere
	*) both deploy/deploy.log "deploy $day" 1 $((50 + day)) ;;
	esac
	if [ $((day % 2)) = 0 ] && [ "$day" != 26 ]; then
		both backup/backup.log "backup $day" 1 20
	fi
	case $day in
	20 | 24 | 28) both config_update/config_update.log "config $day" 1 7 ;;
	esac
	case $day in
	22 | 23 | 29) both error.log "error $day" 1 3 ;;
	esac
	if [ "$day" != 26 ]; then
		both newscript/newscript.log "new $day" 1 5
	fi
	if [ "$day" = 23 ]; then
		# a new script's log appears; logrotate is told about it (else it
		# would skip its first night, as documented)
		mkdir -m 0750 "$ROOT/later" "$LR/later"
		for t in "$ROOT" "$LR"; do
			: >"$t/later/later.log"
			chmod 0640 "$t/later/later.log"
		done
		both later/later.log "later $day" 1 9
		if [ "$FAKE" = 1 ]; then
			seed_state 2026-10-22 later/later.log
		fi
	fi
	if [ "$day" -gt 23 ] && [ "$day" != 26 ]; then
		both later/later.log "later $day" 1 4
	fi
	night "$when"
	same_trees "$when"
	if [ "$day" = 27 ]; then
		# a second run the same day, after more writes: neither rotates
		both deploy/deploy.log "deploy $day afternoon" 1 5
		if [ "$FAKE" = 1 ]; then
			night "2026-10-$day 15:00:00"
		else
			t_run 0 logrotate -s "$LRSTATE" "$T/lr/logrotate.conf"
			at "2026-10-$day 15:00:00" evm_run 0 rotate
		fi
		same_trees "2026-10-$day 15:00:00"
		assert_fgrep "deploy $day afternoon 5" "$ROOT/deploy/deploy.log" "the second run of the day rotated"
	fi
done

# Sanity: this compared something worth comparing.
n=$(find "$ROOT/deploy" -name 'deploy.log.*.gz' | wc -l)
assert_eq "$n" 7 "deploy.log generations after $nights nights with rotate 7"
assert_file "$ROOT/later/later.log.1.gz"
narch=$(archives_in "$ARCH" | wc -l)
[ "$narch" -ge 1 ] || fail "evmaint archived nothing, though logrotate deleted generations"
ok "$nights nights (faketime: $FAKE), across the end of summer time: evmaint's tree = logrotate's tree, file by file"

exit 0
