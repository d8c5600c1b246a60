#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hot_unplug of a PF against unbind of the PF and against sriov_numvfs, in
# both orders, each hit in one attempt through a pause point: the
# concurrent unbind + hotplug case that PCI/IOV v10 leaves as a known
# limitation (shared/seeds/pci-sriov-rescan-remove-abba.txt;
# Documentation/drvsim.rst, "The kill_device() window"). The PF has two
# bound VFs with their register files open. Every writer finishes (waited
# on by pid), the files give ENXIO afterwards, every device is released;
# the suite's log scan shows no lockdep report, KASAN or hung task.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 47
reset_bus
S=$BUS/drivers/drvsim_sample
R=$BIN/regfile
W=$BIN/sysfs-write

# pf_with_vfs PF: a PF of drvsim_sample with two bound VFs, one region
# each, the VFs' files open as descriptors 4 and 5.
pf_with_vfs() {
	printf '%s totalvfs=2 regions=1' "$1" > "$BUS/new_device"
	printf 2 > "$BUS/devices/$1/sriov_numvfs"
	wait_until 5 test -c "/dev/drvsim-$1-vf1"
	exec 4<> "/dev/drvsim-$1-vf0" 5<> "/dev/drvsim-$1-vf1"
	expect_eq "0xd5150000 0xd5150000" "$($R read @4 0 0) $($R read @5 0 0)" \
		"$1: both VFs are bound, their files read the registers"
}

# start NAME FILE VALUE: write VALUE to FILE in the background; its pid
# in $NAME, its result in /tmp/hu.NAME.
start() {
	$W "$2" "$3" > "/tmp/hu.$1" &
	eval "$1=\$!"
}

# result NAME: what start NAME's write returned.
result() {
	cat "/tmp/hu.$1"
}

# all_gone PF LABEL: after both writers: the VFs' files give ENXIO (and
# are closed), the bus is empty, every device is released.
all_gone() {
	expect_eq "ENXIO ENXIO" "$($R read @4 0 0) $($R read @5 0 0)" "$2: the VFs' open files give ENXIO"
	exec 4>&- 5>&-
	expect_eq "" "$(ls "$BUS/devices")" "$2: the PF and its VFs are gone"
	ktap_test_result "$2: every device is released" wait_until 10 released
}

# 1. hot_unplug held after the PF is marked gone and killed, before its
#    driver is released; unbind of the PF (its driver disables SR-IOV)
#    runs through.
pf_with_vfs hp0
pause_arm remove
start h "$BUS/hot_unplug" hp0
ktap_test_result "1: hot_unplug of the PF is held before its driver's release" \
	pause_wait_held remove 10
expect_eq "ENXIO ENXIO" "$($R read @4 0 0) $($R read @5 0 0)" \
	"1: the VFs are gone with the PF: their files give ENXIO"
start u "$S/unbind" hp0
ktap_test_result "1: unbind of the PF finishes while hot_unplug is held" wait_until 10 finished $u
expect_eq "none 0" "$(driver_of hp0) $(cat $BUS/devices/hp0/sriov_numvfs)" \
	"1: the PF is unbound and its VFs disabled"
pause_release remove
wait $h $u
expect_eq "0 0" "$(result h) $(result u)" "1: both writers succeed"
all_gone hp0 1

# 2. The other way: unbind of the PF held inside its driver's SR-IOV
#    disable (the last VF's removal, pause point remove) with the PF's
#    device lock held; hot_unplug of the PF waits for that lock (to kill
#    the PF), and goes on once unbind is done.
pf_with_vfs hp1
pause_arm remove
start u "$S/unbind" hp1
ktap_test_result "2: unbind of the PF is held in its SR-IOV disable" pause_wait_held remove 10
start h "$BUS/hot_unplug" hp1
ktap_test_result "2: hot_unplug waits for the PF's device lock" wait_until 10 blocked $h
pause_release remove
wait $u $h
expect_eq "0 0" "$(result u) $(result h)" "2: both writers finish and succeed"
all_gone hp1 2

