#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The cdev layer without the wake-up (drvsim_cdev legacy_cdev_no_wake=1,
# Documentation/bugs.rst): unbind marks the device dead and waits for the
# operations in flight, but wakes nobody, so it waits for ever behind a
# read() asleep for data: the hung-task detector reports the unbind
# writer. The reader is then killed (a signal ends its wait), which lets
# the unbind finish. tests/cdev_layer.sh shows the fixed layer's unbind
# complete with 64 readers asleep.
# control-hung-task-secs: 3
# control-expect: hung task: .*timed-write.*blocked for more than
. /drvsim/lib/drvsim.sh
insmod /drvsim/modules/drvsim_cdev.ko legacy_cdev_no_wake=1
printf 'c0 type=cdev' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-cdev-c0
$BIN/cdevfile read /dev/drvsim-cdev-c0 &
r=$!
waits_in $r '\[drvsim_cdev\]'
$BIN/timed-write "$BUS/drivers/drvsim_cdev/unbind" c0 &
u=$!
wait_until 60 sh -c "dmesg | grep -q 'timed-write.*blocked for more than'"
kill $r
wait
printf c0 > "$BUS/del_device"
rmmod drvsim_cdev
