#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive controls for the two memory detectors the suite's "no splat"
# claims rely on: drvsim.ko reads past an allocation (KASAN) and leaks one
# (kmemleak) at load, and the scanner must report both.
# control-params: selftest_kasan=1 selftest_kmemleak=1
# control-kmemleak-scan: 1
# control-expect: kasan: .*BUG: KASAN: slab-out-of-bounds
# control-expect: kmemleak: unreferenced object
exit 0
