#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What the designs of a line one device lends another cost
# (drvsim_line_provider, drvsim_line_consumer; Documentation/resources.rst,
# "Resources one device lends another"):
# 1. one use of the line from the consumer's file (a read), per design:
#    the time of a write "bench <U>" (U reads in the kernel) less that of
#    "bench 0", over U; best of 3;
# 2. the provider's unbind with N consumers bound, for the two designs
#    that survive it: link (the driver core unbinds the N consumers first)
#    and revocable (one revocation, whatever N); mean of R. (The bare
#    design's consumers would read freed memory at their next use, their
#    own unbind included: tests/controls/bare_supplier_pointer.sh.)
. /drvsim/lib/drvsim.sh
T=/drvsim/bin/timed-write
P=$BUS/drivers/drvsim_line_provider
DESIGN=/sys/module/drvsim_line_consumer/parameters/design
U=${BENCH_LINE_USES:-200000}
R=${BENCH_LINE_RUNS:-3}
reset_bus
insmod /drvsim/modules/drvsim_line_provider.ko
insmod /drvsim/modules/drvsim_line_consumer.ko
min() { sort -n | head -n 1; }
# use_ps DESIGN: the best of 3 per-use costs, in ps.
use_ps() {
	printf '%s' "$1" > "$DESIGN"
	printf 'p0 type=provider' > "$BUS/new_device"
	printf 'c0 type=consumer supplier=p0' > "$BUS/new_device"
	for i in 1 2 3; do
		echo $((($($T /dev/drvsim-line-c0 "bench $U") - $($T /dev/drvsim-line-c0 "bench 0")) * 1000 / U))
	done | min
	printf c0 > "$BUS/del_device"
	printf p0 > "$BUS/del_device"
}
# unbind_ns DESIGN N: the mean time of the provider's unbind with N
# consumers bound, in ns.
unbind_ns() {
	local i j s=0
	printf '%s' "$1" > "$DESIGN"
	for i in $(seq $R); do
		printf 'p0 type=provider' > "$BUS/new_device"
		for j in $(seq $2); do
			printf 'c%d type=consumer supplier=p0' $j > "$BUS/new_device"
		done
		s=$((s + $($T "$P/unbind" p0)))
		reset_bus
	done
	echo $((s / R))
}
ns() { printf '%d.%02d' $(($1 / 1000)) $(($1 / 10 % 100)); }
ms() { printf '%d.%02d' $(($1 / 1000000)) $(($1 / 10000 % 100)); }
echo "Cost of one use of the line (ns, best of 3 x $U reads; ratio: / bare)"
echo
echo "| design | ns | ratio |"
echo "|--------|---:|------:|"
b=$(use_ps bare)
for d in bare link revocable; do
	if [ $d = bare ]; then p=$b; else p=$(use_ps $d); fi
	r=$((p * 100 / (b > 0 ? b : 1)))
	printf '| %s | %s | %d.%02d |\n' $d "$(ns $p)" $((r / 100)) $((r % 100))
done
echo
echo "The provider's unbind with N consumers bound (ms, mean of $R)"
echo
echo "| N | link | revocable | link/revocable |"
echo "|--:|-----:|----------:|---------------:|"
for n in 1 64; do
	l=$(unbind_ns link $n)
	v=$(unbind_ns revocable $n)
	r=$((l * 100 / (v > 0 ? v : 1)))
	printf '| %d | %s | %s | %d.%02d |\n' $n "$(ms $l)" "$(ms $v)" $((r / 100)) $((r % 100))
done
reset_bus
rmmod drvsim_line_consumer
rmmod drvsim_line_provider
