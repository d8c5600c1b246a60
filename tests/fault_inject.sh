#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (failure-path sweeps, one writer at a time)
# Failure paths, with every failure point injected in turn:
# - driver registration, failed after each of its steps by drvsim's knob
#   (/sys/kernel/debug/drvsim/fail_register_step), with new_id written
#   before the failure wherever it exists;
# - device creation (new_device), probe (bind), VF creation (sriov_numvfs)
#   and new_id, failing their Nth allocation for N = 1, 2, ... until the
#   operation no longer reaches an Nth (the kernel's systematic fault
#   injection, /proc/thread-self/fail-nth): drvsim's own allocations
#   through fail_function, then every slab allocation through failslab.
# Each failure must reach the writer as ENOMEM and leave the bus holding
# exactly the devices, drivers and bindings it held before; the kmemleak
# scan at the end of the run covers what the failures freed.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 31
reset_bus
S=$BUS/drivers/drvsim_sample
K=/sys/kernel/debug/drvsim
FS=/sys/kernel/debug/failslab

# Devices, drivers, bindings, VF counts.
snapshot() {
	ls "$BUS/devices" "$BUS"/drivers/* /sys/devices/drvsim
}

# 1. Registration. drvsim_sample binds s0; o0 is of a type new_id adds.
printf 's0' > "$BUS/new_device"
printf 'o0 type=other' > "$BUS/new_device"
rmmod drvsim_sample
before=$(snapshot)
echo 5000 > $K/fail_register_wait_ms
for step in 1 2 3 4 5; do
	echo $step > $K/fail_register_step
	$BIN/load-module $MODULES/drvsim_sample.ko > /tmp/load.out &
	p=$!
	w=none
	if [ $step -ge 3 ]; then
		wait_until 10 test -e "$S/new_id"
		w=$(errno_of "$S/new_id" other)
	fi
	wait $p
	echo 0 > $K/fail_register_step
	expect_eq ENOMEM "$(cat /tmp/load.out)" "registration failing after step $step: the loader gets ENOMEM (new_id: $w)"
	expect_eq "$before" "$(snapshot)" "after step $step's failure the bus is as it was"
done
echo 0 > $K/fail_register_wait_ms
insmod $MODULES/drvsim_sample.ko
expect_eq "drvsim_sample none" "$(driver_of s0) $(driver_of o0)" \
	"registration succeeds with the knob off, without the ids written meanwhile"
reset_bus

# A sample's init failing after a probe ran: drvsim_faulty's, after fx's
# probe registered the companion driver (probe_mode register_driver).
# The companion must go with the failed module, not stay on the bus with
# its name, ids and probe in the module's freed memory. drvsim without the
# suite's lockdep_device_class, which would report the registration from
# probe (Documentation/bugs.rst, row 3; tests/faulty_probe.sh does the same).
reload_drvsim
rmmod drvsim_faulty
echo 3 > $K/fail_register_step
echo 5000 > $K/fail_register_wait_ms
$BIN/load-module $MODULES/drvsim_faulty.ko > /tmp/load.out &
p=$!
# Once the loader sleeps in the injected failure's wait, drvsim_faulty's
# failure is decided; with the knob off, the companion's registration
# from the probe succeeds.
wait_until 60 in_kernel $p msleep
echo 0 > $K/fail_register_step
printf 'fx register_driver' > "$FAULTY/probe_mode"
printf 'fx type=faulty' > "$BUS/new_device"
during="$(driver_of fx) $(ls -d "$BUS/drivers/drvsim_faulty_child" 2> /dev/null | wc -l)"
# A dynamic id ends the injected failure's wait.
printf 'unused' > "$FAULTY/new_id"
wait $p
echo 0 > $K/fail_register_wait_ms
expect_eq "ENOMEM drvsim_faulty 1" "$(cat /tmp/load.out) $during" \
	"drvsim_faulty's init failing after a probe registered its companion: ENOMEM"
expect_eq "none 0" "$(driver_of fx) $(ls -d "$BUS/drivers/drvsim_faulty_child" 2> /dev/null | wc -l)" \
	"the failed init leaves no companion driver on the bus"
insmod $MODULES/drvsim_faulty.ko
reset_bus
reload_drvsim $DRVSIM_PARAMS

# fail_each DESC FILE VALUE UNDO_FILE UNDO_VALUE: one test case.
fail_each() {
	local desc=$1 r
	shift
	r=$($BIN/fail-each "$@")
	echo "$r" | while read -r l; do ktap_print_msg "$desc: $l"; done
	# "points P failed F succeeded S bad B"
	set -- $(echo "$r" | tail -1)
	ok=no
	[ "$1 $7 $8" = "points bad 0" ] && [ "$4" -gt 0 ] && ok=yes
	expect_eq yes $ok "$desc: each of its $2 failure points: ENOMEM or no effect"
}

printf 'fp0' > "$BUS/new_device"
printf 'fp0' > "$S/unbind"
printf 'fv0 totalvfs=2' > "$BUS/new_device"
N=$BUS/devices/fv0/sriov_numvfs

# 2. drvsim's own allocations: fail_function makes the hook drvsim calls
#    before each of them fail. Deterministic: failslab counts nothing
#    (cache-filter with no cache selected), so fail-nth counts only the
#    hook's calls.
FF=/sys/kernel/debug/fail_function
echo Y > $FS/cache-filter
echo drvsim_should_fail_alloc > $FF/inject
printf '%#lx' -12 > $FF/drvsim_should_fail_alloc/retval
echo 0 > $FF/verbose
fail_each "device creation, drvsim's allocations" "$BUS/new_device" "fi0 regions=2" "$BUS/del_device" fi0
fail_each "probe, drvsim's allocation" "$S/bind" fp0 "$S/unbind" fp0
fail_each "VF creation, drvsim's allocations" "$N" 2 "$N" 0
fail_each "new_id, drvsim's allocation" "$FAULTY/new_id" unused "$FAULTY/remove_id" unused
# fail-each itself: a bus whose snapshot is well past 64 KiB (500 unbound
# VFs of a PF with a long name), and an unbind (which reaches no failure
# point) of the device that sorts last, with an undo that undoes nothing.
# The change comes after the first 64 KiB of the snapshot and must be
# reported: the tool once kept 64 KiB of it and dropped the rest silently.
pf=fs0123456789abcdefghijkl
printf '%s totalvfs=500' $pf > "$BUS/new_device"
echo 0 > "$BUS/devices/$pf/sriov_drivers_autoprobe"
echo 500 > "$BUS/devices/$pf/sriov_numvfs"
printf zz0 > "$BUS/new_device"
r=$($BIN/fail-each "$S/unbind" zz0 "$BUS/drivers_autoprobe" 1)
expect_eq "bad 1 changed" "$(echo "$r" | tail -1 | cut -d' ' -f7-8) $(echo "$r" | grep -c 'the bus changed' | sed 's/^1$/changed/')" \
	"fail-each reports a change past 64 KiB of its snapshot"
printf $pf > "$BUS/del_device"
printf zz0 > "$BUS/del_device"
echo > $FF/inject
echo N > $FS/cache-filter

# 3. Every slab allocation, the driver core's included: failslab. Best
#    effort: SLUB's per-CPU sheaves allocate on their own schedule, which
#    shifts the count, so a run may miss an allocation or two.
echo N > $FS/ignore-gfp-wait
echo 0 > $FS/verbose
echo 0 > $FS/probability
fail_each "device creation, every slab allocation" "$BUS/new_device" "fi0 regions=2" "$BUS/del_device" fi0
fail_each "probe, every slab allocation" "$S/bind" fp0 "$S/unbind" fp0
# VF creation's slab allocations are device creation's (device_add() of
# each VF), swept above; drvsim's own VF allocations are swept in 2.
echo Y > $FS/ignore-gfp-wait

expect_eq "0 none fp0 fv0" "$(cat "$N") $(driver_of fp0) $(ls "$BUS/devices" | tr '\n' ' ' | sed 's/ $//')" \
	"afterwards: no VF, fp0 unbound, nothing else"
expect_errno 0 "$N" 2 "the PF enables VFs"
expect_eq "drvsim_sample drvsim_sample" "$(driver_of fv0-vf0) $(driver_of fv0-vf1)" "the VFs bind"
reset_bus

# 4. Removals (the hardening issue's third defect). A removal allocates
#    nothing (Documentation/sysfs.rst, del_device), so no injected
#    failure may fail one half-way, on any path: del_device, remove and
#    hot_unplug of a PF with bound VFs, and SR-IOV disable. drvsim is
#    loaded afresh first, and failslab goes first: before the fix, a PF's
#    removal reserved its VFs' names in a set that had never held two
#    names, so it grew (an allocation), and the failure of that
#    allocation left a VF bound and listed nowhere.
# removal_sweep DESC FAILING FILE VALUE UNDO_FILE UNDO_VALUE...: one test
#    case. FAILING lists the points allowed to fail the write: with
#    failslab "1", the first slab allocation, kernfs's copy of the written
#    bytes, before drvsim runs; with drvsim's hook, none.
removal_sweep() {
	local desc=$1 want=$2 r
	shift 2
	r=$(FAIL_EACH_VERBOSE=1 $BIN/fail-each "$@")
	echo "$r" | grep -E -v '^point [0-9]+: (0|ENOMEM) \(injected [01]\)$' |
		while read -r l; do ktap_print_msg "$desc: $l"; done
	# "points P failed F succeeded S bad B"
	set -- $(echo "$r" | tail -1) \
		"$(echo "$r" | sed -n 's/^point \([0-9]*\): ENOMEM.*/\1/p' | tr '\n' ' ')"
	expect_eq "bad 0 failing: ${want:+$want }" "$7 $8 failing: $9" \
		"$desc: no failure point but the allowed ones ($want) fails it, and the bus is as before"
}
reload_drvsim $DRVSIM_PARAMS
printf 'rp0 totalvfs=2' > "$BUS/new_device"
PF=$BUS/devices/rp0
printf 2 > "$PF/sriov_numvfs"
# removals DESC FAILING: every removal path.
removals() {
	removal_sweep "del_device of a PF with VFs, $1" "$2" "$BUS/del_device" rp0 \
		"$BUS/new_device" "rp0 totalvfs=2" "$PF/sriov_numvfs" 2
	removal_sweep "remove of a PF with VFs, $1" "$2" "$PF/remove" 1 \
		"$BUS/new_device" "rp0 totalvfs=2" "$PF/sriov_numvfs" 2
	removal_sweep "hot_unplug of a PF with VFs, $1" "$2" "$BUS/hot_unplug" rp0 \
		"$BUS/new_device" "rp0 totalvfs=2" "$PF/sriov_numvfs" 2
	removal_sweep "SR-IOV disable, $1" "$2" "$PF/sriov_numvfs" 0 "$PF/sriov_numvfs" 2
}
echo N > $FS/ignore-gfp-wait
removals "every slab allocation" 1
echo Y > $FS/ignore-gfp-wait
echo Y > $FS/cache-filter
echo drvsim_should_fail_alloc > $FF/inject
printf '%#lx' -12 > $FF/drvsim_should_fail_alloc/retval
removals "drvsim's allocations" ""
echo > $FF/inject
echo N > $FS/cache-filter
reset_bus
ktap_finished