# 3. hot_unplug held as in 1; sriov_numvfs 0 disables the VFs, then
#    sriov_numvfs 2 is refused (ENODEV): no VFs for a PF being removed.
pf_with_vfs hp2
pause_arm remove
start h "$BUS/hot_unplug" hp2
ktap_test_result "3: hot_unplug of the PF is held before its driver's release" \
	pause_wait_held remove 10
start n "$BUS/devices/hp2/sriov_numvfs" 0
ktap_test_result "3: sriov_numvfs 0 finishes while hot_unplug is held" wait_until 10 finished $n
wait $n
expect_eq "0 0" "$(result n) $(cat $BUS/devices/hp2/sriov_numvfs)" "3: sriov_numvfs 0 succeeds"
start n "$BUS/devices/hp2/sriov_numvfs" 2
ktap_test_result "3: sriov_numvfs 2 finishes while hot_unplug is held" wait_until 10 finished $n
wait $n
expect_eq "ENODEV 0" "$(result n) $(cat $BUS/devices/hp2/sriov_numvfs)" \
	"3: sriov_numvfs 2 on a PF being removed: ENODEV, no VFs"
expect_eq drvsim_sample "$(driver_of hp2)" "3: the PF is still bound in the window"
pause_release remove
wait $h
expect_eq 0 "$(result h)" "3: hot_unplug succeeds"
all_gone hp2 3

# 4. The other way: sriov_numvfs 0 held inside the driver's SR-IOV disable
#    (the last VF's removal) with the PF's device lock held; hot_unplug
#    waits for that lock.
pf_with_vfs hp3
pause_arm remove
start n "$BUS/devices/hp3/sriov_numvfs" 0
ktap_test_result "4: sriov_numvfs 0 is held in the SR-IOV disable" pause_wait_held remove 10
start h "$BUS/hot_unplug" hp3
ktap_test_result "4: hot_unplug waits for the PF's device lock" wait_until 10 blocked $h
pause_release remove
wait $n $h
expect_eq "0 0" "$(result n) $(result h)" "4: both writers finish and succeed"
all_gone hp3 4

# 5. sriov_numvfs 2 held in the SR-IOV enable, after the VFs are added and
#    before they are probed, with the PF's device lock held; hot_unplug
#    marks the PF and the new VFs gone, then waits for that lock. The
#    enable finishes (the VFs may fail to probe: their hardware is gone),
#    then hot_unplug removes the PF and the VFs.
printf 'hp4 totalvfs=2 regions=1' > "$BUS/new_device"
pause_arm sriov_enable
start n "$BUS/devices/hp4/sriov_numvfs" 2
ktap_test_result "5: sriov_numvfs 2 is held in the SR-IOV enable" pause_wait_held sriov_enable 10
start h "$BUS/hot_unplug" hp4
ktap_test_result "5: hot_unplug waits for the PF's device lock" wait_until 10 blocked $h
pause_release sriov_enable
wait $n $h
expect_eq "0 0" "$(result n) $(result h)" "5: both writers finish and succeed"
expect_eq "" "$(ls "$BUS/devices")" "5: the PF and its VFs are gone"
ktap_test_result "5: every device is released" wait_until 10 released

# 6. hot_unplug held in the kill_device() window (driver released, VFs
#    removed, before device_del()); sriov_numvfs and unbind find no
#    driver. The VFs are disabled first: each VF's own removal passes the
#    same point, and would be held there instead, inside the PF's.
pf_with_vfs hp5
printf 0 > "$BUS/devices/hp5/sriov_numvfs"
pause_arm kill_window
start h "$BUS/hot_unplug" hp5
ktap_test_result "6: hot_unplug of the PF is held before device_del()" pause_wait_held kill_window 10
expect_errno ENOENT "$BUS/devices/hp5/sriov_numvfs" 2 "6: sriov_numvfs 2 after the driver's release: ENOENT"
expect_errno ENODEV "$S/unbind" hp5 "6: unbind after the driver's release: ENODEV"
pause_release kill_window
wait $h
expect_eq 0 "$(result h)" "6: hot_unplug succeeds"
all_gone hp5 6
ktap_finished
