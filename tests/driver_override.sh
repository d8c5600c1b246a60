#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# driver_override, bind, unbind and drivers_probe, with PCI's semantics.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 17
reset_bus
D=$BUS/devices/d0
printf d0 > "$BUS/new_device"

expect_eq "(null)" "$(cat "$D/driver_override")" "unset override reads (null)"
expect_errno 0 "$D/driver_override" "drvsim_faulty" "set an override"
expect_eq drvsim_faulty "$(cat "$D/driver_override")" "override reads back"
expect_eq drvsim_sample "$(driver_of d0)" "setting an override does not unbind"
expect_errno ENODEV "$BUS/drivers/drvsim_faulty/unbind" "d0" "unbind from a driver the device is not bound to: ENODEV"
expect_errno 0 "$BUS/drivers/drvsim_sample/unbind" "d0" "unbind"
expect_errno ENODEV "$BUS/drivers/drvsim_sample/bind" "d0" "bind to a driver the override excludes: ENODEV"
expect_errno 0 "$BUS/drivers_probe" "d0" "drivers_probe"
expect_eq drvsim_faulty "$(driver_of d0)" "drivers_probe binds the override driver, whatever the type"
expect_errno EBUSY "$BUS/drivers/drvsim_faulty/bind" "d0" "bind of a bound device: EBUSY"
expect_errno 0 "$D/driver_override" "
" "a lone newline clears"
expect_eq "(null)" "$(cat "$D/driver_override")" "cleared override reads (null)"
printf drvsim_faulty > "$D/driver_override"
# An empty C string, as Python's write('\0') sends (a zero-length write
# never reaches a sysfs store at all).
printf '\0' > "$D/driver_override"
expect_eq "(null)" "$(cat "$D/driver_override")" "an empty string (a lone NUL) clears"
expect_errno EINVAL "$D/driver_override" "$(printf '%4095s' | tr ' ' x)" "over-long override: EINVAL"
printf d0 > "$BUS/drivers/drvsim_faulty/unbind"
expect_errno 0 "$BUS/drivers/drvsim_sample/bind" "d0" "bind to a matching driver"
expect_eq drvsim_sample "$(driver_of d0)" "bind binds"
expect_errno ENODEV "$BUS/drivers/drvsim_sample/bind" "nosuch" "bind of an unknown device: ENODEV"
reset_bus
ktap_finished
