#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The sample topology `make vm` starts with.
cd /sys/bus/drvsim
echo "sample0" > new_device
echo "sample1 regions=4" > new_device
echo "pf0 totalvfs=4" > new_device
echo "faulty0 type=faulty" > new_device

echo 2 > /sys/bus/drvsim/devices/pf0/sriov_numvfs
ls -l /sys/bus/drvsim/devices
