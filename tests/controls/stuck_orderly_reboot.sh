#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# An orderly shutdown with the same stuck callbacks as stuck_shutdown.sh
# (a blocked probe, a blocked unbind, a blocked .shutdown;
# Documentation/bugs.rst, "Stuck callbacks"). The guest's PID 1 is a
# busybox script, not an init with a shutdown sequence, so the job does
# what sysvinit's and busybox init's do before reboot(2): SIGTERM to every
# process but PID 1 and itself, wait for them, sync, then reboot(2) by
# `reboot -f`. Power-off would run the same device_shutdown(), but this
# guest has no ACPI to power off with (the kernel would halt and QEMU
# stay up), where a restart ends it (-no-reboot).
#
# drvsim_faulty's waits are interruptible, as the kernel's guidelines ask
# of a driver's long waits: the SIGTERM ends the blocked probe and unbind,
# which return and drop their device locks, so device_shutdown() neither
# waits for a probe nor for a lock; it passes p0 and u0 and sleeps only in
# s0's own .shutdown, interruptibly, until released. The log must scan
# clean (control-only without expects): no hung task at a 3 s timeout. A
# driver stuck uninterruptibly (a deadlock, an oops) is not freed by a
# signal: that is stuck_shutdown.sh's reboot.
#
# control-params: lockdep_device_class=1
# control-samples: drvsim_sample drvsim_faulty
# control-hung-task-secs: 3
# control-only: 1
# control-cases: kselftest:stuck_orderly_reboot
. /drvsim/lib/drvsim.sh
control_cases kselftest:stuck_orderly_reboot
ktap_print_header
ktap_set_plan 8

# terminate_all: SIGTERM to every user process but PID 1, this shell and
# the reader of the control's cases (kernel threads have no command line).
terminate_all() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		case $p in 1 | $$ | $CONTROL_CASES) continue ;; esac
		grep -q . "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	return 0
}

# device_shutdown() walks the devices newest first: p0, u0, then s0.
printf 's0 type=faulty' > "$BUS/new_device"
printf 'u0 type=faulty' > "$BUS/new_device"
printf 's0 block' > "$FAULTY/shutdown_mode"
printf 'u0 block' > "$FAULTY/remove_mode"
(printf u0 > "$FAULTY/unbind") &
U=$!
ktap_test_result "u0's unbind holds u0's device lock" waits_in $U '\[drvsim_faulty\]'
printf 'p0 block' > "$FAULTY/probe_mode"
(printf 'p0 type=faulty' > "$BUS/new_device") &
P=$!
ktap_test_result "p0's probe holds p0's device lock" waits_in $P '\[drvsim_faulty\]'

terminate_all
ktap_test_result "SIGTERM ends the blocked unbind's writer" wait_until 30 finished $U
ktap_test_result "SIGTERM ends the blocked probe's writer" wait_until 30 finished $P
expect_eq none "$(driver_of u0)" "u0's unbind completed (the callback returned)"
sync
reboot -f &
R=$!
ktap_test_result "reboot passes p0 and u0 and sleeps in s0's shutdown" \
	waits_in $R '\[drvsim_faulty\]'
ktap_test_result "there it runs device_shutdown()" in_kernel $R device_shutdown
ktap_test_result "it sleeps interruptibly (never in D): not a hung task" never_blocked $R
control_cases_done
# The reboot goes on and ends the guest; the job never returns.
printf s0 > "$FAULTY/release"
wait $R
echo "drvsim: stuck_orderly_reboot: reboot -f returned"
exit 1
