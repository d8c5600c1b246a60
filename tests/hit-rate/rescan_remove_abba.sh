#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hit rate, row 2: the SR-IOV AB-BA of remove against unbind
# (legacy_rescan_remove=1, device locks validated), raced in the
# background as the suite's old control did (git show
# 73d30b2:tests/controls/legacy_rescan_remove_abba.sh), one attempt per
# boot: lockdep reports once per boot. The host counts boots whose log has
# lockdep's circular dependency report; this script reports whether the two
# writers really deadlocked (not finished after 5 s), waits for the
# hung-task detector to name them, and then, since a
# deadlocked device lock would hang the reboot's device shutdown, reboots
# through sysrq. The one-shot version is
# tests/controls/legacy_rescan_remove_abba.sh.
# hit-rate-params: legacy_rescan_remove=1 lockdep_device_class=1
# hit-rate-samples: drvsim_sample
. /drvsim/lib/drvsim.sh
echo "pf0 totalvfs=4" > "$BUS/new_device"
echo 2 > "$BUS/devices/pf0/sriov_numvfs"
echo 1 > "$BUS/devices/pf0/remove" &
w1=$!
echo pf0 > "$BUS/drivers/drvsim_sample/unbind" &
w2=$!
if wait_until 5 eval 'finished $w1 && finished $w2'; then
	wait
	echo "HIT-RATE attempts=1 deadlock=0" > "$DRVSIM_RESULTS"
	exit 0
fi
echo "hit-rate: the writers did not finish within 5 s: remove $(task_state $w1), unbind $(task_state $w2)"
echo "HIT-RATE attempts=1 deadlock=1" > "$DRVSIM_RESULTS"
sleep $(($(cat /proc/sys/kernel/hung_task_timeout_secs) * 2 + 1))
echo "DRVSIM-END" > "$DRVSIM_RESULTS"
echo b > /proc/sysrq-trigger
