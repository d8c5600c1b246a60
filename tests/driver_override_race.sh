#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A driver_override write while a match holds the old name: the match reads
# the name under the override's spinlock (device_match_driver_override()),
# so the writer must wait for that lock before it frees the old name
# (bugzilla 220789). No pause point fits between the load of the name and
# strcmp() (a spinlock is held): override_widen_ms's kprobe on strcmp()
# holds the match there instead, and override_widen_inside says when.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 9
K=/sys/kernel/debug/drvsim
W=$K/override_widen_ms
reset_bus
D=$BUS/devices/d0
printf d0 > "$BUS/new_device"
printf drvsim_sample > "$D/driver_override"
printf d0 > "$BUS/drivers/drvsim_sample/unbind"

inside() {
	[ "$(cat "$K/override_widen_inside")" = 1 ]
}

expect_errno EINVAL "$W" 10001 "a window over 10000 ms: EINVAL"
expect_errno 0 "$W" 5000 "open the window (a kprobe on strcmp)"
R=/tmp/driver_override_race.bind
errno_of "$BUS/drivers/drvsim_sample/bind" d0 > "$R" &
b=$!
ktap_test_result "the bind's match is held between its load of the name and strcmp()" \
	wait_until 60 inside
expect_errno 0 "$D/driver_override" drvsim_faulty "driver_override write while the match holds the old name"
wait $b
expect_eq 0 "$(cat "$R")" "the bind matched the name it had loaded"
expect_eq drvsim_sample "$(driver_of d0)" "and bound"
expect_eq drvsim_faulty "$(cat "$D/driver_override")" "the override reads as written"
expect_eq 0 "$(cat "$K/override_widen_inside")" "nobody is left in the window"
expect_errno 0 "$W" 0 "close the window (the kprobe goes)"
rm -f "$R"
reset_bus
ktap_finished
