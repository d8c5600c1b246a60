#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A line one device lends another (Documentation/resources.rst,
# "Resources one device lends another"): drvsim_line_consumer takes in
# probe the line of the device its new_device line names (supplier=),
# offered by drvsim_line_provider, and uses it from its file, its work
# item and its own unbind. Two designs survive the provider's unbind,
# hot_unplug and rmmod, and a provider that binds after its consumer:
# - revocable: the consumer stays bound and gets ENXIO;
# - link: a managed device link (autoprobe_consumer); the driver core
#   unbinds the consumer first, and binds it again when the provider
#   comes back.
# The log scan shows KASAN silent; the broken design (a bare pointer) is
# tests/controls/bare_supplier_pointer.sh.
# kcsan: skip (one writer at a time; the races are the driver core's
# unbind order, which KASAN checks)
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 41
reset_bus
P=$BUS/drivers/drvsim_line_provider
C=$BUS/drivers/drvsim_line_consumer
DL=/sys/class/devlink
DESIGN=/sys/module/drvsim_line_consumer/parameters/design
# The provider's register after its probe (0x11e).
RESET=286
insmod "$MODULES/drvsim_line_provider.ko"
insmod "$MODULES/drvsim_line_consumer.ko"
# status SUPPLIER CONSUMER: the link's status, or "none" without a link.
status() { cat "$DL/drvsim:$1--drvsim:$2/status" 2>/dev/null || echo none; }
line() { echo "/dev/drvsim-line-$1"; }
# pair P C: a provider P and a consumer C of its line.
pair() {
	printf '%s type=provider' "$1" > "$BUS/new_device"
	printf '%s type=consumer supplier=%s' "$2" "$1" > "$BUS/new_device"
}

# 1. The syntax's errnos (Documentation/sysfs.rst, new_device).
expect_errno EINVAL "$BUS/new_device" "c0 type=consumer supplier=c0" "a device its own supplier: EINVAL"
expect_errno EINVAL "$BUS/new_device" "c0 type=consumer supplier=P0" "a supplier that is no device name: EINVAL"
expect_errno EINVAL "$BUS/new_device" "c0 type=consumer supplier=p0 supplier=p1" "two suppliers: EINVAL"
expect_eq "" "$(ls $BUS/devices)" "a refused line adds no device"

# 2. revocable (the default): the consumer stays bound, every use ENXIO.
expect_eq revocable "$(cat $DESIGN)" "the default design is revocable"
pair p0 c0
expect_eq "drvsim_line_consumer $RESET" "$(driver_of c0) $(read_of "$(line c0)")" \
	"revocable: the consumer binds and reads its supplier's line"
expect_errno 0 "$(line c0)" 7 "revocable: its work item writes the line"
expect_eq 7 "$(read_of "$(line c0)")" "revocable: and the file reads it back"
printf p0 > "$P/unbind"
expect_eq "drvsim_line_consumer ENXIO" "$(driver_of c0) $(read_of "$(line c0)")" \
	"revocable, provider unbound: the consumer stays bound, its file gets ENXIO"
expect_errno ENXIO "$(line c0)" 1 "revocable, provider unbound: its work item gets ENXIO"
printf p0 > "$P/bind"
expect_eq ENXIO "$(read_of "$(line c0)")" "a provider bound again does not revive a revoked line"
printf c0 > "$C/unbind"
printf c0 > "$C/bind"
expect_eq "$RESET" "$(read_of "$(line c0)")" "the consumer's next binding takes the new line"
pair p1 c1
printf p1 > "$BUS/hot_unplug"
expect_eq "drvsim_line_consumer ENXIO" "$(driver_of c1) $(read_of "$(line c1)")" \
	"revocable, provider hot-unplugged: the consumer stays bound, ENXIO"
expect_errno ENXIO "$(line c1)" 1 "revocable, provider hot-unplugged: its work item gets ENXIO"
rmmod drvsim_line_provider
expect_eq "drvsim_line_consumer ENXIO" "$(driver_of c0) $(read_of "$(line c0)")" \
	"revocable, provider module removed: the consumer stays bound, ENXIO"
