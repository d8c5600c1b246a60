#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# The drvsim bus in sysfs: bus attributes, device attributes and their
# errnos, binding of the sample driver. See Documentation/sysfs.rst.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 44
reset_bus

ktap_test_result "bus is registered" test -d "$BUS" -a -e "$BUS/new_device" -a -e "$BUS/del_device" -a -e "$BUS/rescan"
expect_errno 0 "$BUS/new_device" "dev0" "new_device creates a device"
ktap_test_result "device appears under devices/" test -d "$BUS/devices/dev0"
ktap_test_result "devices live under /sys/devices/drvsim" test -d /sys/devices/drvsim/dev0
expect_errno 0 "$BUS/new_device" "platform" "a name that /sys/devices already has is fine"
printf platform > "$BUS/del_device"
# The root device's own entries (uevent; power with CONFIG_PM) are not
# device names: each gets EEXIST.
refused=""
for e in /sys/devices/drvsim/*; do
	e=${e##*/}
	[ -e "$BUS/devices/$e" ] || refused="$refused $e:$(errno_of "$BUS/new_device" "$e")"
done
expect_eq "uevent:EEXIST" "$(echo "$refused" | grep -o 'uevent:[A-Z0-9]*')" "the root directory's uevent: EEXIST"
expect_eq "" "$(echo "$refused" | tr ' ' '\n' | grep -v ':EEXIST$' | grep .)" "every entry of the root directory: EEXIST"
expect_eq 0 "$(dmesg | grep -c 'cannot create duplicate filename')" "no name makes device_add() dump a stack"
expect_eq sample "$(cat "$BUS/devices/dev0/type" 2>&1)" "type defaults to sample"
expect_eq drvsim:sample "$(cat "$BUS/devices/dev0/modalias" 2>&1)" "modalias is drvsim:<type>"
expect_eq drvsim_sample "$(driver_of dev0)" "sample driver binds a sample device"
expect_errno EEXIST "$BUS/new_device" "dev0" "duplicate name: EEXIST"
expect_errno EINVAL "$BUS/new_device" "Bad_Name" "malformed name: EINVAL"
expect_errno EINVAL "$BUS/new_device" "dev1 color=red" "unknown option: EINVAL"
expect_errno EINVAL "$BUS/new_device" "dev1 totalvfs=x" "non-numeric totalvfs: EINVAL"
expect_errno 0 "$BUS/new_device" "dev2 type=other totalvfs=2 regions=3" "new_device with every option"
expect_eq "other none" "$(cat "$BUS/devices/dev2/type") $(driver_of dev2)" "no driver for an unknown type"
expect_errno ENOENT "$BUS/del_device" "nosuch" "del_device of an unknown name: ENOENT"
expect_errno EINVAL "$BUS/del_device" "No/Such" "del_device of a malformed name: EINVAL"
expect_errno EINVAL "$BUS/hot_unplug" "No/Such" "hot_unplug of a malformed name: EINVAL"
expect_errno ENODEV "$BUS/drivers_probe" "nosuch" "drivers_probe of an unknown device: ENODEV"
expect_errno 0 "$BUS/del_device" "dev2" "del_device removes a device"
ktap_test_result "deleted device is gone" test ! -e "$BUS/devices/dev2"
expect_errno 0 "$BUS/new_device" "$(printf '%31s' | tr ' ' n)" "31-character name is accepted"
expect_errno EINVAL "$BUS/new_device" "$(printf '%32s' | tr ' ' n)" "32-character name: EINVAL"
expect_errno EINVAL "$BUS/new_device" ".." "name '..': EINVAL"
expect_eq "MODALIAS=drvsim:sample" "$(grep MODALIAS "$BUS/devices/dev0/uevent")" "uevent carries MODALIAS"
expect_errno EINVAL "$BUS/rescan" "x" "rescan with a non-number: EINVAL"
expect_errno 0 "$BUS/rescan" "0" "rescan 0 does nothing"
expect_errno EINVAL "$BUS/rescan" "18446744073709551616" "rescan with a number beyond 64 bits: EINVAL"
expect_errno EINVAL "$BUS/rescan" "1 2" "rescan with two numbers: EINVAL"
printf dev0 > "$BUS/drivers/drvsim_sample/unbind"
expect_eq none "$(driver_of dev0)" "unbind leaves the device unbound"
expect_errno 0 "$BUS/rescan" "1" "rescan 1 succeeds"
expect_eq drvsim_sample "$(driver_of dev0)" "rescan re-probes an unbound device"
expect_errno EINVAL "$BUS/devices/dev0/remove" "0" "remove with anything but 1: EINVAL"
expect_errno 0 "$BUS/devices/dev0/remove" "1" "remove attribute removes the device"
ktap_test_result "removed device is gone" test ! -e "$BUS/devices/dev0"

# The second bus, drvsim1 (sysfs.rst): the same attributes, its own
# devices and drivers, the names shared.
ktap_test_result "drvsim1 is registered with the same bus attributes" \
	test -e "$BUS1/new_device" -a -e "$BUS1/del_device" -a -e "$BUS1/rescan" -a -e "$BUS1/hot_unplug" -a -e "$BUS1/link"
expect_errno 0 "$BUS1/new_device" "one0 regions=1" "new_device on drvsim1"
ktap_test_result "the device is on drvsim1, under the shared root" \
	test -d "$BUS1/devices/one0" -a ! -e "$BUS/devices/one0" -a -d /sys/devices/drvsim/one0
expect_eq none "$(driver_of one0)" "drvsim's sample driver does not bind a drvsim1 device"
expect_errno EEXIST "$BUS/new_device" "one0" "its name is taken on drvsim too: EEXIST"
expect_errno ENOENT "$BUS/del_device" "one0" "del_device on the other bus: ENOENT"
expect_errno 0 "$BUS1/del_device" "one0" "del_device on drvsim1 removes it"
ktap_finished
