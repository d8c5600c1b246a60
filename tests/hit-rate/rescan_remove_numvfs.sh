#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hit rate, row 2b: the same switches as row 2 (legacy_rescan_remove=1),
# but against the writer that takes the two locks in the other order in
# drvsim's legacy design: sriov_numvfs holds the rescan/remove lock inside
# the PF's device lock (around sriov_configure), where the seed's unbind
# took it in the driver's sriov_del_vfs(); drvsim's unbind takes no
# rescan/remove lock. Each attempt creates a PF with 2 VFs and races
# remove against "echo 0 > sriov_numvfs" in the background, up to
# HIT_RATE_ATTEMPTS times. A hit is a real deadlock (writers not finished
# after 5 s); then the hung-task detector is given time to name them and
# the guest reboots through sysrq (the reboot's device shutdown would wait
# for the PF's device lock). Each attempt is announced in the kernel log.
# hit-rate-params: legacy_rescan_remove=1 lockdep_device_class=1
# hit-rate-samples: drvsim_sample
. /drvsim/lib/drvsim.sh
: "${HIT_RATE_ATTEMPTS:=100}"
echo on > /proc/sys/kernel/printk_devkmsg
i=0
while [ "$i" -lt "$HIT_RATE_ATTEMPTS" ]; do
	i=$((i + 1))
	echo "hit-rate: attempt $i" > /dev/kmsg
	echo "pf0 totalvfs=4" > "$BUS/new_device"
	echo 2 > "$BUS/devices/pf0/sriov_numvfs"
	echo 1 > "$BUS/devices/pf0/remove" &
	w1=$!
	echo 0 > "$BUS/devices/pf0/sriov_numvfs" 2> /dev/null &
	w2=$!
	if ! wait_until 5 eval 'finished $w1 && finished $w2'; then
		echo "hit-rate: attempt $i: the writers did not finish within 5 s: remove $(task_state $w1), sriov_numvfs $(task_state $w2)" > /dev/kmsg
		echo "HIT-RATE attempts=$i deadlock=1" > "$DRVSIM_RESULTS"
		sleep $(($(cat /proc/sys/kernel/hung_task_timeout_secs) * 2 + 1))
		echo "DRVSIM-END" > "$DRVSIM_RESULTS"
		echo b > /proc/sysrq-trigger
	fi
	wait
	wait_until 5 test ! -e "$BUS/devices/pf0" || exit 1
done
echo "HIT-RATE attempts=$i deadlock=0" > "$DRVSIM_RESULTS"
