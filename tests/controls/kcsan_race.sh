#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# KCSAN itself, on the kcsan flavour: drvsim.ko's selftest_kcsan_race
# lets two threads (two vCPUs) increment a plain int for a second at
# load, in drvsim's C half (7.3 does not instrument Rust); KCSAN must
# report the data race, with drvsim frames, so the scanner counts it.
# control-flavour: kcsan
# control-params: selftest_kcsan_race=1
# control-smp: 2
# control-samples: drvsim_sample
# control-expect: kcsan: .*BUG: KCSAN: data-race in drvsim_racer
exit 0
