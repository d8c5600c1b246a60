#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The driver_override use-after-free of kernel bugzilla 220789, the bug
# 7.0-rc1's locked match was for: with legacy_driver_override=1 the
# override is a bus-private string that match reads without a lock. bind's
# match is held at the match pause point after loading the pointer; a
# store frees the string; released, match reads it: KASAN reports the
# use-after-free in one attempt. tests/races_one_shot.sh runs the same
# sequence clean on the default design and on 7.0-rc1's.
# control-params: legacy_driver_override=1
# control-samples: drvsim_sample
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in
. /drvsim/lib/drvsim.sh
S=$BUS/drivers/drvsim_sample
printf 'mo0' > $BUS/new_device
printf 'mo0' > $S/unbind
printf drvsim_sample > $BUS/devices/mo0/driver_override
pause_arm match
printf 'mo0' > $S/bind &
pause_wait_held match 10
printf drvsim_faulty > $BUS/devices/mo0/driver_override
pause_release match
wait
