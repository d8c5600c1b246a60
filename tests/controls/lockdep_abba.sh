#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive control for the splat scanner: drvsim.ko takes two locks in
# both orders at load; lockdep must report it and the scanner must say so.
# control-params: selftest_lockdep_abba=1
# control-expect: lockdep: .*possible circular locking dependency
exit 0
