#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# new_id and remove_id, with PCI's semantics: a dynamic id binds at once,
# errnos for malformed, duplicate and unknown ids, and the ids belong to
# the registration (gone once the driver is unloaded and loaded again).
# See Documentation/sysfs.rst.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 22
reset_bus
S=$BUS/drivers/drvsim_sample
printf 'd0 type=other' > "$BUS/new_device"

ktap_test_result "every driver has new_id and remove_id" \
	test -e "$S/new_id" -a -e "$S/remove_id" -a -e "$FAULTY/new_id" -a -e "$FAULTY/remove_id"
expect_eq none "$(driver_of d0)" "a device of a type no driver has stays unbound"
expect_errno 0 "$S/new_id" "other" "new_id adds a type"
expect_eq drvsim_sample "$(driver_of d0)" "new_id binds the unbound devices of that type"
printf 'd1 type=other' > "$BUS/new_device"
expect_eq drvsim_sample "$(driver_of d1)" "a device added later binds through the dynamic id"
expect_errno EEXIST "$S/new_id" "other" "a type added already: EEXIST"
expect_errno EEXIST "$S/new_id" "sample" "a type of the static id table: EEXIST"
expect_errno EINVAL "$S/new_id" "Bad/Type" "malformed type: EINVAL"
expect_errno EINVAL "$S/new_id" "a b" "two types in one write: EINVAL"
expect_errno EINVAL "$S/new_id" "$(printf '%32s' | tr ' ' t)" "32-character type: EINVAL"
expect_errno EINVAL "$S/new_id" "
" "a lone newline: EINVAL"
expect_errno ENODEV "$S/remove_id" "nosuch" "remove_id of a type never added: ENODEV"
expect_errno ENODEV "$S/remove_id" "sample" "remove_id of a static type: ENODEV"
expect_errno EINVAL "$S/remove_id" "No/Such" "remove_id of a malformed type: EINVAL"
expect_errno 0 "$S/remove_id" "other" "remove_id removes a dynamic id"
expect_eq drvsim_sample "$(driver_of d0)" "remove_id leaves bound devices bound"
printf d0 > "$S/unbind"
expect_errno ENODEV "$S/bind" "d0" "bind after remove_id: ENODEV (no longer matches)"
printf 'd2 type=other' > "$BUS/new_device"
expect_eq none "$(driver_of d2)" "a device added after remove_id stays unbound"
expect_errno 0 "$FAULTY/new_id" "other" "another driver's new_id"
expect_eq "drvsim_faulty drvsim_sample drvsim_faulty" "$(driver_of d0) $(driver_of d1) $(driver_of d2)" \
	"it binds the unbound devices only"

# The ids belong to the registration: a reloaded driver has none.
rmmod drvsim_faulty
insmod $MODULES/drvsim_faulty.ko
printf d2 > "$BUS/drivers_probe" 2>/dev/null
expect_eq "none none" "$(driver_of d0) $(driver_of d2)" "reloaded, drvsim_faulty has no dynamic id left"
expect_errno ENODEV "$FAULTY/remove_id" "other" "reloaded, remove_id of the old id: ENODEV"
reset_bus
ktap_finished
