#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# drvsim_faulty's probe modes, and the bus staying usable while a probe
# misbehaves. See Documentation/sysfs.rst for the probe_mode syntax.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 32
reset_bus
M=$FAULTY/probe_mode

expect_errno EINVAL "$M" "f0 bogus" "unknown mode: EINVAL"
expect_errno EINVAL "$M" "f0" "missing mode: EINVAL"
expect_errno EINVAL "$M" "f0 fail=0" "fail=0: EINVAL"
expect_errno EINVAL "$M" "f0 fail=4096" "fail beyond MAX_ERRNO: EINVAL"
expect_errno EINVAL "$M" "f0 sleep=60001" "sleep beyond 60 s: EINVAL"
expect_errno EINVAL "$M" "Bad ok" "malformed device name: EINVAL"
expect_errno EPERM "$M" "f0 oops" "oops without allow_oops: EPERM"
expect_errno ENOENT "$FAULTY/release" "f0" "release with nothing blocked: ENOENT"
for i in $(seq 0 63); do printf "x$i defer" > "$M"; done
expect_errno ENOSPC "$M" "x64 defer" "a 65th configured device: ENOSPC"
for i in $(seq 0 63); do printf "x$i ok" > "$M"; done

printf 'f1 fail=5' > "$M"
expect_errno 0 "$BUS/new_device" "f1 type=faulty" "a failing probe does not fail new_device"
expect_eq none "$(driver_of f1)" "fail=5 leaves the device unbound"

printf 'f2 defer' > "$M"
printf 'f2 type=faulty' > "$BUS/new_device"
expect_eq none "$(driver_of f2)" "defer leaves the device unbound"
ktap_test_result "deferred device is on the deferred list" grep -q '^f2' /sys/kernel/debug/devices_deferred

printf 'f3 sleep=300' > "$M"
t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
printf 'f3 type=faulty' > "$BUS/new_device"
t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
ktap_test_result "sleep=300 holds the probe for at least 0.3 s" test $((t1 - t0)) -ge 30
expect_eq drvsim_faulty "$(driver_of f3)" "sleep binds afterwards"

printf 'f4 block' > "$M"
(printf 'f4 type=faulty' > "$BUS/new_device") &
P=$!
# Inside the probe once the writer sleeps in drvsim_faulty's code.
ktap_test_result "block holds new_device inside probe" wait_until 60 in_kernel $P '\[drvsim_faulty\]'
# The rest of the bus works while f4's probe holds its device lock.
expect_errno 0 "$BUS/new_device" "s1" "new_device of another device while a probe blocks"
expect_eq drvsim_sample "$(driver_of s1)" "another device binds while a probe blocks"
expect_errno 0 "$BUS/del_device" "s1" "del_device of another device while a probe blocks"
expect_eq "f1 fail=5
f2 defer
f3 sleep=300
f4 block" "$(cat "$M")" "probe_mode lists the configured modes"
expect_errno 0 "$FAULTY/release" "f4" "release a blocked probe"
wait $P
expect_eq drvsim_faulty "$(driver_of f4)" "released probe binds"
printf 'f1 ok' > "$M"
expect_errno 0 "$BUS/drivers_probe" "f1" "drivers_probe after mode ok"
expect_eq drvsim_faulty "$(driver_of f1)" "mode ok binds"
for d in f2 f3 f4; do printf "$d ok" > "$M"; done
reset_bus

# register_driver (Documentation/bugs.rst, row 3) on the lock-free match,
# without the lockdep annotation (lockdep_device_class) that models
# 7.0-rc1's locked match and makes lockdep report it
# (tests/controls/register_driver_from_probe.sh).
reload_drvsim
printf 'f5 register_driver' > "$M"
printf 'f5 type=faulty' > "$BUS/new_device"
expect_eq drvsim_faulty "$(driver_of f5)" "a probe that registers a driver binds"
ktap_test_result "the driver it registered is there" test -d "$BUS/drivers/drvsim_faulty_child"
printf 'c5 type=faulty-child' > "$BUS/new_device"
expect_eq drvsim_faulty_child "$(driver_of c5)" "and binds its devices"
reset_bus
reload_drvsim $DRVSIM_PARAMS
# A resource kept past its binding (stale_set): after an unbind and a
# rebind, SetDevres::access() with the new binding's device fails with
# ENXIO instead of returning the object the unbind dropped. (The kernel's
# own Devres does the latter: controls/stale_devres_access.sh.)
printf 'f9 stale_set' > "$M"
printf 'f9 type=faulty' > "$BUS/new_device"
printf 'f9' > "$FAULTY/unbind"
expect_errno ENXIO "$FAULTY/bind" f9 "stale_set: the previous binding's SetDevres gives ENXIO after a rebind"
expect_errno 0 "$FAULTY/bind" f9 "stale_set: the next bind, with nothing kept from a revoked binding, succeeds"
expect_eq drvsim_faulty "$(driver_of f9)" "stale_set: the device is bound"
printf 'f9 ok' > "$M"
reset_bus
# drvsim_faulty keeps f9's last SetDevres, and with it a reference to f9,
# until it unloads: reload it, so that no device outlives this test.
reload_faulty() {
	rmmod drvsim_faulty && insmod "$MODULES/drvsim_faulty.ko"
}
ktap_test_result "stale_set: reload drvsim_faulty, which drops what it kept" reload_faulty
ktap_test_result "stale_set: every device is released then" wait_until 10 released
ktap_finished
