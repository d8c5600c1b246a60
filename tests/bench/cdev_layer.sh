#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The cdev layer (rust/cdev_layer.rs, drvsim_cdev) against drvsim_sample's
# per-driver revocables (a DevresSet for its reads, an SrcuRevocable with a
# 10 ms polled flag for its sleepers), Documentation/resources.rst "The
# cdev layer":
# 1. the cost of one file operation, from user space: a non-blocking
#    read(2) through the layer (enter, check, leave: EAGAIN) and a 4-byte
#    read(2) through the sample's DevresSet try_access, against a read(2)
#    of /dev/zero (the system call alone); mean of N calls, best of 3;
# 2. unbind latency with 0, 1 and 64 sleepers: readers asleep for data in
#    the layer, DRVSIM_IOC_HOLD sleepers in the sample (mean of R unbinds).
. /drvsim/lib/drvsim.sh
T=$BIN/timed-write
C=$BIN/cdevfile
N=${BENCH_CALLS:-20000}
R=${BENCH_UNBIND_RUNS:-3}
reset_bus
loaded drvsim_cdev || insmod /drvsim/modules/drvsim_cdev.ko
# best FILE: the best of 3 means of N calls on FILE, in ns.
best() {
	local i v b=
	for i in 1 2 3; do
		v=$($C calls "$1" "$N")
		[ -n "$b" ] && [ "$b" -le "$v" ] || b=$v
	done
	echo "$b"
}
printf 'c0 type=cdev' > "$BUS/new_device"
printf 's0 type=sample regions=1' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-cdev-c0
wait_until 5 test -c /dev/drvsim-s0
z=$(best /dev/zero)
l=$(best /dev/drvsim-cdev-c0)
s=$(best /dev/drvsim-s0)
echo "Cost of one read(2) (ns, mean of $N calls, best of 3)"
echo
echo "| path | per call | over the system call |"
echo "|------|---------:|---------------------:|"
printf '| /dev/zero (the system call) | %d | 0 |\n' "$z"
printf '| cdev layer (active section, EAGAIN) | %d | %d |\n' "$l" $((l - z))
printf '| drvsim_sample (SetDevres::try_access, 1 register) | %d | %d |\n' "$s" $((s - z))
reset_bus

# unbind_ns KIND K: mean unbind time with K sleepers, in ns.
unbind_ns() {
	local i j p ps t=0
	for i in $(seq $R); do
		if [ "$1" = cdev ]; then
			printf 'u0 type=cdev' > "$BUS/new_device"
			wait_until 5 test -c /dev/drvsim-cdev-u0
			if [ "$2" -gt 0 ]; then
				$C sleepers /dev/drvsim-cdev-u0 "$2" > /dev/null &
				p=$!
				wait_until 30 tasks_in $p "$2" '\[drvsim_cdev\]'
			fi
			t=$((t + $($T "$BUS/drivers/drvsim_cdev/unbind" u0)))
		else
			printf 'u0 type=sample regions=1' > "$BUS/new_device"
			wait_until 5 test -c /dev/drvsim-u0
			# Held for up to 600 s: the unbind ends them (ENXIO).
			ps=
			for j in $(seq "$2"); do
				$BIN/regfile hold /dev/drvsim-u0 600000 > /dev/null 2>&1 &
				ps="$ps /proc/$!/stack"
			done
			[ -z "$ps" ] || wait_until 60 holders_in "$2" $ps
			t=$((t + $($T "$BUS/drivers/drvsim_sample/unbind" u0)))
		fi
		wait
		printf u0 > "$BUS/del_device"
	done
	echo $((t / R))
}
# holders_in N STACK...: are N of these tasks inside drvsim_sample (one
# grep: 64 forks per look would be slow under TCG)?
holders_in() {
	local n=$1
	shift
	[ "$(grep -l '\[drvsim_sample\]' "$@" 2>/dev/null | wc -l)" = "$n" ]
}
ms() { printf '%d.%02d' $(($1 / 1000000)) $(($1 / 10000 % 100)); }
echo
echo "Unbind latency with K sleepers (ms, mean of $R)"
echo
echo "| K | cdev layer (waitqueue) | drvsim_sample (SrcuRevocable, 10 ms poll) |"
echo "|--:|-----------------------:|------------------------------------------:|"
for k in 0 1 64; do
	printf '| %d | %s | %s |\n' $k "$(ms $(unbind_ns cdev $k))" "$(ms $(unbind_ns sample $k))"
done
reset_bus
rmmod drvsim_cdev
