#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The workload of the SR-IOV AB-BA deadlock, repeated: `remove` on a PF
# with VFs while its driver is unbound (the driver disables SR-IOV in its
# unbind). With the default design: no hang, and the bus ends up empty; the
# suite's log scan shows lockdep (device locks validated) stays silent.
# tests/controls/legacy_rescan_remove_abba.sh is the other half.
. "$(dirname "$0")/lib/drvsim.sh"
ROUNDS=10
ktap_print_header
ktap_set_plan 2
reset_bus
ok=0
for r in $(seq $ROUNDS); do
	printf 'pf0 totalvfs=8' > "$BUS/new_device"
	printf 8 > "$BUS/devices/pf0/sriov_numvfs"
	printf 1 > "$BUS/devices/pf0/remove" &
	a=$!
	printf pf0 > "$BUS/drivers/drvsim_sample/unbind" 2>/dev/null &
	b=$!
	wait $a $b
	n=$(ls "$BUS/devices" | wc -l)
	[ "$n" = 0 ] && ok=$((ok + 1)) || ktap_print_msg "round $r: $n devices left: $(ls "$BUS/devices")"
	reset_bus
done
expect_eq $ROUNDS $ok "remove racing unbind leaves no device, $ROUNDS rounds"
no_pf_left() { ! ls -d /sys/devices/drvsim/pf0* > /dev/null 2>&1; }
ktap_test_result "no drvsim device left in /sys/devices/drvsim" no_pf_left
ktap_finished
