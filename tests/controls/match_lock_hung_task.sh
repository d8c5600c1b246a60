#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# With match_takes_device_lock=1, registering a driver while another
# driver's probe blocks hangs insmod in the device lock; the hung-task
# detector must report it. Proves the detector the suite relies on works.
# control-params: match_takes_device_lock=1
# control-samples: drvsim_sample drvsim_faulty
# control-hung-task-secs: 3
# control-expect: hung task: .*insmod.*blocked for more than
#
# Then drvsim_sample with hold_ignores_revoke=1: a reader sleeping inside
# an access ignores the unbind, so unbind waits out the whole 8 s sleep
# and the detector reports the unbinding writer (tests/revocation.sh shows
# the fixed design finishing in milliseconds).
# control-expect: hung task: .*timed-write.*blocked for more than
F=/sys/bus/drvsim/drivers/drvsim_faulty
echo "m0 block" > $F/probe_mode
echo "m0 type=faulty" > /sys/bus/drvsim/new_device &
sleep 1
rmmod drvsim_sample
insmod /drvsim/modules/drvsim_sample.ko &
sleep 8
echo m0 > $F/release
wait
rmmod drvsim_sample
insmod /drvsim/modules/drvsim_sample.ko hold_ignores_revoke=1
printf 'h0 type=sample regions=1' > /sys/bus/drvsim/new_device
sleep 0.5
/drvsim/bin/regfile hold /dev/drvsim-h0 8000 &
sleep 0.5
/drvsim/bin/timed-write /sys/bus/drvsim/drivers/drvsim_sample/unbind h0
wait
