#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Time to enable and to disable N VFs through sriov_numvfs, with VF probing
# on and off (sriov_drivers_autoprobe). The guest clock ticks in jiffies
# (4 ms) under TCG, so each figure is the mean of enough runs (32 for one
# VF, at least 3) for that not to matter.
. /drvsim/lib/drvsim.sh
T=/drvsim/bin/timed-write
reset_bus
printf 'pf0 totalvfs=256' > "$BUS/new_device"
P=$BUS/devices/pf0
sum() { awk '{ s += $1 } END { print s }'; }
echo "SR-IOV: time to enable / disable N VFs (ms, mean of R runs)"
echo
echo "| VFs | probe | R | enable ms | disable ms | enable us/VF | disable us/VF |"
echo "|----:|:-----:|--:|----------:|-----------:|-------------:|--------------:|"
for probe in 1 0; do
	printf $probe > "$P/sriov_drivers_autoprobe"
	for n in 1 8 64 256; do
		r=$((32 / n)); [ $r -ge 3 ] || r=3
		: > /tmp/dis
		en=$(for i in $(seq $r); do $T "$P/sriov_numvfs" $n; $T "$P/sriov_numvfs" 0 >> /tmp/dis; done | sum)
		en=$((en / r)) dis=$(($(sum < /tmp/dis) / r))
		printf '| %d | %s | %d | %d.%03d | %d.%03d | %d | %d |\n' $n "$([ $probe = 1 ] && echo on || echo off)" $r \
			$((en / 1000000)) $((en / 1000 % 1000)) $((dis / 1000000)) $((dis / 1000 % 1000)) \
			$((en / n / 1000)) $((dis / n / 1000))
	done
done
reset_bus
