#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The pre-patch design: sriov_numvfs holds the rescan/remove lock inside the
# PF's device lock, and remove takes the rescan/remove lock before
# releasing the driver (the seed's AB-BA).
#
# lockdep needs no race: it reports the circular dependency as soon as
# both orders have been taken once, and the setup already does that
# (new_device takes the PF's device lock under the rescan/remove lock,
# the sriov_numvfs write takes them the other way round).
#
# The deadlock itself, in one attempt (make hit-rate: hammering the same
# two writers never hit it): the PF's remove is held at the remove pause
# point with the rescan/remove lock taken; an sriov_numvfs write takes the
# device lock and blocks on the rescan/remove lock; released, remove
# blocks on the device lock. Both writers hang, and the hung-task
# detector reports them. tests/races_one_shot.sh runs the same sequence
# clean on the default design.
# control-params: legacy_rescan_remove=1 lockdep_device_class=1
# control-samples: drvsim_sample
# control-hung-task-secs: 3
# control-expect: lockdep: .*possible circular locking dependency
# control-expect: hung task: .*blocked for more than
. /drvsim/lib/drvsim.sh
echo "pf0 totalvfs=4" > $BUS/new_device
echo 2 > $BUS/devices/pf0/sriov_numvfs
pause_arm remove
echo 1 > $BUS/devices/pf0/remove &
pause_wait_held remove 10
echo 0 > $BUS/devices/pf0/sriov_numvfs &
w=$!
wait_until 10 blocked $w
pause_release remove
sleep 10
# Both writers stay hung holding device locks, on which reboot's
# device_shutdown() would wait until the guest's timeout: reboot without it
# (scripts/guest-init.sh).
touch /tmp/reboot-without-shutdown
