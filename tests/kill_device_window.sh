#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kill_device() window of PCI/IOV v10
# (shared/seeds/pci-sriov-rescan-remove-abba.txt; Documentation/drvsim.rst,
# "The kill_device() window"): a removal held after its device's driver was
# released and before device_del() (pause point kill_window). The removal
# killed the device (kill_device(), under its lock) before releasing the
# driver, so nothing binds it again: bind gets ENODEV; drivers_probe,
# rescan, new_id and a driver's load succeed without binding it. drvsim's
# match does not refuse a dying device: these are the driver core's own
# dead checks (__driver_probe_device(), __device_attach()). Positive
# control: tests/controls/legacy_remove_no_kill.sh.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 26
reset_bus
S=$BUS/drivers/drvsim_sample
W=$BIN/sysfs-write

# hold_removal DEV: DEV's del_device held in the window; its pid in $w.
hold_removal() {
	pause_arm kill_window
	$W "$BUS/del_device" "$1" > /tmp/kw.del &
	w=$!
	ktap_test_result "$1: del_device is held between the driver's release and device_del()" \
		pause_wait_held kill_window 10
	expect_eq none "$(driver_of "$1")" "$1: no driver in the window"
}

# finish_removal DEV: release the removal; it succeeds and DEV is gone.
finish_removal() {
	pause_release kill_window
	wait $w
	expect_eq "0 0" "$(cat /tmp/kw.del) $(ls "$BUS/devices" | grep -cx "$1")" \
		"$1: the removal completes and the device is gone"
}

# 1. A device drvsim_sample drives: the driver's bind, the bus's
#    drivers_probe and rescan.
printf 'kw0 regions=1' > "$BUS/new_device"
expect_eq drvsim_sample "$(driver_of kw0)" "kw0 is bound to drvsim_sample"
hold_removal kw0
expect_errno ENODEV "$S/bind" kw0 "bind of a killed device: ENODEV"
expect_errno 0 "$BUS/drivers_probe" kw0 "drivers_probe of a killed device succeeds"
expect_eq none "$(driver_of kw0)" "drivers_probe does not bind it"
expect_errno 0 "$BUS/rescan" 1 "rescan succeeds"
expect_eq none "$(driver_of kw0)" "rescan does not bind it"
finish_removal kw0

# 2. A device of drvsim_faulty's type with that driver unloaded: a new_id
#    of drvsim_sample naming the type, then drvsim_faulty's load.
rmmod drvsim_faulty
printf 'kw1 type=faulty' > "$BUS/new_device"
expect_eq none "$(driver_of kw1)" "kw1 has no driver"
hold_removal kw1
expect_errno 0 "$S/new_id" faulty "new_id naming a killed device's type succeeds"
expect_eq none "$(driver_of kw1)" "new_id does not bind it"
insmod "$MODULES/drvsim_faulty.ko"
ktap_test_result "loading drvsim_faulty succeeds" test $? = 0
expect_eq none "$(driver_of kw1)" "the driver's load does not bind it"
finish_removal kw1
printf faulty > "$S/remove_id"

# 3. A VF in its window inside its PF's removal (the PF's driver disables
#    SR-IOV in its release, removing the VFs last first, with the PF's
#    device lock held): the VF is not bound again either, and the PF's
#    removal goes on once the VF's is released.
printf 'kw2 totalvfs=2' > "$BUS/new_device"
printf 2 > "$BUS/devices/kw2/sriov_numvfs"
expect_eq "drvsim_sample drvsim_sample" "$(driver_of kw2-vf0) $(driver_of kw2-vf1)" "kw2's VFs are bound"
pause_arm kill_window
$W "$BUS/del_device" kw2 > /tmp/kw.del &
w=$!
ktap_test_result "kw2's removal holds its last VF in the window" pause_wait_held kill_window 10
expect_eq none "$(driver_of kw2-vf1)" "kw2-vf1: no driver in the window"
expect_errno ENODEV "$S/bind" kw2-vf1 "bind of the killed VF: ENODEV"
expect_errno 0 "$BUS/drivers_probe" kw2-vf1 "drivers_probe of the killed VF succeeds"
expect_eq none "$(driver_of kw2-vf1)" "drivers_probe does not bind it"
finish_removal kw2
expect_eq "" "$(ls "$BUS/devices")" "kw2's VFs are gone with it"
ktap_test_result "every removed device is released" wait_until 10 released
ktap_finished
