#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A driver's bind and unbind files against the unload of its module, one
# window at a time (pause points instead of hammering; the hammering is
# unload_under_load.sh's and driver_lifetime.sh's): every write returns an
# errno or succeeds, rmmod completes, no device is left bound, the
# driver's directory is gone, and every removed device is released
# (debugfs `live`). The log scan covers KASAN, lockdep and hung tasks.
# - bind and unbind while rmmod is held at `unregister` (the driver is
#   marked dead, driver_unregister() has not started);
# - a bind inside probe when rmmod starts: driver_unregister() removes the
#   bind files first, waiting for that write, and only then detaches the
#   devices, so the device it bound is unbound too (bus_remove_driver()'s
#   order; with remove_bind_files() after driver_detach(), the device
#   stays bound to the freed driver);
# - an unbind write drops its reference: a device unbound through
#   `unbind` and removed is released (unbind_store()'s put_device()).
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 16
reset_bus
W=$BIN/sysfs-write
S=$BUS/drivers/drvsim_sample
M=$MODULES/drvsim_sample.ko
# No device of the bus has a driver link, not even a dangling one.
none_bound() {
	local d
	for d in "$BUS"/devices/*; do
		[ -L "$d/driver" ] && return 1
	done
	return 0
}

# 1. bind and unbind while rmmod is held after marking the driver dead.
new_with_region u0 u1
printf u1 > "$S/unbind"
pause_arm unregister
rmmod drvsim_sample &
r=$!
ktap_test_result "rmmod is held at unregister" pause_wait_held unregister 10
expect_errno ENODEV "$S/bind" u1 "bind to a driver being unregistered: ENODEV"
expect_errno 0 "$S/unbind" u0 "unbind from it still works"
pause_release unregister
wait $r
expect_eq 0 $? "rmmod completes"
ktap_test_result "no device is left bound" none_bound
ktap_test_result "the driver's directory is gone" test ! -e "$S"
insmod $M

# 2. A bind inside probe when rmmod starts.
printf u0 > "$S/bind"
printf u0 > "$S/unbind"
pause_arm probe
$W "$S/bind" u0 > /tmp/ur-bind.out &
w=$!
ktap_test_result "a bind is held in probe" pause_wait_held probe 10
rmmod drvsim_sample &
r=$!
# rmmod waits for the bind writer, in the removal of the bind file.
ktap_test_result "rmmod waits for the bind write to leave the bind file" waits_in $r kernfs_drain
pause_release probe
wait $w
expect_eq 0 "$(cat /tmp/ur-bind.out)" "the bind completes"
wait $r
expect_eq 0 $? "rmmod completes"
ktap_test_result "rmmod unbound the device the bind bound" none_bound
ktap_test_result "the driver's directory is gone" test ! -e "$S"
insmod $M

# 3. A device unbound through `unbind`, then removed, is released.
reset_bus
ktap_test_result "with no device on the bus, debugfs live reads 1" wait_until 10 released
new_with_region u3
expect_errno 0 "$S/unbind" u3 "unbind"
expect_errno 0 "$BUS/del_device" u3 "del_device"
ktap_test_result "the device is released" wait_until 10 released
reset_bus
ktap_finished
