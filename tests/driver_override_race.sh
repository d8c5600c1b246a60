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
# The match's CPU spins with preemption off: the writer must run on
# another, so this shell (the poller and the writer) is pinned to CPU 1
# and the bind to CPU 0.
if ! taskset -pc 1 $$ > /dev/null 2>&1; then
	ktap_skip_all "needs two CPUs and taskset"
	exit "$KSFT_SKIP"
fi
if [ ! -d /sys/kernel/debug/kprobes ]; then
	ktap_skip_all "needs CONFIG_KPROBES"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 11
K=/sys/kernel/debug/drvsim
W=$K/override_widen_ms
reset_bus
D=$BUS/devices/d0
printf d0 > "$BUS/new_device"
printf drvsim_sample > "$D/driver_override"
printf d0 > "$BUS/drivers/drvsim_sample/unbind"

# wait_inside SECONDS: wait until a match is in the window. No fork from
# here to the write: a fork's TLB flush may wait for the held CPU (an
# int3 kprobe's handler runs with interrupts off), so only builtins.
wait_inside() {
	local v up end
	read -r up _ < /proc/uptime
	end=$((${up%%.*} + $1))
	while read -r v < "$K/override_widen_inside" && [ "$v" != 1 ]; do
		read -r up _ < /proc/uptime
		[ "${up%%.*}" -lt "$end" ] || return 1
	done
}

# unprobed: no kprobe on strcmp is registered.
unprobed() {
	! grep -q strcmp /sys/kernel/debug/kprobes/list
}

expect_errno EINVAL "$W" 10001 "a window over 10000 ms: EINVAL"
expect_errno 0 "$W" 2000 "arm the window (a kprobe on strcmp)"
R=/tmp/driver_override_race.bind
taskset -c 0 "$BIN/sysfs-write" "$BUS/drivers/drvsim_sample/bind" d0 > "$R" &
b=$!
held=no
wait_inside 60 && held=yes
wrote=no
printf drvsim_faulty > "$D/driver_override" && wrote=yes
wait $b
expect_eq yes $held "the bind's match is held between its load of the name and strcmp()"
expect_eq yes $wrote "driver_override write while the match holds the old name"
# The match that loaded drvsim_sample lets the bind go on; the probe's
# own match (rust/bus.rs), after the write, refuses it: either way the
# bind's result is what it left.
outcome="$(cat "$R") $(driver_of d0)"
case $outcome in
"0 drvsim_sample" | "ENODEV none") outcome=consistent ;;
esac
expect_eq consistent "$outcome" "the bind's result and the device's driver agree"
expect_eq 0 "$(cat "$K/override_widen_inside")" "nobody is left in the window"
expect_eq drvsim_faulty "$(cat "$D/driver_override")" "the override reads as written"
expect_errno 0 "$W" 0 "close the window"
ktap_test_result "the kprobe went with it" unprobed
rm -f "$R"
reset_bus
# Unload with the kprobe registered: module exit must unregister it, or
# the next strcmp() calls into freed module text.
printf 1000 > "$W"
ktap_test_result "reload drvsim with the window armed" reload_drvsim $DRVSIM_PARAMS
ktap_test_result "module exit unregistered the kprobe" unprobed
ktap_finished
