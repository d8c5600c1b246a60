#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive control of tests/kill_device_window.sh: with
# legacy_remove_no_kill=1 (removal as PCI/IOV before v10, no kill_device()
# before the driver's release), a bind in the window between the release
# and device_del() (pause point kill_window) binds the dying device again,
# and drvsim's WARN_ON() before device_del() fires ("drvsim: deleted while
# bound", then the kernel's "WARNING: rust/lifecycle.rs:<line>"), in one
# attempt. It is also the control of CONFIG_BUG: without it (tinyconfig's
# default) the warning prints nothing.
# control-params: lockdep_device_class=1 legacy_remove_no_kill=1
# control-samples: drvsim_sample
# control-expect: WARNING: rust/lifecycle.rs:[0-9]+ at 
. /drvsim/lib/drvsim.sh
printf 'lk0' > "$BUS/new_device"
pause_arm kill_window
/drvsim/bin/sysfs-write "$BUS/del_device" lk0 &
w=$!
pause_wait_held kill_window 10
/drvsim/bin/sysfs-write "$BUS/drivers/drvsim_sample/bind" lk0
pause_release kill_window
wait $w
