#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Concurrent writers for a bounded time: sriov_numvfs changes, PF driver
# unbind/bind, remove, rescan, new_device/del_device and hot_unplug. Then
# the topology must be consistent: every virtfn/physfn link resolves and
# points back, VF counts add up, nothing dangles; and everything can be
# deleted, leaving nothing behind. The suite's log scan covers lockdep,
# KASAN, kmemleak and hung tasks.
. "$(dirname "$0")/lib/drvsim.sh"
SECS=${STRESS_SECS:-12}
ktap_print_header
ktap_set_plan 5
reset_bus
end=$(($(cut -d. -f1 /proc/uptime) + SECS))
running() { [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; }
pick() { eval "echo \${$((RANDOM % $# + 1))}"; }
W=$BIN/sysfs-write

creator() { # new_device / del_device of PFs and plain devices
	while running; do
		d=$(pick p0 p1 p2 s0 s1)
		case $d in
		p*) $W "$BUS/new_device" "$d totalvfs=4" ;;
		*) $W "$BUS/new_device" "$d" ;;
		esac
		$W "$BUS/del_device" "$(pick p0 p1 p2 s0 s1 p0-vf1)"
	done
}
numvfs() {
	while running; do
		$W "$BUS/devices/$(pick p0 p1 p2)/sriov_numvfs" "$(pick 0 1 2 4)"
	done
}
binder() {
	while running; do
		d=$(pick p0 p1 p2 p0-vf0 s0)
		$W "$BUS/drivers/drvsim_sample/unbind" "$d"
		$W "$BUS/drivers/drvsim_sample/bind" "$d"
	done
}
remover() {
	while running; do
		$W "$BUS/devices/$(pick p0 p1 p2 s0 p1-vf0 p2-vf3)/remove" 1
		$W "$BUS/hot_unplug" "$(pick p0 p1 p2 s1 p0-vf2 p2-vf1)"
	done
}
rescanner() {
	while running; do
		$W "$BUS/rescan" 1
		sleep 0.2
	done
}
pids=
for w in creator creator numvfs binder remover rescanner; do
	$w > /dev/null &
	pids="$pids $!"
done
wait $pids
ktap_print_msg "writers stopped after ${SECS}s; devices: $(cd "$BUS/devices" && echo *)"

# Consistency of what is left.
bad=0
for d in "$BUS"/devices/*; do
	[ -e "$d" ] || continue
	n=${d##*/}
	if [ -L "$d/physfn" ]; then
		pf=$(readlink "$d/physfn"); pf=${pf##*/}
		i=${n##*-vf}
		[ "$(readlink "$BUS/devices/$pf/virtfn$i" 2>/dev/null)" = "../$n" ] ||
			{ ktap_print_msg "$n: PF $pf has no virtfn$i back"; bad=1; }
	fi
	for l in "$d"/virtfn*; do
		[ -L "$l" ] || continue
		vf=$(readlink "$l"); vf=${vf##*/}
		[ "$(readlink "$BUS/devices/$vf/physfn" 2>/dev/null)" = "../$n" ] ||
			{ ktap_print_msg "$n: ${l##*/} -> $vf does not point back"; bad=1; }
	done
done
expect_eq 0 $bad "every virtfn and physfn link resolves and points back"

bad=0
for p in "$BUS"/devices/p?; do
	[ -e "$p/sriov_numvfs" ] || continue
	links=$(ls -d "$p"/virtfn* 2>/dev/null | wc -l)
	num=$(cat "$p/sriov_numvfs")
	[ "$links" -le "$num" ] || { ktap_print_msg "${p##*/}: $links VFs, numvfs $num"; bad=1; }
	if [ ! -L "$p/driver" ] && [ "$num" != 0 ]; then
		ktap_print_msg "${p##*/}: unbound with numvfs $num"; bad=1
	fi
done
expect_eq 0 $bad "no PF has more VFs than sriov_numvfs, unbound PFs have none"

bad=0
for d in "$BUS"/devices/*-vf*; do
	[ -e "$d" ] || continue
	[ -L "$d/physfn" ] || { ktap_print_msg "${d##*/}: VF without physfn"; bad=1; }
done
expect_eq 0 $bad "every VF has its PF"

reset_bus
reset_bus
expect_eq "" "$(ls "$BUS/devices")" "everything can be deleted afterwards"
expect_eq "" "$(ls /sys/devices/drvsim | grep -v -e power -e uevent)" "nothing is left in /sys/devices/drvsim"
ktap_finished
