#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The pre-patch design: sriov_numvfs holds the rescan/remove lock inside the
# PF's device lock, and remove takes the rescan/remove lock before
# releasing the driver. With device locks validated, remove racing unbind
# must give lockdep's circular dependency report (the seed's AB-BA).
# control-params: legacy_rescan_remove=1 lockdep_device_class=1
# control-expect: lockdep: .*possible circular locking dependency
B=/sys/bus/drvsim
echo "pf0 totalvfs=4" > $B/new_device
echo 2 > $B/devices/pf0/sriov_numvfs
echo 1 > $B/devices/pf0/remove &
echo pf0 > $B/drivers/drvsim_sample/unbind &
wait
