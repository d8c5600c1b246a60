#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive control of tests/pause_points.sh's one-shot unload case: with
# legacy_unload_poll=1 (module exit as before the hardening issue: poll
# until no name is busy and the bus is empty, wait for nobody else), a
# remove writer held past its own attribute (pause point remove_self) is
# still in drvsim's code when the module is freed, and faults on its next
# instruction there, in one attempt: a page fault where the freed text
# was unmapped, or an int3 trap where it stays mapped in the kernel's
# executable-memory cache (execmem's ROX cache), which fills freed text
# with int3 (RIP in the module area, "Code: cc cc ..."). Which one depends
# on the cache's state at unload; both are the same finding.
# control-params: legacy_unload_poll=1
# control-samples: drvsim_sample
# control-expect: BUG: .*unable to handle page fault|fault: .*Unable to handle kernel|oops: .*Oops: int3
. /drvsim/lib/drvsim.sh
printf 'lu0 type=other' > "$BUS/new_device"
pause_arm remove_self
/drvsim/bin/sysfs-write "$BUS/devices/lu0/remove" 1 &
pause_wait_held remove_self 10
unload_drvsim
sleep 2
