#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# SR-IOV attributes with PCI's semantics and errnos (Documentation/sysfs.rst).
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 31
reset_bus
P=$BUS/devices/pf0
printf 'pf0 totalvfs=4' > "$BUS/new_device"
printf 'plain' > "$BUS/new_device"

ktap_test_result "a PF has the sriov attributes" test -e "$P/sriov_totalvfs" -a -e "$P/sriov_numvfs" -a -e "$P/sriov_drivers_autoprobe"
ktap_test_result "a device without totalvfs has none" test ! -e "$BUS/devices/plain/sriov_numvfs"
expect_eq "4 0 1" "$(cat "$P/sriov_totalvfs" "$P/sriov_numvfs" "$P/sriov_drivers_autoprobe" | tr '\n' ' ' | sed 's/ $//')" "totalvfs, numvfs and autoprobe read 4 0 1"
expect_errno 0 "$P/sriov_numvfs" 3 "enable 3 VFs"
expect_eq 3 "$(cat "$P/sriov_numvfs")" "sriov_numvfs reads 3"
expect_eq "pf0-vf0 pf0-vf1 pf0-vf2" "$(cd "$BUS/devices" && echo pf0-vf*)" "VFs are named <pf>-vf<i>"
expect_eq "sample-vf drvsim_sample" "$(cat "$BUS/devices/pf0-vf1/type") $(driver_of pf0-vf1)" "VFs are of type <pf type>-vf and probed"
expect_eq "../pf0-vf2" "$(readlink "$P/virtfn2")" "virtfn<i> links to the VF"
expect_eq "../pf0" "$(readlink "$BUS/devices/pf0-vf0/physfn")" "physfn links back to the PF"
expect_errno 0 "$P/sriov_numvfs" 3 "writing the current count is a no-op"
expect_errno EBUSY "$P/sriov_numvfs" 2 "non-zero to another non-zero count: EBUSY"
expect_errno ERANGE "$P/sriov_numvfs" 5 "more than sriov_totalvfs: ERANGE"
expect_errno EINVAL "$P/sriov_numvfs" abc "non-number: EINVAL"
expect_errno EINVAL "$P/sriov_numvfs" -1 "negative: EINVAL"
expect_errno ERANGE "$P/sriov_numvfs" 65536 "beyond u16: ERANGE"
expect_errno 0 "$P/sriov_numvfs" 0 "0 disables"
ktap_test_result "disabling removes VFs and links" test ! -e "$BUS/devices/pf0-vf0" -a ! -e "$P/virtfn0"
expect_errno EINVAL "$P/sriov_drivers_autoprobe" maybe "autoprobe non-boolean: EINVAL"
expect_errno 0 "$P/sriov_drivers_autoprobe" 0 "autoprobe off"
expect_errno 0 "$P/sriov_numvfs" 0x2 "enable 2 VFs (kstrtou16 syntax)"
expect_eq none "$(driver_of pf0-vf0)" "with autoprobe off, VFs are not probed"
printf pf0-vf0 > "$BUS/drivers_probe"
expect_eq none "$(driver_of pf0-vf0)" "nor bound by drivers_probe"
printf drvsim_sample > "$BUS/devices/pf0-vf0/driver_override"
printf pf0-vf0 > "$BUS/drivers_probe"
expect_eq drvsim_sample "$(driver_of pf0-vf0)" "but bound through driver_override"
printf 1 > "$P/sriov_drivers_autoprobe"
printf pf0 > "$BUS/drivers/drvsim_sample/unbind"
ktap_test_result "unbinding the PF driver disables SR-IOV" test ! -e "$BUS/devices/pf0-vf1" -a "$(cat "$P/sriov_numvfs")" = 0
expect_errno ENOENT "$P/sriov_numvfs" 1 "no driver bound: ENOENT"
printf drvsim_faulty > "$P/driver_override"
printf pf0 > "$BUS/drivers_probe"
expect_errno ENOENT "$P/sriov_numvfs" 1 "driver without sriov_configure: ENOENT"
printf '\n' > "$P/driver_override"
printf pf0 > "$BUS/drivers/drvsim_faulty/unbind"
printf pf0 > "$BUS/drivers_probe"
printf 2 > "$P/sriov_numvfs"
expect_errno 0 "$BUS/hot_unplug" pf0-vf1 "hot_unplug of a VF"
ktap_test_result "the VF and its virtfn link are gone" test ! -e "$BUS/devices/pf0-vf1" -a ! -e "$P/virtfn1" -a -e "$P/virtfn0"
expect_errno 0 "$BUS/hot_unplug" pf0 "hot_unplug of a PF with VFs"
expect_eq "plain" "$(cd "$BUS/devices" && echo *)" "the PF and its VFs are gone"
expect_errno ENOENT "$BUS/hot_unplug" pf0 "hot_unplug of an unknown device: ENOENT"
reset_bus
ktap_finished
