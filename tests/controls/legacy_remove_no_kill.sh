#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive control of tests/kill_device_window.sh: with
# legacy_remove_no_kill=1 (removal as PCI/IOV before v10, no kill_device()
# before the driver's release), a bind in the window between the release
# and device_del() (pause point kill_window) binds the dying device again,
# and drvsim reports that it deletes a bound device ("BUG: drvsim:
# deleted while bound", and a stack dump), in one attempt.
# control-params: lockdep_device_class=1 legacy_remove_no_kill=1
# control-samples: drvsim_sample
# control-expect: BUG: .*drvsim: deleted while bound
. /drvsim/lib/drvsim.sh
printf 'lk0' > "$BUS/new_device"
pause_arm kill_window
/drvsim/bin/sysfs-write "$BUS/del_device" lk0 &
w=$!
pause_wait_held kill_window 10
/drvsim/bin/sysfs-write "$BUS/drivers/drvsim_sample/bind" lk0
pause_release kill_window
wait $w
