#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# An oops in probe on the default design (lock-free match): Linus's "you
# get an oops" of the locked-match thread, the machine alive
# (Documentation/bugs.rst row 13). drvsim_faulty's oops probe reads
# through a NULL pointer; its writer dies holding f0's device lock for
# ever. The rest of the bus keeps working: devices come and go, a driver
# loads, unloads and binds. f0 stays unusable: anything that takes its
# lock sleeps for ever, unseen (the oops silences the hung-task detector
# and lockdep). Last, the dead writer is reaped: a later taker of the
# lock reads the freed owner (KASAN), the one splat besides the oops.
#
# device_shutdown() at reboot would wait for f0's lock for ever: the
# guest reboots without it (/tmp/reboot-without-shutdown, guest-init.sh).
#
# control-params: lockdep_device_class=1
# control-samples: drvsim_sample drvsim_faulty
# control-only: 1
# control-cases: kselftest:oops_in_probe
# control-expect: (oops|fault): .*(Oops: general protection fault|Internal error: Oops|Unable to handle kernel paging request)
# control-expect: stack dump: .*Call [Tt]race:
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in __mutex_lock
. /drvsim/lib/drvsim.sh
touch /tmp/reboot-without-shutdown
control_cases kselftest:oops_in_probe
ktap_print_header
ktap_set_plan 15
S=$BUS/drivers/drvsim_sample

w=$(oops_probe f0)
ktap_test_result "f0's probe oopses and its writer dies" zombie "$w"
ktap_test_result "dmesg holds the oops, in drvsim_faulty's probe" oops_in_dmesg

printf 'g0 type=sample regions=1' > "$BUS/new_device"
expect_eq drvsim_sample "$(driver_of g0)" "new_device of another device completes and binds"
ktap_test_result "rmmod of another driver completes" rmmod drvsim_sample
expect_eq done "$(load_or_stuck drvsim_sample)" "insmod of another driver completes"
expect_eq drvsim_sample "$(driver_of g0)" "the loaded driver binds its device"
expect_errno 0 "$S/unbind" g0 "unbind of another device completes"
expect_errno 0 "$S/bind" g0 "bind of another device completes"
expect_eq drvsim_sample "$(driver_of g0)" "the device is bound again"

# f0: added (device_add() returned before the probe), and linked to its
# driver, which really_probe() does before calling probe; never bound.
expect_eq drvsim_faulty "$(driver_of f0)" "f0 is linked to drvsim_faulty though its probe never returned"
ktap_test_result "f0's attributes read without its lock" grep -qx DRIVER=drvsim_faulty "$BUS/devices/f0/uevent"
(printf f0 > "$FAULTY/unbind") > /dev/null 2>&1 &
u=$!
ktap_test_result "unbind of f0 sleeps in f0's device lock (D state)" \
	wait_until 10 asleep_in $u device_release_driver
printf 'g1 type=sample regions=1' > "$BUS/new_device"
expect_eq drvsim_sample "$(driver_of g1)" "new_device still completes while f0's unbind waits"
ktap_test_result "f0's unbind still waits: its lock's owner is dead" blocked "$u"

# The dead writer reaped (its parent, the sleep, killed: init reaps it),
# its task_struct is freed after an RCU grace period, and each new
# taker of f0's lock spins on the owner it still names: KASAN reports
# the read of the freed task_struct. One unbind attempt a second until it
# does.
kill "$(cat /tmp/oops-parent)"
wait_until 10 sh -c "[ ! -e /proc/$w ]"
uaf() {
	dmesg | grep -q 'BUG: KASAN: slab-use-after-free in __mutex_lock'
}
n=0
while [ $n -lt 30 ] && ! uaf; do
	(printf f0 > "$FAULTY/unbind") > /dev/null 2>&1 &
	sleep 1
	n=$((n + 1))
done
ktap_test_result "once the dead owner is reaped, a taker of f0's lock reads it freed" uaf
control_cases_done
exit 0