expect_errno ENXIO "$(line c0)" 1 "revocable, provider module removed: its work item gets ENXIO"
printf c0 > "$BUS/del_device"
printf c1 > "$BUS/del_device"
expect_eq "" "$(ls $BUS/devices | grep c)" "revocable: the consumers unbind (their release of the line gets ENXIO)"
insmod "$MODULES/drvsim_line_provider.ko"
# Deferred probe: the supplier does not exist yet, then has no driver.
printf 'c2 type=consumer supplier=p2' > "$BUS/new_device"
expect_eq none "$(driver_of c2)" "revocable, no supplier yet: the consumer's probe defers"
printf 'p2 type=provider' > "$BUS/new_device"
ktap_test_result "revocable: the deferred-probe retry binds it once the provider binds" wait_until 10 bound c2
expect_eq "$RESET" "$(read_of "$(line c2)")" "revocable: and it reads the line"
reset_bus

# 3. link: the driver core unbinds the consumer first.
printf link > "$DESIGN"
pair p3 c3
expect_eq "drvsim_line_consumer $RESET active" "$(driver_of c3) $(read_of "$(line c3)") $(status p3 c3)" \
	"link: the consumer binds, its link to the supplier is active"
expect_eq "yes yes" \
	"$(test -L $BUS/devices/c3/supplier:drvsim:p3 && echo yes) $(test -L $BUS/devices/p3/consumer:drvsim:c3 && echo yes)" \
	"link: the devices' supplier: and consumer: links show it"
exec 3< "$(line c3)"
printf p3 > "$P/unbind"
expect_eq "none none dormant" "$(driver_of p3) $(driver_of c3) $(status p3 c3)" \
	"link, provider unbound: the consumer was unbound too, the link stays dormant"
expect_eq ENXIO "$(read_of_fd 3)" "link: a file open across the consumer's unbind gets ENXIO (its own revocable)"
# The provider logs its register when it withdraws the line: 0, the
# consumer's release from its unbind, shows that unbind ran first.
withdrawn() { dmesg | grep "drvsim_line_provider $1: .*line withdrawn" | tail -n 1 | sed 's/.*(value \(.*\))$/\1/'; }
expect_eq 0x0 "$(withdrawn p3)" "link: the consumer released the line before the provider's unbind withdrew it"
exec 3<&-
printf p3 > "$P/bind"
ktap_test_result "link: binding the provider again binds the consumer (autoprobe)" wait_until 10 bound c3
expect_eq "active $RESET" "$(status p3 c3) $(read_of "$(line c3)")" "link: active again, the consumer reads the line"
printf p3 > "$BUS/hot_unplug"
expect_eq "none none" "$(driver_of c3) $(status p3 c3)" \
	"link, provider hot-unplugged: the consumer was unbound, the link removed"
pair p4 c4
rmmod drvsim_line_provider
expect_eq "none dormant" "$(driver_of c4) $(status p4 c4)" \
	"link, provider module removed: the consumer was unbound, the link dormant"
insmod "$MODULES/drvsim_line_provider.ko"
ktap_test_result "link: loading the provider binds provider and consumer again" wait_until 10 bound c4
# Deferred probe, both ways: the consumer's own deferral (no supplier
# device: no link yet), then the managed link's (the driver core defers
# the consumer without calling its probe).
printf 'c5 type=consumer supplier=p5' > "$BUS/new_device"
expect_eq "none none" "$(driver_of c5) $(status p5 c5)" "link, no supplier device: the consumer defers, no link"
printf 'p5 type=provider' > "$BUS/new_device"
ktap_test_result "link: the deferred-probe retry binds it once the provider binds" wait_until 10 bound c5
expect_eq active "$(status p5 c5)" "link: its probe added the link then"
printf 'p6 type=provider' > "$BUS/new_device"
printf p6 > "$P/unbind"
printf 'c6 type=consumer supplier=p6' > "$BUS/new_device"
expect_eq "none dormant" "$(driver_of c6) $(status p6 c6)" \
	"link, supplier without a driver: the consumer defers, leaving its link dormant"
expect_errno EAGAIN "$C/bind" c6 "link: a bind now is deferred by the driver core (EAGAIN)"
printf p6 > "$P/bind"
ktap_test_result "link: binding the provider probes the consumer (the link's autoprobe)" wait_until 10 bound c6
expect_eq active "$(status p6 c6)" "link: active"

# 4. The designs are per binding: a consumer keeps the one it probed with.
printf revocable > "$DESIGN"
expect_errno EINVAL "$DESIGN" "pointer" "an unknown design: EINVAL"
printf p6 > "$P/unbind"
expect_eq "none none" "$(driver_of c6) $(driver_of p6)" "a link-design consumer still goes first after a change of design"

reset_bus
rmmod drvsim_line_consumer
rmmod drvsim_line_provider
expect_eq "" "$(ls $DL | grep drvsim)" "no link is left"
ktap_test_result "every device is released (debugfs live back to 1)" wait_until 10 released
ktap_finished
