#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (the other writers sleep on a lock while one runs: nothing concurrent for KCSAN to watch)
# A driver callback that blocks holding its device lock, probe or not
# (Danilo, locked-match thread: "any bus callback that holds the device
# lock, not only probe"): f0's unbind (remove_mode) or its probe
# (probe_mode) blocks in a background writer. Which other writers
# complete and which wait for f0's lock, under the lock-free match and
# under match_takes_device_lock=1 (7.0-rc1's design). Only the writers
# that need f0 itself may wait; with the locked match, insmod of any other
# driver waits too (in bus_match). tests/match_lock.sh has the insmod of
# a driver under a blocked probe; here are the other writers, and the
# same table for a blocked unbind. The table is in Documentation/bugs.rst,
# "Stuck callbacks". "waits" is D state in the frame that takes the lock,
# never a timeout; everything is released long before the hung-task
# timeout.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 62

SAMPLE=$BUS/drivers/drvsim_sample
# Where a writer sleeps when it waits for a device lock: a "done" row
# fails if the writer is seen there in D state instead of finishing.
LOCK_FRAMES='bus_match\|__driver_attach\|__device_attach\|device_release_driver_internal\|bind_store\|device_driver_attach\|remove_locked'

# hold KIND: f0 (type faulty) holds its device lock in its KIND callback
# (unbind or probe) from a background writer, $HOLDER; succeeds once the
# holder sleeps in drvsim_faulty.
hold() {
	if [ "$1" = unbind ]; then
		printf 'f0 type=faulty' > "$BUS/new_device"
		printf 'f0 block' > "$FAULTY/remove_mode"
		(printf f0 > "$FAULTY/unbind") &
	else
		printf 'f0 block' > "$FAULTY/probe_mode"
		(printf 'f0 type=faulty' > "$BUS/new_device") &
	fi
	HOLDER=$!
	waits_in $HOLDER '\[drvsim_faulty\]'
}

# writers DESIGN KIND INSMOD: the writers other than rmmod while f0
# holds its lock in KIND; INSMOD is what insmod of another driver is
# expected to do.
writers() {
	local desc="$1, $2 blocked" i u x n
	reset_bus
	printf 's1 type=sample' > "$BUS/new_device"
	ktap_test_result "$desc: f0 holds its device lock in $2" hold "$2"
	printf 's2 type=sample' > "$BUS/new_device" &
	expect_eq done "$(outcome $! "$LOCK_FRAMES")" "$desc: new_device of another device completes"
	printf s1 > "$SAMPLE/unbind" &
	expect_eq done "$(outcome $! "$LOCK_FRAMES")" "$desc: unbind of another device completes"
	printf s1 > "$SAMPLE/bind" &
	expect_eq done "$(outcome $! "$LOCK_FRAMES")" "$desc: bind of another device completes"
	rmmod drvsim_sample &
	expect_eq done "$(outcome $! "$LOCK_FRAMES")" "$desc: rmmod of another driver completes"
	insmod "$MODULES/drvsim_sample.ko" &
	i=$!
	expect_eq "$3" "$(outcome $i bus_match)" "$desc: insmod of another driver: $3"
	printf f0 > "$FAULTY/unbind" &
	u=$!
	expect_eq waits "$(outcome $u device_release_driver_internal)" "$desc: unbind of f0 waits"
	# Removal kills f0 (kill_device()) under its lock first: it waits there.
	printf f0 > "$BUS/del_device" &
	x=$!
	expect_eq waits "$(outcome $x remove_locked)" "$desc: del_device of f0 waits"
	printf 's3 type=sample' > "$BUS/new_device" &
	n=$!
	expect_eq done "$(outcome $n "$LOCK_FRAMES")" "$desc: new_device of another device completes meanwhile"
	expect_errno 0 "$FAULTY/release" f0 "$desc: release f0"
	wait $HOLDER $i $u $x $n
	ktap_test_result "$desc: every writer has finished; drvsim_sample is loaded" loaded drvsim_sample
}

# unload DESIGN KIND: rmmod drvsim_faulty while f0 holds its lock in
# KIND. The unload removes the driver's files (release too) before it
# detaches f0, so a signal to the holder, not release, lets it go on.
# Where it waits: for a blocked unbind, in kernfs_drain() (the holder is
# still inside a write to the driver's own unbind file); for a blocked
# probe, in klist_remove() (the attaching writer's bus_for_each_drv()
# holds the driver's node on the bus's list), before it would wait for
# f0's lock in driver_detach().
unload() {
	local desc="$1, $2 blocked" r
	reset_bus
	ktap_test_result "$desc: f0 holds its device lock in $2 (for rmmod)" hold "$2"
	rmmod drvsim_faulty &
	r=$!
	expect_eq waits "$(outcome $r 'kernfs_drain\|klist_remove\|device_release_driver_internal')" \
		"$desc: rmmod of f0's driver waits"
	kill $HOLDER
	wait $r $HOLDER
	ktap_test_result "$desc: rmmod finishes once the blocked task gets a signal" unloaded drvsim_faulty
	ktap_test_result "$desc: load drvsim_faulty again" insmod "$MODULES/drvsim_faulty.ko"
}

# The lock-free match (the default).
writers lock-free unbind done
writers lock-free probe done
unload lock-free unbind
unload lock-free probe

ktap_test_result "reload drvsim with match_takes_device_lock=1" reload_drvsim $DRVSIM_PARAMS match_takes_device_lock=1
writers locked-match unbind waits
writers locked-match probe waits
unload locked-match unbind
unload locked-match probe

reset_bus
ktap_test_result "reload drvsim with the suite's parameters" reload_drvsim $DRVSIM_PARAMS
ktap_finished
