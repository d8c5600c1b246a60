#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# Debian's driverctl, a real client of driver_override, against the bus.
# --nosave: the guest has no /etc/driverctl.d to persist overrides in.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 9
reset_bus
printf d0 > "$BUS/new_device"
printf 'd1 type=other' > "$BUS/new_device"
DC="driverctl -b drvsim --nosave"

expect_eq "d0 drvsim_sample
d1 (none)" "$($DC list-devices 2>&1)" "list-devices shows devices and their drivers"
ktap_test_result "set-override succeeds" $DC set-override d0 drvsim_faulty
expect_eq drvsim_faulty "$(driver_of d0)" "set-override rebinds to the override driver"
expect_eq drvsim_faulty "$(cat "$BUS/devices/d0/driver_override")" "set-override writes driver_override"
expect_eq "d0 drvsim_faulty" "$($DC list-overrides 2>&1)" "list-overrides shows the override"
ktap_test_result "set-override of a type the driver does not know" $DC set-override d1 drvsim_sample
expect_eq drvsim_sample "$(driver_of d1)" "the override binds regardless of type"
ktap_test_result "unset-override succeeds" $DC unset-override d0
expect_eq "(null) drvsim_sample" "$(cat "$BUS/devices/d0/driver_override") $(driver_of d0)" "unset-override clears and reprobes by type"
reset_bus
ktap_finished
