#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What revocable device resources cost (drvsim_bench, rust/devres_set.rs):
# 1. unbind latency of a device holding N objects, one kernel Devres each,
#    one DevresSet, or N BoundRegion<'bound>s in the driver data (the
#    three resource models of Documentation/resources.rst), and the
#    Devres/DevresSet ratio (mean of R unbinds);
# 2. the cost of one access through each wrapper, alone and with a
#    concurrent reader on another CPU, measured in the kernel.
. /drvsim/lib/drvsim.sh
T=/drvsim/bin/timed-write
B=$BUS/drivers/drvsim_bench
R=${BENCH_UNBIND_RUNS:-5}
reset_bus
insmod /drvsim/modules/drvsim_bench.ko
# unbind_ns KIND N: mean unbind time of a device holding N objects, in ns
# (a bound device has N regions for them).
unbind_ns() {
	local i s=0 regions=0
	[ "$1" = bound ] && regions=$2
	for i in $(seq $R); do
		printf '%s %d' "$1" "$2" > "$B/config"
		printf 'b0 type=bench regions=%d' "$regions" > "$BUS/new_device"
		s=$((s + $($T "$B/unbind" b0)))
		printf b0 > "$BUS/del_device"
	done
	echo $((s / R))
}
ms() { printf '%d.%02d' $(($1 / 1000000)) $(($1 / 10000 % 100)); }
echo "Unbind latency with N objects held past the driver data (ms, mean of $R)"
echo
echo "| N | Devres each | DevresSet | 'bound (no revocation) | Devres/DevresSet |"
echo "|--:|------------:|----------:|-----------------------:|-----------------:|"
for n in 1 16 64 256; do
	d=$(unbind_ns devres $n)
	s=$(unbind_ns set $n)
	b=$(unbind_ns bound $n)
	r=$((d * 100 / (s > 0 ? s : 1)))
	printf '| %d | %s | %s | %s | %d.%02d |\n' $n "$(ms $d)" "$(ms $s)" "$(ms $b)" $((r / 100)) $((r % 100))
done
echo
echo "Cost of one access (ns, best of 5 windows of 40 ms; ratio: alone / raw pointer alone)"
echo
echo "| wrapper | alone | with a reader on another CPU | ratio |"
echo "|---------|------:|-----------------------------:|------:|"
echo access > "$B/config"
printf 'a0 type=bench' > "$BUS/new_device"
cat "$B/results"
reset_bus
rmmod drvsim_bench
