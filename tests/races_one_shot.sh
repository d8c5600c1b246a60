#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The races of Documentation/bugs.rst, each hit in one attempt with a
# pause point, on the default designs; the controls in tests/controls/ run
# the same sequences on the broken ones and must splat. Every case holds
# one task in the window, runs the other side, and releases it: no timing,
# no repetition.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 30
reset_bus
S=$BUS/drivers/drvsim_sample
R=$BIN/regfile
W=$BIN/sysfs-write

# 1. remove of a PF with two VFs, held after it is marked dead and before
#    its driver is released, against a writer that takes the PF's device
#    lock and disables SR-IOV: unbind of the PF (its driver disables
#    SR-IOV in unbind), and an sriov_numvfs write, the AB-BA that the
#    broken design deadlocks on (tests/controls/legacy_rescan_remove_abba.sh).
#    The writer finishes while remove is held, then both have finished.
# remove_against PF LABEL FILE VALUE: one such race, four cases.
remove_against() {
	local w1 w2
	printf '%s totalvfs=2' "$1" > "$BUS/new_device"
	printf 2 > "$BUS/devices/$1/sriov_numvfs"
	pause_arm remove
	$W "$BUS/devices/$1/remove" 1 > /tmp/ra.remove &
	w1=$!
	ktap_test_result "$2: remove of the PF is held at remove" pause_wait_held remove 10
	$W "$3" "$4" > /tmp/ra.other &
	w2=$!
	ktap_test_result "$2: the other writer finishes while remove is held" wait_until 10 finished $w2
	pause_release remove
	wait $w1 $w2
	expect_eq "0 0" "$(cat /tmp/ra.remove /tmp/ra.other | tr '\n' ' ' | sed 's/ $//')" \
		"$2: both writers finish"
	expect_eq "" "$(ls "$BUS/devices")" "$2: the PF and its VFs are gone"
}
remove_against ra0 "remove against unbind" "$S/unbind" ra0
remove_against ra1 "remove against sriov_numvfs" "$BUS/devices/ra1/sriov_numvfs" 0

# 2. bind and new_id against driver unregistration: rmmod drvsim_sample
#    held after the driver is marked dead, before driver_unregister().
printf 'ru0' > "$BUS/new_device"
printf 'ru0' > "$S/unbind"
pause_arm unregister
rmmod drvsim_sample &
w=$!
ktap_test_result "rmmod drvsim_sample is held at unregister" pause_wait_held unregister 10
expect_errno ENODEV "$S/bind" ru0 "bind to a driver being unregistered: ENODEV"
expect_errno ENODEV "$S/new_id" other "new_id of a driver being unregistered: ENODEV"
pause_release unregister
wait $w
ktap_test_result "the unregistration finishes" test $? = 0 -a ! -e "$S"
expect_eq none "$(driver_of ru0)" "the device stays unbound"
insmod $MODULES/drvsim_sample.ko
expect_eq drvsim_sample "$(driver_of ru0)" "the driver binds it when loaded again"
reset_bus

# 3. unbind against a reader of a DevresSet: unbind held after the set's
#    gate is closed (and its grace period passed), before the members are
#    dropped. A reader through an open file gets ENXIO at once; unbind
#    goes on when released.
printf 'rv0 regions=2' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-rv0
exec 3<> /dev/drvsim-rv0
expect_eq 0xd5150000 "$($R read @3 0 0)" "a bound device's file reads its registers"
pause_arm revoke
$W "$S/unbind" rv0 > /tmp/rv.unbind &
w=$!
ktap_test_result "unbind is held inside the DevresSet revocation" pause_wait_held revoke 10
expect_eq ENXIO "$($R read @3 0 0)" "a read while the set is being revoked: ENXIO"
ktap_test_result "unbind waits at revoke" alive $w
pause_release revoke
wait $w
expect_eq "0 ENXIO" "$(cat /tmp/rv.unbind) $($R read @3 0 0)" "unbind finishes; the file stays revoked"
exec 3>&-
reset_bus

# 4. drvsim_faulty's exit (the hardening issue's fourth defect): rmmod
#    held between the unregistration of the driver and the teardown. No
#    probe_mode write and no probe can reach the module any more, so the
#    companion driver cannot be registered again into a module being
#    freed.
pause_arm sample_exit
rmmod drvsim_faulty &
w=$!
ktap_test_result "rmmod drvsim_faulty is held between unregistration and teardown" \
	pause_wait_held sample_exit 10
expect_errno ENOENT "$FAULTY/probe_mode" "fx0 register_driver" "probe_mode is gone"
printf 'fx0 type=faulty' > "$BUS/new_device"
expect_eq none "$(driver_of fx0)" "a faulty device added meanwhile stays unbound"
pause_release sample_exit
wait $w
ktap_test_result "the exit finishes" test $? = 0
ktap_test_result "no companion driver is left registered" test ! -e "$BUS/drivers/drvsim_faulty_child"
insmod $MODULES/drvsim_faulty.ko
reset_bus

# 5. driver_override against match (kernel bugzilla 220789): bind's match
#    held after it read the override, then a store of a new override.
#    Default design: the override lives in struct device under a spinlock
#    and match keeps only its decision, so the store returns at once.
#    (The probe's re-match sees the new override and refuses.)
# bind_held_at_match DEV: an unbound device DEV whose driver_override
# names drvsim_sample, and a bind of it held in match at the match pause
# point; the bind writer's pid in $w, its result in /tmp/mo.bind.
bind_held_at_match() {
	printf '%s' "$1" > "$BUS/new_device"
	printf '%s' "$1" > "$S/unbind"
	printf drvsim_sample > "$BUS/devices/$1/driver_override"
	pause_arm match
	$W "$S/bind" "$1" > /tmp/mo.bind &
	w=$!
	pause_wait_held match 10
}
bind_held_at_match mo0
ktap_test_result "bind's match is held after reading driver_override" test $? = 0
expect_errno 0 "$BUS/devices/mo0/driver_override" drvsim_faulty \
	"a store of driver_override while match is held returns at once"
pause_release match
wait $w
expect_eq "ENODEV none" "$(cat /tmp/mo.bind) $(driver_of mo0)" "probe's re-match follows the new override"
reset_bus

# 6. The same with 7.0-rc1's fix of the bus-private string
#    (legacy_driver_override=1 match_takes_device_lock=1): match holds the
#    device lock, so the store, which frees the old string under it, waits
#    until match has used it.
reload_drvsim $DRVSIM_PARAMS legacy_driver_override=1 match_takes_device_lock=1
bind_held_at_match mo1
ktap_test_result "7.0-rc1 design: bind's match is held with the device lock" test $? = 0
w1=$w
$W "$BUS/devices/mo1/driver_override" drvsim_faulty > /tmp/mo.store &
w2=$!
ktap_test_result "the store waits for the device lock" wait_until 10 blocked $w2
pause_release match
wait $w1 $w2
expect_eq "0 drvsim_faulty" "$(cat /tmp/mo.store) $(cat "$BUS/devices/mo1/driver_override")" \
	"the store finishes after match released the lock"
reset_bus
reload_drvsim $DRVSIM_PARAMS
ktap_finished
