#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The same oops in probe with 7.0-rc1's locked match
# (match_takes_device_lock=1): Linus's "something much worse", the
# grinding halt (Documentation/bugs.rst row 14). Loading a driver walks
# every device of the bus through match, which now waits for the lock
# the dead writer holds: insmod sleeps for ever. And nothing says so: the
# oops tainted the kernel (TAINT_DIE), after which the hung-task detector
# reports nothing (kernel/hung_task.c, check_hung_uninterruptible_tasks),
# and turned lockdep off (oops_enter(), debug_locks_off()). The control
# lets the detector run four times past the stuck insmod (timeout 3 s)
# and checks it stayed silent; tests/controls/memory_and_hung_task.sh
# has it report the same insmod behind a probe that blocks without an
# oops.
#
# device_shutdown() at reboot would wait for f0's lock for ever: the
# guest reboots without it (/tmp/reboot-without-shutdown, guest-init.sh).
#
# control-params: lockdep_device_class=1 match_takes_device_lock=1
# control-samples: drvsim_sample drvsim_faulty
# control-hung-task-secs: 3
# control-only: 1
# control-cases: kselftest:oops_in_probe_locked_match
# control-expect: (oops|fault): .*(Oops: general protection fault|Internal error: Oops|Unable to handle kernel paging request)
# control-expect: stack dump: .*Call [Tt]race:
. /drvsim/lib/drvsim.sh
touch /tmp/reboot-without-shutdown
control_cases kselftest:oops_in_probe_locked_match
ktap_print_header
ktap_set_plan 11

w=$(oops_probe f0)
ktap_test_result "f0's probe oopses and its writer dies" zombie "$w"
ktap_test_result "dmesg holds the oops, in drvsim_faulty's probe" oops_in_dmesg
expect_eq 128 "$(($(cat /proc/sys/kernel/tainted) & 128))" "the kernel is tainted D (TAINT_DIE)"
expect_eq 0 "$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats)" "lockdep is off (debug_locks 0)"

# A new device matches against each driver under its own lock only.
printf 'g0 type=sample regions=1' > "$BUS/new_device"
expect_eq drvsim_sample "$(driver_of g0)" "new_device of another device completes and binds"
ktap_test_result "rmmod of another driver completes" rmmod drvsim_sample
expect_eq stuck "$(load_or_stuck drvsim_sample)" "insmod of another driver is stuck in match, waiting for f0's lock"

# The silence: khungtaskd sleeps once per check (every 3 s); four checks
# after insmod went to D, a task hung that long would have been reported
# twice over.
k=$(pid_of khungtaskd)
i=$(cat /tmp/stuck-insmod)
s0=$(sleeps_of "$k")
c0=$(cat /proc/sys/kernel/hung_task_detect_count)
ktap_print_msg "hung_task_detect_count: $c0 when insmod got stuck"
checked() {
	[ $(($(sleeps_of "$k") - s0)) -ge 4 ]
}
no_report() {
	! dmesg | grep -q 'blocked for more than'
}
ktap_test_result "the hung-task detector ran four times since" wait_until 60 checked
ktap_test_result "dmesg holds no hung-task report" no_report
expect_eq "$c0" "$(cat /proc/sys/kernel/hung_task_detect_count)" "the detector counted no hung task"
ktap_test_result "insmod is still stuck in match" asleep_in "$i" bus_match
control_cases_done
exit 0
