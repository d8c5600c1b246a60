#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# With lockdep_device_class=1, a driver registered from inside another
# driver's probe on the same bus is a recursive acquisition of the probed
# device's lock in match: lockdep must say so (Uwe's stm32mp135f report).
# control-params: lockdep_device_class=1
# control-samples: drvsim_sample drvsim_faulty
# control-expect: lockdep: .*possible recursive locking detected
F=/sys/bus/drvsim/drivers/drvsim_faulty
echo "f0 register_driver" > $F/probe_mode
echo "f0 type=faulty" > /sys/bus/drvsim/new_device
