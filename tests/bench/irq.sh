#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What a simulated interrupt and the stops at unbind cost (drvsim_irq,
# Documentation/drvsim.rst, "Interrupts, work and timers across unbind"):
# 1. one fire_irq raise, irq_sim's irq_work and, on a requested line, the
#    handler (a burst of N, per interrupt), against a masked line (no
#    driver: the raise is dropped);
# 2. unbind latency of a drvsim_irq device (free_irq(), hrtimer_cancel(),
#    cancel_delayed_work_sync() as its driver data is dropped) against a
#    drvsim_faulty device, whose unbind stops nothing (mean of R).
. /drvsim/lib/drvsim.sh
T=/drvsim/bin/timed-write
R=${BENCH_UNBIND_RUNS:-8}
N=${BENCH_IRQ_BURST:-20000}
reset_bus
insmod /drvsim/modules/drvsim_irq.ko
printf 'i0 type=irq' > "$BUS/new_device"
printf 'f0 type=faulty' > "$BUS/new_device"
h=$($T "$BUS/devices/i0/fire_irq" $N)
m=$($T "$BUS/devices/f0/fire_irq" $N)
echo "One interrupt through irq_sim (ns, burst of $N)"
echo
echo "| line | ns per raise |"
echo "|------|-------------:|"
printf '| requested (drvsim_irq handler) | %d |\n' $((h / N))
printf '| masked (no handler; dropped) | %d |\n' $((m / N))
echo
# unbind_ns DEV DRIVER: mean time of R unbinds of DEV from DRIVER, in ns.
unbind_ns() {
	local i s=0
	for i in $(seq $R); do
		s=$((s + $($T "$BUS/drivers/$2/unbind" "$1")))
		printf '%s' "$1" > "$BUS/drivers/$2/bind"
	done
	echo $((s / R))
}
us() { printf '%d.%03d' $(($1 / 1000000)) $(($1 / 1000 % 1000)); }
i=$(unbind_ns i0 drvsim_irq)
f=$(unbind_ns f0 drvsim_faulty)
echo "Unbind latency (ms, mean of $R)"
echo
echo "| device | ms |"
echo "|--------|---:|"
printf '| drvsim_irq (free_irq, hrtimer_cancel, cancel_delayed_work_sync) | %s |\n' "$(us $i)"
printf '| drvsim_faulty (nothing to stop) | %s |\n' "$(us $f)"
reset_bus
rmmod drvsim_irq
