#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive control of tests/hot_unplug_races.sh, case 2: with
# hot_unplug_takes_rescan_remove=1, hot_unplug holds the rescan/remove lock
# across the whole removal, as PCI's hotplug drivers do
# (pciehp_unconfigure_device()), the AB-BA that PCI/IOV v10 leaves open
# ("the concurrent unbind_store + hotplug-event case").
#
# lockdep needs no race: the setup's sriov_numvfs takes the PF's device
# lock, then the rescan/remove lock; hot_unplug takes them the other way
# round. The deadlock, in one attempt: unbind of the PF is held inside
# its driver's SR-IOV disable (a VF's removal, pause point remove) with
# the PF's device lock held; hot_unplug takes the rescan/remove lock and
# blocks on the device lock; released, the disable blocks on the
# rescan/remove lock. Both writers hang; the hung-task detector reports
# them.
# control-params: lockdep_device_class=1 hot_unplug_takes_rescan_remove=1
# control-samples: drvsim_sample
# control-hung-task-secs: 3
# control-expect: lockdep: .*possible circular locking dependency
# control-expect: hung task: .*blocked for more than
. /drvsim/lib/drvsim.sh
printf 'hc0 totalvfs=2' > "$BUS/new_device"
printf 2 > "$BUS/devices/hc0/sriov_numvfs"
pause_arm remove
/drvsim/bin/sysfs-write "$BUS/drivers/drvsim_sample/unbind" hc0 &
pause_wait_held remove 10
/drvsim/bin/sysfs-write "$BUS/hot_unplug" hc0 &
wait_until 10 blocked $!
pause_release remove
sleep 10
# The hung writers hold the PF's device lock: reboot without the device
# shutdown, which would wait for it (scripts/guest-init.sh).
touch /tmp/reboot-without-shutdown
