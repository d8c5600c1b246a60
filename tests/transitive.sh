#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# Drivers across the two buses (drvsim_transitive, Documentation/bugs.rst
# row 15): the transitive case of the locked-match thread.
# 1. Cristian Marussi's pattern, the default, with the suite's
#    lockdep_device_class=1: every driver registered at module init; the
#    parent (drvsim) defers until its child (drvsim1) is bound, then the
#    deferred probe binds it; unbind and rebind, with and without the
#    child. Lockdep, validating every device lock, stays silent.
# 2. The broken pattern (legacy_register_from_probe=1) on the lock-free
#    match, with drvsim reloaded without lockdep_device_class (whose
#    annotation models the locked match and reports this cycle:
#    controls/transitive_register_from_probe.sh): the parent's probe
#    registers the child driver, the child's probe the drvsim driver;
#    nothing deadlocks, and the parent's unbind and rebind take the
#    drivers down and bring them back, every device released.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 27
reset_bus
PA=$BUS/drivers/drvsim_transitive_a
CB=$BUS1/drivers/drvsim_transitive_b
RA=$BUS/drivers/drvsim_transitive_a2
# deferred DEV: is DEV on the driver core's deferred-probe list?
deferred() { awk -v d="$1" '$1 == d { f = 1 } END { exit !f }' /sys/kernel/debug/devices_deferred; }
# debug_locks drops to 0 once lockdep has reported anything.
lockdep_on() { grep -q 'debug_locks: *1' /proc/lockdep_stats; }

# 1. Cristian's pattern.
insmod $MODULES/drvsim_transitive.ko
ktap_test_result "drvsim1 is registered, with its own bus attributes" \
	test -e "$BUS1/new_device" -a -e "$BUS1/del_device" -a -e "$BUS1/rescan"
ktap_test_result "the three drivers are registered at init, the child's on drvsim1" \
	test -d "$PA" -a -d "$CB" -a -d "$RA"
printf 'ta0 type=transitive-a' > "$BUS/new_device"
expect_eq none "$(driver_of ta0)" "the parent defers while its child is missing"
ktap_test_result "it is on the deferred-probe list" deferred ta0
expect_errno EEXIST "$BUS1/new_device" "ta0" "names are shared by the buses: EEXIST"
printf 'ta0-b type=transitive-b' > "$BUS1/new_device"
expect_eq drvsim_transitive_b "$(driver_of ta0-b)" "the child binds on drvsim1"
ktap_test_result "its bind triggers the deferred probe, which binds the parent" wait_until 10 bound ta0
expect_errno ENOENT "$BUS/del_device" "ta0-b" "del_device of the other bus's device: ENOENT"
printf ta0 > "$PA/unbind"
expect_errno 0 "$PA/bind" ta0 "rebind of the parent with its child bound"
printf ta0-b > "$CB/unbind"
printf ta0 > "$PA/unbind"
# The probe's -EPROBE_DEFER reaches drivers_probe as a probe failure,
# which it ignores (a supplier's deferral, device_links.sh, is EINVAL).
expect_eq "0 none" "$(errno_of "$BUS/drivers_probe" ta0) $(driver_of ta0)" \
	"drivers_probe of the parent without its child: it defers, unbound"
ktap_test_result "the parent is on the deferred-probe list again" deferred ta0
printf ta0-b > "$CB/bind"
ktap_test_result "the child's rebind binds the parent" wait_until 10 bound ta0
ktap_test_result "lockdep, validating every device lock, reported nothing" lockdep_on
reset_bus
ktap_test_result "every device is released" wait_until 10 released
rmmod drvsim_transitive
ktap_test_result "the module's exit unregisters its drivers" test ! -e "$PA" -a ! -e "$CB" -a ! -e "$RA"

# 2. The broken pattern, on the lock-free match. drvsim's exit removes
#    the devices of both buses.
printf 'left0' > "$BUS1/new_device"
reload_drvsim
ktap_test_result "drvsim's unload removed the drvsim1 device left" test ! -e /sys/devices/drvsim/left0
insmod $MODULES/drvsim_transitive.ko legacy_register_from_probe=1
ktap_test_result "only the parent driver is registered at init" \
	test -d "$PA" -a ! -e "$CB" -a ! -e "$RA"
printf 'ta0-b type=transitive-b' > "$BUS1/new_device"
printf 'ta0 type=transitive-a' > "$BUS/new_device"
expect_eq "drvsim_transitive_a drvsim_transitive_b" "$(driver_of ta0) $(driver_of ta0-b)" \
	"the parent's probe registers the child driver, which binds the child"
ktap_test_result "the child, probed inside its parent's probe, registered nothing" test ! -e "$RA"
printf ta0-b > "$CB/unbind"
printf ta0-b > "$CB/bind"
ktap_test_result "the child's next probe registers drvsim_transitive_a2 on drvsim" test -d "$RA"
printf 'tr0 type=transitive-a2' > "$BUS/new_device"
expect_eq drvsim_transitive_a2 "$(driver_of tr0)" "which binds its devices"
printf ta0 > "$PA/unbind"
ktap_test_result "the parent's unbind unregisters the child driver and, with the child's unbind, drvsim_transitive_a2" \
	test ! -e "$CB" -a ! -e "$RA"
expect_eq "none none" "$(driver_of ta0-b) $(driver_of tr0)" "their devices are unbound"
expect_errno 0 "$PA/bind" ta0 "the parent binds again"
expect_eq drvsim_transitive_b "$(driver_of ta0-b)" "its probe brings the child driver back, which binds the child"
reset_bus
ktap_test_result "every device is released" wait_until 10 released
rmmod drvsim_transitive
ktap_test_result "the module's exit unregisters what the probes registered" test ! -e "$PA" -a ! -e "$CB"
reload_drvsim $DRVSIM_PARAMS
ktap_finished
