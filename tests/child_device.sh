#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# A driver's child device with a character device (drvsim_child,
# Documentation/resources.rst, "A driver's child device"; bugs.rst row 20):
# the child is allocated apart from the driver data and counted by its own
# struct device, so a file held open across the parent's unbind keeps it
# (and the module) alive, reads ENODEV, and its close releases it. Then
# a rebind makes a new child, and the same through del_device. Its broken
# layout is controls/legacy_embedded_child.sh.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 19
reset_bus
D=$BUS/drivers/drvsim_child
# releases CHILD: how many times CHILD's release ran (its log line).
releases() { dmesg | grep -c "drvsim_child: $1 released$"; }
# refused MODULE: does rmmod of MODULE fail?
refused() { ! rmmod "$1" 2> /dev/null; }

insmod $MODULES/drvsim_child.ko
printf 'ch0 type=adapter' > "$BUS/new_device"
expect_eq drvsim_child "$(driver_of ch0)" "an adapter binds drvsim_child"
ktap_test_result "its child ch0-adapter is a child of ch0 in sysfs" \
	test -d "$BUS/devices/ch0/ch0-adapter"
ktap_test_result "with its character device /dev/ch0-adapter" test -c /dev/ch0-adapter
expect_eq "ch0-adapter ch0" "$(cat /dev/ch0-adapter)" "reading it gives the child and its parent"

# 1. A file held open across the unbind.
r0=$(releases ch0-adapter)
exec 3< /dev/ch0-adapter
expect_eq "ch0-adapter ch0" "$(read_of_fd 3)" "a file opened before the unbind reads"
printf ch0 > "$D/unbind"
ktap_test_result "the unbind deletes the child device" test ! -e "$BUS/devices/ch0/ch0-adapter"
ktap_test_result "and its node" test ! -e /dev/ch0-adapter
expect_eq ENODEV "$(read_of_fd 3)" "the open file reads ENODEV after the unbind"
expect_eq "$r0" "$(releases ch0-adapter)" "the open file still holds the child"
ktap_test_result "and the module (cdev owner): rmmod fails" refused drvsim_child
exec 3<&-
expect_eq $((r0 + 1)) "$(releases ch0-adapter)" "its close releases the child"

# 2. Rebind: a new child, then the parent's removal with a file open.
expect_errno 0 "$D/bind" ch0 "rebind"
expect_eq "ch0-adapter ch0" "$(cat /dev/ch0-adapter)" "the new child reads"
exec 3< /dev/ch0-adapter
expect_errno 0 "$BUS/del_device" ch0 "del_device of the parent with the child open"
ktap_test_result "the parent is released, the open child does not pin it" wait_until 10 released
expect_eq ENODEV "$(read_of_fd 3)" "the open file reads ENODEV after the removal"
exec 3<&-
expect_eq $((r0 + 2)) "$(releases ch0-adapter)" "its close releases the second child"

# 3. Nothing left: the module unloads.
printf 'ch1 type=adapter' > "$BUS/new_device"
expect_eq "ch1-adapter ch1" "$(cat /dev/ch1-adapter)" "a second adapter gets its own child"
reset_bus
rmmod drvsim_child
ktap_test_result "the module unloads once every child is gone" unloaded drvsim_child
ktap_finished
