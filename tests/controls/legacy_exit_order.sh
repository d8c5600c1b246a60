#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# drvsim_faulty's exit before the hardening issue (legacy_exit_order=1):
# teardown first, then the driver's unregistration. rmmod is held between
# the two (pause point sample_exit); a probe_mode write refills the table
# and a probe registers the companion driver again, into the module being
# freed. Once it is gone, binding a device to the companion calls its
# freed probe: a page fault, in one attempt. tests/races_one_shot.sh runs
# the same window clean in the fixed order.
# control-samples: drvsim_sample
# control-expect: BUG: .*unable to handle page fault|fault: .*Unable to handle kernel
. /drvsim/lib/drvsim.sh
insmod /drvsim/modules/drvsim_faulty.ko legacy_exit_order=1
pause_arm sample_exit
rmmod drvsim_faulty &
pause_wait_held sample_exit 10
echo "fx0 register_driver" > $FAULTY/probe_mode
echo "fx0 type=faulty" > $BUS/new_device
pause_release sample_exit
wait
echo "fc0 type=faulty-child" > $BUS/new_device
sleep 2
