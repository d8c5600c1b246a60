#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Time to enable and to disable N VFs through sriov_numvfs, with VF probing
# on and off (sriov_drivers_autoprobe). Median of 3 runs each.
. /drvsim/lib/drvsim.sh
T=/drvsim/bin/timed-write
reset_bus
printf 'pf0 totalvfs=256' > "$BUS/new_device"
P=$BUS/devices/pf0
median3() { sort -n | sed -n 2p; }
echo "SR-IOV: time to enable / disable N VFs (ms, median of 3)"
echo
echo "| VFs | probe | enable ms | disable ms | enable us/VF | disable us/VF |"
echo "|----:|:-----:|----------:|-----------:|-------------:|--------------:|"
for probe in 1 0; do
	printf $probe > "$P/sriov_drivers_autoprobe"
	for n in 1 8 64 256; do
		en=$(for i in 1 2 3; do $T "$P/sriov_numvfs" $n; $T "$P/sriov_numvfs" 0 > /tmp/dis.$i; done | median3)
		dis=$(cat /tmp/dis.1 /tmp/dis.2 /tmp/dis.3 | median3)
		printf '| %d | %s | %d.%03d | %d.%03d | %d | %d |\n' $n "$([ $probe = 1 ] && echo on || echo off)" \
			$((en / 1000000)) $((en / 1000 % 1000)) $((dis / 1000000)) $((dis / 1000 % 1000)) \
			$((en / n / 1000)) $((dis / n / 1000))
	done
done
reset_bus
