#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive controls for the detectors the suite's "no splat" claims rely
# on, all at drvsim.ko's load: it takes two locks in both orders
# (lockdep), reads past an allocation (KASAN) and leaks one (kmemleak);
# the scanner must report all three.
# control-params: selftest_lockdep_abba=1 selftest_kasan=1 selftest_kmemleak=1
# control-kmemleak-scan: 1
# control-expect: lockdep: .*possible circular locking dependency
# control-expect: kasan: .*BUG: KASAN: slab-out-of-bounds
# control-expect: kmemleak: unreferenced object
exit 0
