#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# Soak: SOAK_CYCLES hot-plug cycles (new_device with regions, its probe,
# del_device), and every 500 cycles (every tenth of the run if that is
# less) a PF enabling and disabling 16 VFs.
# Slab usage must stay flat: it is measured a quarter of the way through
# and at the end, each time after shrinking every slab cache, which also
# empties KASAN's quarantine of them (kmem_cache_shrink()), so freed
# objects held there do not count. The guest's final kmemleak scan
# covers leaks. `make check` runs 200 cycles (a smoke test: the gate's
# budget; it took about a sixth of the suite's guest time at 400 cycles
# and 20 VF rounds), `make soak` 10,000.
. "$(dirname "$0")/lib/drvsim.sh"
CYCLES=${SOAK_CYCLES:-200}
ktap_print_header
ktap_set_plan 3
reset_bus
printf 'skpf totalvfs=16 regions=1' > "$BUS/new_device"
PF=$BUS/devices/skpf/sriov_numvfs

# Slab in use, in KiB, with the caches shrunk.
slab_kib() {
	for s in /sys/kernel/slab/*/shrink; do echo 1 > "$s"; done 2> /dev/null
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

# Probe and unbind messages to the serial console would set the pace
# under TCG: keep them in dmesg only. Warnings and worse (every splat)
# still reach the console.
level=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 5
failed=0 quarter=0
every=$((CYCLES / 10))
[ $every -gt 500 ] && every=500
[ $every -lt 1 ] && every=1
start=$(cut -d' ' -f1 /proc/uptime)
i=1
while [ $i -le "$CYCLES" ]; do
	printf 'sk0 regions=4' > "$BUS/new_device" || failed=$((failed + 1))
	[ -e "$BUS/devices/sk0/driver" ] || failed=$((failed + 1))
	printf sk0 > "$BUS/del_device" || failed=$((failed + 1))
	if [ $((i % every)) = 0 ]; then
		printf 16 > "$PF" || failed=$((failed + 1))
		printf 0 > "$PF" || failed=$((failed + 1))
	fi
	[ $i = $((CYCLES / 4)) ] && quarter=$(slab_kib)
	i=$((i + 1))
done
secs=$(awk -v s="$start" -v e="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", e - s }')
end=$(slab_kib)
dmesg -n "$level"
rate=$(awk -v n="$CYCLES" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
ktap_print_msg "soak: $CYCLES cycles in $secs s, $rate cycles/s; slab ${quarter} KiB at 1/4, ${end} KiB at the end"
expect_eq 0 "$failed" "$CYCLES hot-plug cycles, each created, probed and deleted"
# Flat: growth within 5 % or 1 MiB, whichever is more.
grow=$((end - quarter))
allow=$((quarter / 20))
[ $allow -lt 1024 ] && allow=1024
ktap_test_result "slab usage flat from 1/4 to the end (+$grow KiB, allowed $allow)" test "$grow" -le "$allow"
reset_bus
expect_eq "" "$(ls "$BUS/devices")" "nothing left on the bus"
ktap_finished
