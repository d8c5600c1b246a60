#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive controls for the memory detectors and the hung-task detector,
# in one guest (a boot is the expensive part of a control):
#
# 1. drvsim.ko reads past an allocation (KASAN) and leaks one (kmemleak)
#    at load, on purpose.
# control-params: selftest_kasan=1 selftest_kmemleak=1 match_takes_device_lock=1
# control-samples: drvsim_sample drvsim_faulty
# control-hung-task-secs: 3
# control-kmemleak-scan: 1
# control-expect: kasan: .*BUG: KASAN: slab-out-of-bounds
# control-expect: kmemleak: unreferenced object
#
# 2. With match_takes_device_lock=1, registering a driver while another
#    driver's probe blocks hangs insmod in the device lock.
# control-expect: hung task: .*insmod.*blocked for more than
#
# 3. drvsim_sample with hold_ignores_revoke=1: a reader sleeping inside an
#    access ignores the unbind, so unbind waits out the whole 8 s sleep
#    (tests/revocation.sh shows the fixed design finishing in ms).
# control-expect: hung task: .*timed-write.*blocked for more than
#
# 4. drvsim_sample with unrevoked_file_access=1: the file keeps a bare
#    device pointer instead of a revocable, and reads a deleted device
#    through a file left open: the use-after-free that tests/revocation.sh
#    shows the revocable design avoids. (Guests boot with kasan_multi_shot,
#    so every KASAN report appears.)
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in drvsim_region_read32
. /drvsim/lib/drvsim.sh
F=$FAULTY
S=$BUS/drivers/drvsim_sample

echo "m0 block" > $F/probe_mode
echo "m0 type=faulty" > $BUS/new_device &
wait_until 60 in_kernel $! '\[drvsim_faulty\]'
rmmod drvsim_sample
insmod /drvsim/modules/drvsim_sample.ko &
sleep 8
echo m0 > $F/release
wait

rmmod drvsim_sample
insmod /drvsim/modules/drvsim_sample.ko hold_ignores_revoke=1
printf 'h0 type=sample regions=1' > $BUS/new_device
wait_until 5 test -c /dev/drvsim-h0
/drvsim/bin/regfile hold /dev/drvsim-h0 8000 &
wait_until 60 in_kernel $! '\[drvsim_sample\]'
/drvsim/bin/timed-write $S/unbind h0
wait

rmmod drvsim_sample
insmod /drvsim/modules/drvsim_sample.ko unrevoked_file_access=1
printf 'uaf0 type=sample regions=1' > $BUS/new_device
wait_until 5 test -c /dev/drvsim-uaf0
exec 3<> /dev/drvsim-uaf0
printf uaf0 > $BUS/del_device
sleep 1
/drvsim/bin/regfile read @3 0 0
exec 3>&-
rmmod drvsim_sample
exit 0
