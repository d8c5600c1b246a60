#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `reboot -f` (reboot(2) without init: device_shutdown(), then the
# restart, which ends the guest: QEMU runs with -no-reboot) does with a
# driver callback stuck holding its device lock (Danilo, locked-match
# thread: "shutting down cleanly and obtaining logs";
# Documentation/bugs.rst, "Stuck callbacks"). The job starts the reboot
# in the background and follows it through three devices of
# drvsim_faulty, in device_shutdown()'s order:
#
# 1. p0's probe blocked: device_shutdown() first waits for all probes
#    (wait_for_device_probe(), uninterruptibly): the reboot sleeps there
#    in D state, and the hung-task detector reports it.
# 2. s0's .shutdown blocked: the reboot sleeps in drvsim_faulty's
#    shutdown, interruptibly (S): no hung task. Userspace still runs and
#    the console still prints (every line from here on is in the host's
#    log).
# 3. u0's unbind blocked (a writer inside its remove): device_shutdown()
#    sleeps in D on u0's device lock; the detector reports the reboot and
#    (CONFIG_DETECT_HUNG_TASK_BLOCKER) names the unbind's task as the
#    lock's likely owner; sysrq w lists it among the blocked tasks.
#
# Its cases sent, the job releases u0: the reboot ends the guest, and the
# log ends with "reboot: Restarting system". Only the reboot's hung-task
# reports may appear (control-only).
#
# control-params: lockdep_device_class=1
# control-samples: drvsim_sample drvsim_faulty
# control-hung-task-secs: 3
# control-only: 1
# control-cases: kselftest:stuck_shutdown
# control-expect: hung task: .*INFO: task reboot:[0-9]+ blocked for more than
# control-expect: stack dump: .*Call Trace:
. /drvsim/lib/drvsim.sh
control_cases kselftest:stuck_shutdown
ktap_print_header
ktap_set_plan 14
# Every report: the second phase's must not be suppressed by the first's.
echo -1 > /proc/sys/kernel/hung_task_warnings

# in_dmesg ERE: is a line matching ERE in the kernel log?
in_dmesg() {
	dmesg | grep -E -q "$1"
}

# ktap_test_result runs its command unquoted, word-split: the patterns
# with spaces live in these functions.
# reported: has the hung-task detector reported the reboot task ($R)?
reported() {
	in_dmesg "INFO: task reboot:$R blocked for more than"
}
# owner_named: has a report named u0's unbind ($U) as the owner of the
# lock the reboot waits for?
owner_named() {
	in_dmesg "INFO: task reboot:$R is blocked on a mutex likely owned by task sh:$U"
}
# s0_logged: is s0's shutdown message in the kernel log?
s0_logged() {
	in_dmesg "s0: drvsim_faulty: shutdown blocks until release"
}

# sysrq_lists_reboot: sysrq w (show blocked tasks) lists the reboot task
# among the D-state tasks: one more "task:reboot ... state:D" line.
sysrq_lists_reboot() {
	local n
	n=$(dmesg | grep -c "task:reboot .*state:D")
	echo w > /proc/sysrq-trigger
	wait_until 30 sh -c "[ \$(dmesg | grep -c 'task:reboot .*state:D') -gt $n ]"
}

# past_faulty PID: is drvsim_faulty off PID's kernel stack?
past_faulty() {
	! in_kernel "$1" '\[drvsim_faulty\]'
}

# device_shutdown() walks the devices newest first: p0, s0, then u0.
printf 'u0 type=faulty' > "$BUS/new_device"
printf 's0 type=faulty' > "$BUS/new_device"
printf 'u0 block' > "$FAULTY/remove_mode"
printf 's0 block' > "$FAULTY/shutdown_mode"
(printf u0 > "$FAULTY/unbind") &
U=$!
ktap_test_result "u0's unbind holds u0's device lock" waits_in $U '\[drvsim_faulty\]'
printf 'p0 block' > "$FAULTY/probe_mode"
(printf 'p0 type=faulty' > "$BUS/new_device") &
P=$!
ktap_test_result "p0's probe holds p0's device lock" waits_in $P '\[drvsim_faulty\]'

reboot -f &
R=$!
expect_eq waits "$(outcome $R wait_for_device_probe)" \
	"1. reboot sleeps in wait_for_device_probe() (D) behind p0's probe"
ktap_test_result "1. the hung-task detector reports the reboot task" \
	wait_until 60 reported
expect_errno 0 "$FAULTY/release" p0 "1. release p0's probe"
wait $P
ktap_test_result "2. reboot reaches s0's shutdown, in drvsim_faulty" \
	waits_in $R '\[drvsim_faulty\]'
ktap_test_result "2. there it runs device_shutdown()" in_kernel $R device_shutdown
ktap_test_result "2. it sleeps interruptibly (never in D): not a hung task" never_blocked $R
ktap_test_result "2. userspace runs and the kernel log has s0's shutdown" \
	s0_logged
expect_errno 0 "$FAULTY/release" s0 "2. release s0's shutdown"
# /proc/PID/stack leaves out the scheduler's frames (mutex_lock is one):
# device_shutdown() itself is the top frame.
expect_eq waits "$(outcome $R device_shutdown)" "3. reboot sleeps in D in device_shutdown()"
ktap_test_result "3. past s0's shutdown: drvsim_faulty is off its stack" past_faulty $R
ktap_test_result "3. sysrq w lists the reboot among the blocked tasks" sysrq_lists_reboot
ktap_test_result "3. the hung-task report names u0's unbind as the lock's owner" \
	wait_until 60 owner_named
control_cases_done
# The reboot goes on and ends the guest; the job never returns.
printf u0 > "$FAULTY/release"
wait $R
echo "drvsim: stuck_shutdown: reboot -f returned"
exit 1
