#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Pause points: their debugfs interface (states, commands, errnos), a task
# held and released at each point reachable from userspace with the
# samples loaded, a signal ending a wait, and, in one attempt, the race of
# the hardening issue's first defect: a remove writer held past its own
# attribute while drvsim.ko is unloaded. Module exit releases the writer
# and waits for it (the count of Documentation/drvsim.rst, "Devices"), so
# both finish and the log stays clean.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 20
reset_bus

expect_eq "idle" "$(pause_state remove)" "a point starts idle"
expect_errno 0 "$PAUSE/remove" arm "arm"
expect_eq "armed" "$(pause_state remove)" "an armed point reads armed"
expect_errno EBUSY "$PAUSE/remove" arm "arm twice: EBUSY"
expect_errno EINVAL "$PAUSE/remove" hold "an unknown command: EINVAL"
expect_errno 0 "$PAUSE/remove" disarm "disarm an armed point nobody reached"
expect_eq "idle" "$(pause_state remove)" "a disarmed point reads idle"

# Hold a del_device writer at `remove`, then release it.
printf 'pp0 type=other' > "$BUS/new_device"
pause_arm remove
$BIN/sysfs-write "$BUS/del_device" pp0 > /tmp/pp0.out &
w=$!
ktap_test_result "a del_device writer is held at remove" pause_wait_held remove 10
expect_eq "held $w" "$(pause_state remove)" "the point reads held <the writer's pid>"
expect_eq "yes EBUSY" "$(alive $w && echo yes) $(errno_of "$PAUSE/remove" disarm)" \
	"the held writer waits; disarm of a held point: EBUSY"
pause_release remove
wait $w
expect_eq "0 idle" "$(cat /tmp/pp0.out) $(pause_state remove)" \
	"release: the write completes and the point is idle"

# A signal ends the wait as a release would.
printf 'pp1 type=other' > "$BUS/new_device"
pause_arm remove
$BIN/sysfs-write "$BUS/del_device" pp1 > /tmp/pp1.out &
w=$!
pause_wait_held remove 10
kill -TERM $w
wait $w
expect_eq "idle no" "$(pause_state remove) $(test -e "$BUS/devices/pp1" && echo yes || echo no)" \
	"a signal ends the wait; the removal goes on"

# One attempt: new_id written in usb-serial's window, between
# drvsim_pair's two registrations, gets ENODEV (the companion is not
# registered yet; drvsim.rst, "Driver lifetime").
P=$BUS/drivers/drvsim_pair
pause_arm register_window
insmod $MODULES/drvsim_pair.ko &
ip=$!
ktap_test_result "drvsim_pair's init is held between its registrations" \
	pause_wait_held register_window 10
expect_errno ENODEV "$P/new_id" pair-x "new_id in usb-serial's window: ENODEV"
pause_release register_window
wait $ip
expect_errno 0 "$P/new_id" pair-x "new_id once both are registered"
ktap_test_result "drvsim_pair unloads" rmmod drvsim_pair

# One attempt: `remove` written, held past its own attribute, while
# drvsim.ko is unloaded.
printf 'pp2 type=other' > "$BUS/new_device"
pause_arm remove_self
$BIN/sysfs-write "$BUS/devices/pp2/remove" 1 > /tmp/pp2.out &
w=$!
ktap_test_result "a remove writer is held past its own attribute" pause_wait_held remove_self 10
unload_drvsim
ktap_test_result "drvsim unloads with the writer held" test $? = 0 -a ! -d /sys/bus/drvsim
wait $w
expect_eq 0 "$(cat /tmp/pp2.out)" "the held remove write completes"
ktap_test_result "drvsim and the samples load again" load_drvsim $DRVSIM_PARAMS
reset_bus
ktap_finished
