#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# SR-IOV attributes with PCI's semantics and errnos (Documentation/sysfs.rst).
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 42
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

# One limit, 31 characters, for every device name, VFs' included: a PF's
# name leaves room for <name>-vf<totalvfs - 1>, so that every VF can be
# named where a name is taken (del_device, hot_unplug, probe_mode).
L=$(printf '%26s' | tr ' ' l)
expect_errno EINVAL "$BUS/new_device" "$(printf '%25s' | tr ' ' l) totalvfs=1024" "PF name without room for <name>-vf1023: EINVAL"
expect_errno EINVAL "$BUS/new_device" "${L}l totalvfs=11" "PF name without room for <name>-vf10: EINVAL"
expect_errno 0 "$BUS/new_device" "$L totalvfs=11" "the longest PF name for 11 VFs"
printf 0 > "$BUS/devices/$L/sriov_drivers_autoprobe"
expect_errno 0 "$BUS/devices/$L/sriov_numvfs" 11 "enable 11 VFs, the last one named with 31 characters"
expect_errno 0 "$FAULTY/probe_mode" "$L-vf10 fail=5" "probe_mode takes the 31-character VF name"
printf '%s ok' "$L-vf10" > "$FAULTY/probe_mode"
expect_errno EINVAL "$FAULTY/probe_mode" "${L}l-vf10 fail=5" "probe_mode of a 32-character name: EINVAL"
expect_errno 0 "$BUS/del_device" "$L-vf10" "del_device of the 31-character VF name"
expect_errno EINVAL "$BUS/del_device" "${L}l-vf10" "del_device of a 32-character name: EINVAL"
expect_errno 0 "$BUS/hot_unplug" "$L-vf9" "hot_unplug of a 30-character VF name"
printf '%s' "$L" > "$BUS/del_device"
# new_device does not reserve VF names: enabling a VF whose name a device
# has taken fails with EEXIST, and enables nothing.
printf 'pf1 totalvfs=2' > "$BUS/new_device"
printf 'pf1-vf1' > "$BUS/new_device"
expect_errno EEXIST "$BUS/devices/pf1/sriov_numvfs" 2 "a VF name that new_device took: EEXIST"
expect_eq "0 none" "$(cat "$BUS/devices/pf1/sriov_numvfs") $(cd "$BUS/devices" && ls -d pf1-vf0 2>/dev/null || echo none)" "and no VF is left enabled"
reset_bus
ktap_finished
