#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive controls for the memory detectors the suite's "no splat" claims
# rely on: drvsim.ko reads past an allocation (KASAN) and leaks one
# (kmemleak) at load, and the scanner must report both. Then the broken
# file design of drvsim_sample (unrevoked_file_access=1: the file keeps a
# bare device pointer instead of a revocable) reads a deleted device through
# a file left open: the use-after-free that tests/revocation.sh shows the
# revocable design avoids. The guests boot with kasan_multi_shot, so each
# KASAN report appears.
# control-params: selftest_kasan=1 selftest_kmemleak=1
# control-kmemleak-scan: 1
# control-expect: kasan: .*BUG: KASAN: slab-out-of-bounds
# control-expect: kmemleak: unreferenced object
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in drvsim_region_read32
BUS=/sys/bus/drvsim
rmmod drvsim_sample 2>/dev/null
insmod /drvsim/modules/drvsim_sample.ko unrevoked_file_access=1
printf 'uaf0 type=sample regions=1' > $BUS/new_device
sleep 0.5
exec 3<> /dev/drvsim-uaf0
printf uaf0 > $BUS/del_device
sleep 1
/drvsim/bin/regfile read @3 0 0
exec 3>&-
rmmod drvsim_sample
exit 0
