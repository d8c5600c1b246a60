#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A probe that blocks holding its device lock must not stop other drivers
# from registering: with the default lock-free match insmod completes; with
# match_takes_device_lock=1 (7.0-rc1's design) it is stuck until the probe
# is released, which is the firewire boot hang.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 7
reset_bus

# blocked_insmod: block m0's probe, which holds m0's device lock, then
# reload drvsim_sample. Prints load_or_stuck's verdict ("done" if insmod
# finished while the probe was held, "stuck" as soon as insmod sleeps in
# bus_match in D state, waiting for m0's lock), or "unblocked" if the
# probe never held; then releases the probe and waits for everything to
# finish. No window of wall-clock time: a loaded host stretches the
# guest's seconds, and an insmod held in D past the hung-task timeout is
# a splat of its own.
blocked_insmod() {
	local p r=unblocked
	printf 'm0 block' > "$FAULTY/probe_mode"
	(printf 'm0 type=faulty' > "$BUS/new_device") &
	p=$!
	if wait_until 60 in_kernel $p '\[drvsim_faulty\]'; then
		rmmod drvsim_sample
		r=$(load_or_stuck drvsim_sample)
	fi
	echo $r
	printf m0 > "$FAULTY/release"
	wait $p
	# load_or_stuck's insmod is not this shell's child.
	[ $r = unblocked ] || wait_until 60 finished "$(cat /tmp/stuck-insmod)"
}

expect_eq done "$(blocked_insmod)" "insmod completes while a probe holds its device lock"
ktap_test_result "drvsim_sample is loaded" test -d /sys/module/drvsim_sample
reset_bus

ktap_test_result "reload drvsim with match_takes_device_lock=1" reload_drvsim $DRVSIM_PARAMS match_takes_device_lock=1
expect_eq stuck "$(blocked_insmod)" "insmod is stuck behind the blocked probe (7.0-rc1 design)"
ktap_test_result "insmod finishes once the probe is released" test -d /sys/module/drvsim_sample
expect_eq drvsim_faulty "$(driver_of m0)" "the released probe binds"
reset_bus
ktap_test_result "reload drvsim with the suite's parameters" reload_drvsim $DRVSIM_PARAMS
ktap_finished
