#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of `make mutants` (scripts/mutants.sh): the suite of
# guest-check.sh, unchanged, in another order and stopping early. The
# host prepends FIRST (the kselftests the mutant's header expects to kill
# it, run first), FAILFAST (1: stop at the first failed case or splat) and
# /tmp/scan-log.sh (the host's log scanner, so that "a splat" means here
# what it means there). Exits 0, or 3 if a test of FIRST does not exist
# (a misspelt header must not pass for a kill).
R=$DRVSIM_RESULTS
# A test that has not finished after TEST_SECS is abandoned as hung.
TEST_SECS=${TEST_SECS:-900}
for t in $FIRST; do
	[ -f "/drvsim/$t" ] || { echo "drvsim-mutant: no test $t"; exit 3; }
done
# splats: how many findings the scanner has in the kernel log so far.
splats() {
	dmesg > /tmp/dmesg
	bash /tmp/scan-log.sh /tmp/dmesg 2> /dev/null | wc -l
}
stop() {
	[ "$FAILFAST" = 1 ] || return 1
	echo "drvsim-mutant: stopping after $1"
	# Tasks may be hung on device locks: see guest-init.sh.
	touch /tmp/reboot-without-shutdown
	exit 0
}
# A leak shows only in a kmemleak scan (guest-init.sh's, at the end): one
# more once the expected tests have run (two passes, as there).
leak_scan() {
	[ -e /sys/kernel/debug/kmemleak ] || return 0
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > /tmp/leaks
	cat /tmp/leaks
	[ ! -s /tmp/leaks ] || stop "a kmemleak scan"
}

for f in /sys/kernel/debug/kunit/drvsim*/results; do
	[ -e "$f" ] || continue
	suite=${f%/results}
	echo "DRVSIM-SECTION kunit:${suite##*/}" > "$R"
	cat "$f" > "$R"
done
# KUnit ran at module load: every suite reported, then stop if any failed.
if grep -q '^ *not ok ' /sys/kernel/debug/kunit/drvsim*/results || [ "$(splats)" != 0 ]; then
	stop "the KUnit suites"
fi
[ -n "$FIRST" ] || leak_scan
# Each test on its own, its KTAP straight to the host. A watchdog stops
# waiting for a test once the kernel has reported a new splat (the
# hung-task detector reports a deadlock within HUNG_TASK_SECS), or after
# TEST_SECS.
for t in $FIRST $(sed -n 's/^drvsim://p' /kselftest-list.txt); do
	case " $done " in *" $t "*) continue ;; esac
	done="$done $t"
	echo "DRVSIM-SECTION kselftest:$t" > "$R"
	out=/tmp/out.$t
	before=$(splats)
	(cd /drvsim && "./$t") > "$out" 2>&1 &
	pid=$! n=0
	while kill -0 $pid 2> /dev/null && [ $n -lt $((TEST_SECS * 5)) ]; do
		sleep 0.2
		n=$((n + 1))
		[ $((n % 25)) != 0 ] || [ "$(splats)" = "$before" ] || break
	done
	cat "$out"
	cat "$out" > "$R"
	if kill -0 $pid 2> /dev/null; then
		echo "drvsim-mutant: $t still runs after a splat or ${TEST_SECS}s"
		touch /tmp/reboot-without-shutdown
		stop "$t"
	fi
	if grep -q '^ *not ok ' "$out" || [ "$(splats)" != "$before" ]; then
		stop "$t"
	fi
	# shellcheck disable=SC2086
	[ "$(echo $done)" != "$(echo $FIRST)" ] || leak_scan
done
exit 0
