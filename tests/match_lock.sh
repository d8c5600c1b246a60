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

# blocked_insmod SECONDS: block a probe, then reload drvsim_sample. Prints
# "done" if insmod finished within SECONDS, else "stuck"; then releases the
# probe and waits for everything to finish.
blocked_insmod() {
	printf 'm0 block' > "$FAULTY/probe_mode"
	(printf 'm0 type=faulty' > "$BUS/new_device") &
	local p=$! i
	wait_until 5 grep -q 'm0 block' "$FAULTY/probe_mode"
	sleep 0.5
	rmmod drvsim_sample
	insmod $MODULES/drvsim_sample.ko &
	i=$!
	if wait_until "$1" finished $i; then echo done; else echo stuck; fi
	printf m0 > "$FAULTY/release"
	wait $i $p
}

expect_eq done "$(blocked_insmod 5)" "insmod completes while a probe holds its device lock"
ktap_test_result "drvsim_sample is loaded" test -d /sys/module/drvsim_sample
reset_bus

ktap_test_result "reload drvsim with match_takes_device_lock=1" reload_drvsim $DRVSIM_PARAMS match_takes_device_lock=1
expect_eq stuck "$(blocked_insmod 3)" "insmod is stuck behind the blocked probe (7.0-rc1 design)"
ktap_test_result "insmod finishes once the probe is released" test -d /sys/module/drvsim_sample
expect_eq drvsim_faulty "$(driver_of m0)" "the released probe binds"
reset_bus
ktap_test_result "reload drvsim with the suite's parameters" reload_drvsim $DRVSIM_PARAMS
ktap_finished
