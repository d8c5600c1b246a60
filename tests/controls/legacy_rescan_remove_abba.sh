#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The pre-patch design: sriov_numvfs holds the rescan/remove lock inside the
# PF's device lock, and remove takes the rescan/remove lock before
# releasing the driver. In one attempt (tests/races_one_shot.sh runs the
# same sequence clean on the default design): the PF's remove is held at
# the remove pause point with the rescan/remove lock taken; unbind of the
# PF takes the device lock and blocks on the rescan/remove lock; released,
# remove wants the device lock: lockdep reports the circular dependency
# (the seed's AB-BA), and the two writers deadlock for real.
# control-params: legacy_rescan_remove=1 lockdep_device_class=1
# control-samples: drvsim_sample
# control-expect: lockdep: .*possible circular locking dependency
. /drvsim/lib/drvsim.sh
echo "pf0 totalvfs=4" > $BUS/new_device
echo 2 > $BUS/devices/pf0/sriov_numvfs
pause_arm remove
echo 1 > $BUS/devices/pf0/remove &
pause_wait_held remove 10
echo pf0 > $BUS/drivers/drvsim_sample/unbind &
w=$!
wait_until 10 blocked $w
pause_release remove
sleep 3
