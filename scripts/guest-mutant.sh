#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of `make mutants` (scripts/mutants.sh): the suite of
# guest-check.sh, unchanged, in another order and stopping early. The
# host prepends FIRST (the kselftests the mutant's header expects to kill
# it, run first), FAILFAST (1: stop at the first failed case or splat) and
# /tmp/scan-log.sh (the host's log scanner, so that "a splat" means here
# what it means there).
R=$DRVSIM_RESULTS
failed() { # what stops the run: a failed case in FILE..., or a splat so far
	grep -q '^ *not ok ' "$@" && return 0
	dmesg > /tmp/dmesg
	! bash /tmp/scan-log.sh /tmp/dmesg > /dev/null 2>&1
}
stop() {
	[ "$FAILFAST" = 1 ] || return 1
	echo "drvsim-mutant: stopping after $1"
	touch /tmp/reboot-without-shutdown
	exit 0
}
for f in /sys/kernel/debug/kunit/drvsim*/results; do
	[ -e "$f" ] || continue
	suite=${f%/results}
	echo "DRVSIM-SECTION kunit:${suite##*/}" > "$R"
	cat "$f" > "$R"
done
# KUnit ran at module load: every suite reported, then stop if any failed.
! failed /sys/kernel/debug/kunit/drvsim*/results || stop "the KUnit suites"
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
[ -n "$FIRST" ] || leak_scan
# Each test on its own, its KTAP straight to the host; a watchdog stops
# waiting for a test that hangs once the kernel has reported a splat
# (the hung-task detector reports a deadlock within HUNG_TASK_SECS).
for t in $FIRST $(sed -n 's/^drvsim://p' /kselftest-list.txt); do
	case " $done " in *" $t "*) continue ;; esac
	done="$done $t"
	echo "DRVSIM-SECTION kselftest:$t" > "$R"
	(cd /drvsim && "./$t") > /tmp/out 2>&1 &
	pid=$! n=0
	while kill -0 $pid 2> /dev/null; do
		sleep 0.2
		n=$((n + 1))
		[ $((n % 25)) != 0 ] || ! failed /dev/null || break
	done
	cat /tmp/out
	cat /tmp/out > "$R"
	if kill -0 $pid 2> /dev/null; then
		echo "drvsim-mutant: $t still runs after a splat"
		touch /tmp/reboot-without-shutdown
		stop "$t"
	fi
	! failed /tmp/out || stop "$t"
	# shellcheck disable=SC2086
	[ "$(echo $done)" != "$(echo $FIRST)" ] || leak_scan
done
