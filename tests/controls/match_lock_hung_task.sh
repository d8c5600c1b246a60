#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# With match_takes_device_lock=1, registering a driver while another
# driver's probe blocks hangs insmod in the device lock; the hung-task
# detector must report it. Proves the detector the suite relies on works.
# control-params: match_takes_device_lock=1
# control-samples: drvsim_sample drvsim_faulty
# control-hung-task-secs: 3
# control-expect: hung task: .*insmod.*blocked for more than
F=/sys/bus/drvsim/drivers/drvsim_faulty
echo "m0 block" > $F/probe_mode
echo "m0 type=faulty" > /sys/bus/drvsim/new_device &
sleep 1
rmmod drvsim_sample
insmod /drvsim/modules/drvsim_sample.ko &
sleep 8
echo m0 > $F/release
wait
